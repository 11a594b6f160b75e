/** Images for the photo tests, generated with sharp (no binary fixtures), and hostile inputs. */
import { crc32, deflateSync } from "node:zlib"
import { sharp } from "./sharp.js"

/** A seeded PRNG (LCG): the same seed gives the same bytes. */
const prng = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 4294967296
  }
}

export const randomBytes = (length: number, seed = 7): Buffer => {
  const random = prng(seed)
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)))
}

/**
 * A photo-like JPEG stored `width`×`height` with EXIF orientation 6 (a phone held upright:
 * shown rotated, as `height`×`width`), with smooth blobs and fine noise so it compresses like a photo.
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
    .withExif({ IFD0: { Make: "LocalEx Test Camera", Orientation: "6" } })
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 85 })
    .toBuffer()
}

/** A PNG with transparency: its variants are PNG (not JPEG) besides WebP. */
export const transparentPng = (width: number, height: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 4, background: { r: 20, g: 120, b: 220, alpha: 0.5 } } })
    .png()
    .toBuffer()

const pngChunk = (type: string, data: Buffer) => {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, "latin1"), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** A decompression bomb's header: a valid PNG signature and IHDR claiming `width`×`height` pixels. */
export const pngClaiming = (width: number, height: number): Buffer => {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(Buffer.alloc(64))),
    pngChunk("IEND", Buffer.alloc(0))
  ])
}

export const svgImage = (): Buffer =>
  Buffer.from(
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>'
  )

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
