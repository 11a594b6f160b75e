/** Images for the image command tests: the generators of `@localex/image-processing/testing`, and a decoder. */
import { photoJpeg as generatePhoto } from "@localex/image-processing/testing"
import { sharp } from "./sharp.js"

/** A phone photo stored `width`×`height` with EXIF orientation 6 (shown upright as `height`×`width`). */
export const photoJpeg = (width: number, height: number, seed = 1): Promise<Buffer> =>
  generatePhoto({ width, height, seed, orientation: 6, quality: 85 })

/** An opaque PNG of one colour. */
export const smallPng = (width: number, height: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 10 } } })
    .png()
    .toBuffer()

/** What sharp makes of `bytes`, decoded in full: format and dimensions. */
export const decoded = async (bytes: Uint8Array) => {
  const meta = await sharp(bytes).metadata()
  const { info } = await sharp(bytes, { failOn: "error" }).raw().toBuffer({ resolveWithObject: true })
  return { format: String(meta.format), width: info.width, height: info.height }
}
