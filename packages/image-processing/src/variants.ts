/**
 * The pixel work, decode once: the input is decoded a single time (shrink-on-load straight to
 * the largest size, EXIF orientation applied, converted to sRGB) into a raw buffer; each smaller
 * size is resized from the next larger raw buffer; every size is then encoded in each format.
 */
import { createHash } from "node:crypto"
import { Effect } from "effect"
import sharp, { type Sharp } from "sharp"
import type { InputFormat } from "./detect.js"
import { CorruptImage, TooManyPixels } from "./Errors.js"
import type { ImageConfig } from "./ImageConfig.js"

export type SizeName = "thumbnail" | "medium" | "large"
export type OutputFormat = "avif" | "webp" | "jpeg" | "png"

/** Largest first: each size is derived from the one before it. */
export const SIZES: ReadonlyArray<SizeName> = ["large", "medium", "thumbnail"]

export const contentTypes: Readonly<Record<OutputFormat, string>> = {
  avif: "image/avif",
  webp: "image/webp",
  jpeg: "image/jpeg",
  png: "image/png"
}

export const extensions: Readonly<Record<OutputFormat, string>> = {
  avif: "avif",
  webp: "webp",
  jpeg: "jpg",
  png: "png"
}

/** What the header said, checked before decoding. */
export interface InputHeader {
  readonly format: InputFormat
  readonly width: number
  readonly height: number
}

/** Decoded, oriented, sRGB pixels: 3 channels, or 4 when the image has (non-opaque) alpha. */
export interface RawImage {
  readonly data: Buffer
  readonly width: number
  readonly height: number
  readonly channels: 3 | 4
}

export interface EncodedVariant {
  readonly size: SizeName
  readonly format: OutputFormat
  readonly width: number
  readonly height: number
  readonly data: Uint8Array
}

export interface ProcessedVariant extends EncodedVariant {
  readonly contentType: string
  /** File extension without the dot: avif, webp, jpg, png. */
  readonly extension: string
}

/** The result of `process`: every variant, encoded, not stored. */
export interface ProcessedPhoto {
  /** Content address: SHA-256 (hex) of the normalised pixels and of the settings that shape the variants. */
  readonly photoId: string
  readonly source: {
    readonly format: InputFormat
    /** Dimensions once the EXIF orientation is applied. */
    readonly width: number
    readonly height: number
    readonly bytes: number
  }
  /** True when the fallback is PNG because the image has transparency. */
  readonly hasAlpha: boolean
  /** Largest first; for each size: AVIF (when enabled), WebP (when enabled), then JPEG or PNG. */
  readonly variants: ReadonlyArray<ProcessedVariant>
}

export interface Rendered {
  /** Content address: SHA-256 of the normalised pixels and of every setting that shapes the output. */
  readonly id: string
  readonly hasAlpha: boolean
  readonly variants: ReadonlyArray<EncodedVariant>
}

/** sharp's own per-pipeline timeout (whole seconds): stops native work the Effect timeout cannot. */
const nativeTimeout = (config: ImageConfig) => ({ seconds: Math.max(1, Math.ceil(config.timeoutMs / 1000)) })

const fitInside = (box: number) => ({ width: box, height: box, fit: "inside" as const, withoutEnlargement: true })

export const errorText = (cause: unknown) =>
  (cause instanceof Error ? cause.message : String(cause)).split("\n")[0]!.trim()

const toRaw = (pipeline: Sharp): Promise<RawImage> =>
  pipeline
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true })
    .then(({ data, info }) => ({ data, width: info.width, height: info.height, channels: info.channels === 4 ? 4 : 3 }))

const fromRaw = (image: RawImage, config: ImageConfig) =>
  sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } }).timeout(
    nativeTimeout(config)
  )

/** `ArrayBuffer.prototype.transfer` (ES2024; Node ≥ 20): the lib this repo compiles against is ES2023. */
type Transferable = ArrayBuffer & { transfer(newByteLength: number): ArrayBuffer }

/**
 * Frees `image`'s pixels now instead of at V8's next garbage collection. sharp's buffers are native
 * memory the JS heap barely feels, so the raw buffers of a few photos (~5 MB each at 1200 px) used to
 * pile up between collections and raise the RSS peak. Detaching the ArrayBuffer releases them at
 * once. Only for a buffer that nothing reads any more: no sharp job still running on it, no view
 * left in use.
 */
const release = (image: RawImage) => {
  const { data } = image
  if (data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.buffer.byteLength === data.length) {
    ;(data.buffer as Transferable).transfer(0)
  }
}

/** Is every alpha value 255? */
export const isOpaque = (image: RawImage): boolean => {
  if (image.channels !== 4) return true
  const { data } = image
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) return false
  return true
}

/**
 * Decodes `bytes` once, straight to the largest size (JPEG and WebP shrink on load), applying the
 * EXIF orientation and converting to sRGB. An alpha channel that is fully opaque is dropped.
 */
export const decode = Effect.fnUntraced(function* (bytes: Uint8Array, header: InputHeader, config: ImageConfig) {
  const image = yield* Effect.tryPromise({
    try: () =>
      toRaw(
        sharp(bytes, { limitInputPixels: config.maxInputPixels, failOn: "error", sequentialRead: true })
          .timeout(nativeTimeout(config))
          .autoOrient()
          .resize(fitInside(config.largeSize))
          .toColourspace("srgb")
      ),
    catch: (cause) => {
      const detail = errorText(cause)
      return /pixel limit/i.test(detail)
        ? new TooManyPixels({ width: header.width, height: header.height, limit: config.maxInputPixels })
        : new CorruptImage({ format: header.format, detail })
    }
  })
  if (image.channels === 4 && isOpaque(image)) {
    const opaque = yield* Effect.promise(() => toRaw(fromRaw(image, config).removeAlpha()))
    release(image)
    return opaque
  }
  return image
})

/** `image` resized to fit inside `box` (the same buffer when it already fits: never enlarged). */
const shrink = (image: RawImage, box: number, config: ImageConfig): Effect.Effect<RawImage> =>
  image.width <= box && image.height <= box
    ? Effect.succeed(image)
    : Effect.promise(() => toRaw(fromRaw(image, config).resize(fitInside(box))))

/** The settings the encoders read. */
export type EncoderSettings = Pick<ImageConfig, "quality" | "webpEffort" | "jpegProgressive">

/**
 * Encoder settings per output format, shared by the variants, `optimizeImage` and the benchmark's
 * baseline. No metadata is written (sharp's default without `withMetadata`): no EXIF, no ICC.
 */
export const encoderOptions = (format: OutputFormat, { quality, webpEffort, jpegProgressive }: EncoderSettings) => {
  switch (format) {
    case "avif":
      return { quality, effort: 4 }
    case "webp":
      // smartSubsample, smartDeblock and nearLossless stay off: each costs CPU for little or nothing on photos.
      return { quality, effort: webpEffort }
    case "jpeg":
      // mozjpeg's trellis quantisation would save ~7% of the bytes for 3–5× the JPEG CPU. Huffman
      // tables are optimised either way; progressive only changes the scan order, not the pixels.
      return { quality, progressive: jpegProgressive }
    case "png":
      // Lossless: quality does not apply.
      return { compressionLevel: 9 }
  }
}

export const encoder = (pipeline: Sharp, format: OutputFormat, settings: EncoderSettings): Sharp =>
  pipeline.toFormat(format, encoderOptions(format, settings))

/** The formats each size is stored in: AVIF and WebP when enabled, then JPEG (PNG when there is alpha). */
export const formatsFor = (config: ImageConfig, hasAlpha: boolean): ReadonlyArray<OutputFormat> => [
  ...(config.enableAvif ? (["avif"] as const) : []),
  ...(config.enableWebp ? (["webp"] as const) : []),
  hasAlpha ? "png" : "jpeg"
]

const fingerprint = (config: ImageConfig, image: RawImage) =>
  JSON.stringify({
    pipeline: 1,
    vips: sharp.versions.vips,
    quality: config.quality,
    webpEffort: config.webpEffort,
    jpegProgressive: config.jpegProgressive,
    sizes: [config.largeSize, config.mediumSize, config.thumbnailSize],
    webp: config.enableWebp,
    avif: config.enableAvif,
    pixels: [image.width, image.height, image.channels]
  })

/** The content address of a photo: its normalised pixels plus every setting that shapes its variants. */
export const photoId = (config: ImageConfig, large: RawImage): string =>
  createHash("sha256").update(fingerprint(config, large)).update(large.data).digest("hex")

/** Decode once, derive every size from the next larger one, encode each size in each format. */
export const render = Effect.fnUntraced(function* (bytes: Uint8Array, header: InputHeader, config: ImageConfig) {
  const large = yield* decode(bytes, header, config)
  const medium = yield* shrink(large, config.mediumSize, config)
  const thumbnail = yield* shrink(medium, config.thumbnailSize, config)
  const raws: Record<SizeName, RawImage> = { large, medium, thumbnail }
  const hasAlpha = large.channels === 4
  const formats = formatsFor(config, hasAlpha)

  // A small input gives the same raw buffer for several sizes: each distinct buffer is encoded once.
  const distinct = [...new Set(SIZES.map((size) => raws[size]))]
  const encodings = yield* Effect.forEach(
    distinct.flatMap((image) => formats.map((output) => ({ image, output }))),
    ({ image, output }) =>
      Effect.map(
        Effect.promise(() => encoder(fromRaw(image, config), output, config).toBuffer()),
        (data) => ({ image, output, data })
      ),
    { concurrency: "unbounded" }
  )
  const variants = SIZES.flatMap((size) =>
    formats.map((output): EncodedVariant => {
      const image = raws[size]
      const { data } = encodings.find((e) => e.image === image && e.output === output)!
      return { size, format: output, width: image.width, height: image.height, data }
    })
  )
  const id = photoId(config, large)
  // Every encode has finished: the raw buffers are read by nothing any more.
  distinct.forEach(release)
  return { id, hasAlpha, variants } satisfies Rendered
})
