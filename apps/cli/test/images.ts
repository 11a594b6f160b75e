/** Images for the image command tests, generated with sharp (no binary fixtures). */
import { sharp } from "./sharp.js"

/** A seeded PRNG (LCG): the same seed gives the same bytes. */
const prng = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 4294967296
  }
}

/**
 * A photo-like JPEG stored `width`×`height` with EXIF orientation 6 (shown upright as
 * `height`×`width`), with smooth blobs and fine noise so it compresses like a photo.
 */
export const photoJpeg = async (width: number, height: number, seed = 1): Promise<Buffer> => {
  const random = prng(seed)
  const [cw, ch] = [Math.ceil(width / 40), Math.ceil(height / 40)]
  const coarse = Buffer.from(Array.from({ length: cw * ch * 3 }, () => Math.floor(random() * 256)))
  const pixels = await sharp(coarse, { raw: { width: cw, height: ch, channels: 3 } })
    .resize(width, height, { kernel: "cubic", fit: "fill" })
    .raw()
    .toBuffer()
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.max(0, Math.min(255, pixels[i]! + (random() - 0.5) * 20))
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 85 })
    .toBuffer()
}

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
