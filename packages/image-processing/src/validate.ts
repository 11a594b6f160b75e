/**
 * Everything checked before a single pixel is decoded: size, format (by magic bytes), what the
 * caller declared, and the pixel count from the header (sharp reads only the header here).
 */
import { Effect } from "effect"
import sharp from "sharp"
import { type Declared, declarationConflict, detectFormat } from "./detect.js"
import {
  CorruptImage,
  EmptyImage,
  ExtremeAspectRatio,
  FormatMismatch,
  ImageTooLarge,
  TooManyPixels,
  UnsupportedFormat
} from "./Errors.js"
import type { ImageConfig } from "./ImageConfig.js"
import { errorText, type InputHeader } from "./variants.js"

export interface Inspected extends InputHeader {
  /** Dimensions once the EXIF orientation is applied. */
  readonly orientedWidth: number
  readonly orientedHeight: number
  /** Frames of an animated GIF/WebP (1 for a still image). */
  readonly pages: number
  readonly bytes: number
}

/** Refuses what the pipeline will not decode; on success the header facts the pipeline needs. */
export const inspect = Effect.fnUntraced(function* (bytes: Uint8Array, declared: Declared, config: ImageConfig) {
  if (bytes.length === 0) return yield* new EmptyImage()
  if (bytes.length > config.maxInputBytes) {
    return yield* new ImageTooLarge({ bytes: bytes.length, limit: config.maxInputBytes })
  }
  const detection = detectFormat(bytes)
  if (!detection.supported) return yield* new UnsupportedFormat({ detected: detection.detected })
  const format = detection.format
  const conflict = declarationConflict(declared, format)
  if (conflict) return yield* new FormatMismatch({ ...conflict, detected: format })

  // Header only: no pixel is decoded, so the pixel limit is ours to check (with the real numbers).
  const meta = yield* Effect.tryPromise({
    try: () => sharp(bytes, { limitInputPixels: false }).metadata(),
    catch: (cause) => new CorruptImage({ format, detail: errorText(cause) })
  })
  const width = meta.width ?? 0
  const height = meta.pageHeight ?? meta.height ?? 0
  if (width < 1 || height < 1) return yield* new CorruptImage({ format, detail: "the header has no dimensions" })
  if (width * height > config.maxInputPixels) {
    return yield* new TooManyPixels({ width, height, limit: config.maxInputPixels })
  }
  if (Math.max(width, height) > Math.min(width, height) * config.maxAspectRatio) {
    return yield* new ExtremeAspectRatio({ width, height, limit: config.maxAspectRatio })
  }
  const swapped = (meta.orientation ?? 1) >= 5
  return {
    format,
    width,
    height,
    orientedWidth: swapped ? height : width,
    orientedHeight: swapped ? width : height,
    pages: meta.pages ?? 1,
    bytes: bytes.length
  } satisfies Inspected
})
