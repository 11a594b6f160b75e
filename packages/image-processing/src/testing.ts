/**
 * `@localex/image-processing/testing`: images for tests and benchmarks, generated with sharp (no
 * binary fixtures) — photo-like JPEGs with EXIF orientation and GPS, transparent PNGs, and the
 * hostile inputs the pipeline must refuse (random bytes, truncated files, a PNG header claiming
 * 100,000×100,000 pixels, SVG). Seeded, so every run sees the same bytes. Plain erasable
 * TypeScript importing only sharp and node: the benchmark runs this file with type stripping.
 */
import { deflateSync } from "node:zlib"
import sharp from "sharp"

/** A small seeded PRNG (LCG): the same seed gives the same image. */
export const prng = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 4294967296
  }
}

export interface PhotoOptions {
  readonly width: number
  readonly height: number
  readonly seed?: number
  readonly quality?: number
  /** EXIF orientation tag (1–8) to write. */
  readonly orientation?: number
  /** Write GPS tags (EXIF IFD3) and a camera make/model. */
  readonly gps?: boolean
  /** Paint the stored top-left tenth pure red, to see where orientation puts it. */
  readonly redCorner?: boolean
}

/** GPS position written into test photos: 51°30'N, 0°7'W. */
export const GPS = { latitudeRef: "N", latitude: "51/1 30/1 0/1", longitudeRef: "W", longitude: "0/1 7/1 0/1" } as const

/**
 * Raw RGB pixels that compress like a photo: smooth blobs (upscaled coarse noise), gradients and
 * fine sensor-like noise. A 4000×3000 JPEG at q90 comes out around 4 MB, like a phone's.
 */
export const photoPixels = async (width: number, height: number, seed = 1): Promise<Buffer> => {
  const random = prng(seed)
  const cw = Math.max(2, Math.round(width / 25))
  const ch = Math.max(2, Math.round(height / 25))
  const coarse = Buffer.alloc(cw * ch * 3)
  for (let i = 0; i < coarse.length; i++) coarse[i] = Math.floor(random() * 256)
  const pixels = await sharp(coarse, { raw: { width: cw, height: ch, channels: 3 } })
    .resize(width, height, { kernel: "cubic", fit: "fill" })
    .blur(Math.max(0.5, width / 700))
    .raw()
    .toBuffer()
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      const light = (x / width) * 40 + (y / height) * 30
      const noise = (random() - 0.5) * 24
      for (let c = 0; c < 3; c++) {
        const v = pixels[i + c]! * 0.7 + light + noise
        pixels[i + c] = Math.max(0, Math.min(255, v))
      }
    }
  }
  return pixels
}

/** A photo-like JPEG, optionally with an EXIF orientation and GPS tags. */
export const photoJpeg = async (options: PhotoOptions): Promise<Buffer> => {
  const { width, height } = options
  const pixels = await photoPixels(width, height, options.seed ?? 1)
  if (options.redCorner) {
    for (let y = 0; y < height / 10; y++) {
      for (let x = 0; x < width / 10; x++) pixels.set([255, 0, 0], (y * width + x) * 3)
    }
  }
  let image = sharp(pixels, { raw: { width, height, channels: 3 } })
  if (options.gps || options.orientation) {
    image = image.withExif({
      IFD0: {
        Make: "LocalEx Test Camera",
        Model: "Generator 1",
        ...(options.orientation ? { Orientation: String(options.orientation) } : {})
      },
      ...(options.gps
        ? {
            IFD3: {
              GPSLatitudeRef: GPS.latitudeRef,
              GPSLatitude: GPS.latitude,
              GPSLongitudeRef: GPS.longitudeRef,
              GPSLongitude: GPS.longitude
            }
          }
        : {})
    })
  }
  if (options.orientation) image = image.withMetadata({ orientation: options.orientation })
  return image.jpeg({ quality: options.quality ?? 90 }).toBuffer()
}

/** A PNG with a transparent border around an opaque gradient disc. */
export const transparentPng = async (width: number, height: number): Promise<Buffer> => {
  const pixels = Buffer.alloc(width * height * 4)
  const r = Math.min(width, height) / 2.5
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4
      const inside = (x - width / 2) ** 2 + (y - height / 2) ** 2 < r * r
      pixels[i] = (x * 255) / width
      pixels[i + 1] = (y * 255) / height
      pixels[i + 2] = 128
      pixels[i + 3] = inside ? 255 : 0
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer()
}

/** The same photo pixels in any format sharp writes. */
export const photoAs = async (
  format: "jpeg" | "png" | "webp" | "avif" | "gif" | "tiff",
  width: number,
  height: number
) =>
  sharp(await photoPixels(width, height, 7), { raw: { width, height, channels: 3 } })
    .toFormat(format)
    .toBuffer()

/** A CMYK JPEG (print colour space): the pipeline must convert it to sRGB. */
export const cmykJpeg = async (width: number, height: number) =>
  sharp(await photoPixels(width, height, 3), { raw: { width, height, channels: 3 } })
    .toColourspace("cmyk")
    .jpeg({ quality: 90 })
    .toBuffer()

// --- hostile inputs ----------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

/** CRC-32 as PNG chunks use it. */
export const crc32 = (bytes: Uint8Array): number => {
  let c = 0xffffffff
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

const pngChunk = (type: string, data: Buffer) => {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, "latin1"), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/**
 * A decompression bomb's header, written by hand: a valid PNG signature and IHDR (with a correct
 * CRC) claiming `width`×`height` RGB pixels, followed by a tiny IDAT and IEND.
 */
export const pngClaiming = (width: number, height: number): Buffer => {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // colour type: truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(Buffer.alloc(64))),
    pngChunk("IEND", Buffer.alloc(0))
  ])
}

export const svgImage = (): Buffer =>
  Buffer.from(
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><script>alert(1)</script><rect width="64" height="64" fill="red"/></svg>'
  )

export const randomBytes = (length: number, seed = 99): Buffer => {
  const random = prng(seed)
  const bytes = Buffer.alloc(length)
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256)
  return bytes
}

/** The first `fraction` of `bytes`, like an upload cut off mid-way. */
export const truncated = (bytes: Uint8Array, fraction: number): Buffer =>
  Buffer.from(bytes.subarray(0, Math.floor(bytes.length * fraction)))

/**
 * A real, valid PNG that is a sliver: `width`×`height` grey pixels, all black, deflated. At
 * 1 × 49,000,000 it is about 100 KB yet under the 50 MP limit, and decoding it row by row costs
 * tens of seconds of CPU: the pipeline must refuse it from its header (IMAGE_MAX_ASPECT_RATIO).
 */
export const pngSliver = (width: number, height: number): Buffer => {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 0 // colour type: greyscale
  // Each row: filter byte 0, then `width` zero bytes.
  const raw = Buffer.alloc((width + 1) * height)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(raw, { level: 9 })),
    pngChunk("IEND", Buffer.alloc(0))
  ])
}
