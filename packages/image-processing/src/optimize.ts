/**
 * `optimizeImage`: the same image, same format, re-encoded at the configured quality with the
 * metadata stripped and the orientation applied, or the input itself when that is not smaller.
 */
import { Effect } from "effect"
import sharp, { type Sharp } from "sharp"
import type { InputFormat } from "./detect.js"
import { CorruptImage, TooManyPixels } from "./Errors.js"
import type { ImageConfig } from "./ImageConfig.js"
import type { Inspected } from "./validate.js"
import { contentTypes, encoder, errorText } from "./variants.js"

export interface OptimizedImage {
  /** The re-encoded bytes, or the input's own bytes when `reencoded` is false. */
  readonly data: Uint8Array
  readonly format: InputFormat
  readonly contentType: string
  readonly inputBytes: number
  readonly outputBytes: number
  /**
   * False when re-encoding did not make the file smaller and the input was returned unchanged:
   * its metadata (EXIF, GPS) is then still in it. Publish photos through `process`, which always strips.
   */
  readonly reencoded: boolean
}

const reencode = (pipeline: Sharp, format: InputFormat, config: ImageConfig): Sharp =>
  format === "gif" ? pipeline.gif({ effort: 10 }) : encoder(pipeline, format, config)

export const optimize = Effect.fnUntraced(function* (bytes: Uint8Array, header: Inspected, config: ImageConfig) {
  const animated = header.pages > 1 && (header.format === "gif" || header.format === "webp")
  // Every frame is decoded for an animated image: the limit holds for all of them together.
  if (animated && header.width * header.height * header.pages > config.maxInputPixels) {
    return yield* new TooManyPixels({
      width: header.width,
      height: header.height * header.pages,
      limit: config.maxInputPixels
    })
  }
  const input = sharp(bytes, { limitInputPixels: config.maxInputPixels, failOn: "error", animated }).timeout({
    seconds: Math.max(1, Math.ceil(config.timeoutMs / 1000))
  })
  const output = yield* Effect.tryPromise({
    try: () => reencode(animated ? input : input.autoOrient(), header.format, config).toBuffer(),
    catch: (cause) => new CorruptImage({ format: header.format, detail: errorText(cause) })
  })
  const reencoded = output.length < bytes.length
  const data = reencoded ? new Uint8Array(output.buffer, output.byteOffset, output.byteLength) : bytes
  return {
    data,
    format: header.format,
    contentType: header.format === "gif" ? "image/gif" : contentTypes[header.format],
    inputBytes: bytes.length,
    outputBytes: data.length,
    reencoded
  } satisfies OptimizedImage
})
