/** Images for the photo tests: the generators of `@localex/image-processing/testing`, and a decoder. */
import { photoJpeg as generatePhoto } from "@localex/image-processing/testing"
import { sharp } from "./sharp.js"

export { pngClaiming, pngSliver, randomBytes, svgImage, transparentPng } from "@localex/image-processing/testing"

/** A phone photo stored `width`×`height` with EXIF orientation 6 (shown upright as `height`×`width`). */
export const photoJpeg = (width: number, height: number, seed = 1): Promise<Buffer> =>
  generatePhoto({ width, height, seed, orientation: 6, quality: 85 })

/** What sharp makes of `bytes`, decoded in full: format, dimensions, and whether EXIF or an orientation survived. */
export const decoded = async (bytes: Uint8Array) => {
  const meta = await sharp(bytes).metadata()
  const { info } = await sharp(bytes, { failOn: "error" }).raw().toBuffer({ resolveWithObject: true })
  return {
    format: String(meta.format),
    width: info.width,
    height: info.height,
    exif: meta.exif !== undefined,
    orientation: meta.orientation
  }
}
