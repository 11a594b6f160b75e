/**
 * The image settings, read from the environment in this one place.
 *
 * | variable                   | default                      | meaning                                              |
 * | -------------------------- | ---------------------------- | ---------------------------------------------------- |
 * | IMAGE_ENABLE_WEBP          | true                         | a WebP of every size                                 |
 * | IMAGE_ENABLE_AVIF          | false                        | an AVIF of every size (slow to encode)               |
 * | IMAGE_QUALITY              | 85                           | lossy quality, 1–100                                 |
 * | IMAGE_WEBP_EFFORT          | 2                            | WebP encoder effort, 0 (fastest) – 6 (smallest)      |
 * | IMAGE_JPEG_PROGRESSIVE     | false                        | progressive JPEGs (6% smaller, 1.8× the JPEG CPU)    |
 * | IMAGE_THUMBNAIL_SIZE       | 300                          | thumbnail fits in this square (px)                   |
 * | IMAGE_MEDIUM_SIZE          | 800                          | medium fits in this square (px)                      |
 * | IMAGE_LARGE_SIZE           | 1200                         | large fits in this square (px)                       |
 * | IMAGE_MAX_INPUT_BYTES      | 26214400 (25 MiB)            | larger inputs are refused unread                     |
 * | IMAGE_MAX_INPUT_PIXELS     | 50000000 (50 MP)             | width × height from the header, checked before decoding |
 * | IMAGE_MAX_ASPECT_RATIO     | 100                          | longer side ÷ shorter side, checked before decoding  |
 * | IMAGE_TIMEOUT_MS           | 30000                        | processing one image takes at most this long         |
 * | IMAGE_CONCURRENCY          | available CPUs               | images processed at once                             |
 * | IMAGE_THREADS              | available CPUs               | libvips threads per image (sharp.concurrency)        |
 * | IMAGE_UPLOAD_CONCURRENCY   | 4                            | variant uploads in flight per photo                  |
 */
import * as os from "node:os"
import { Config, Effect } from "effect"
import { ImageConfigError } from "./Errors.js"

export const MiB = 1024 * 1024

export interface ImageConfig {
  readonly enableWebp: boolean
  readonly enableAvif: boolean
  /** Lossy quality (JPEG, WebP, AVIF), 1–100. */
  readonly quality: number
  /**
   * WebP encoder effort (libwebp's method), 0–6: lower is faster and gives larger files. 2 rather
   * than sharp's 4 halves the WebP CPU for about 4% more WebP bytes (see the README).
   */
  readonly webpEffort: number
  /**
   * Progressive JPEGs. Off: baseline JPEGs, the same pixels for ~45% less JPEG CPU and ~6% more
   * JPEG bytes (the JPEG is the fallback next to the WebP; see the README).
   */
  readonly jpegProgressive: boolean
  readonly thumbnailSize: number
  readonly mediumSize: number
  readonly largeSize: number
  readonly maxInputBytes: number
  readonly maxInputPixels: number
  /** Longer side ÷ shorter side: slivers cost decode CPU out of proportion to their pixels. */
  readonly maxAspectRatio: number
  readonly timeoutMs: number
  /** Images processed at once (a semaphore). */
  readonly concurrency: number
  /** libvips worker threads per image: `sharp.concurrency` (process-wide). */
  readonly threads: number
  /** Variant uploads in flight for one photo. */
  readonly uploadConcurrency: number
}

const cpus = Math.max(1, os.availableParallelism())

export const defaults: ImageConfig = {
  enableWebp: true,
  enableAvif: false,
  quality: 85,
  webpEffort: 2,
  jpegProgressive: false,
  thumbnailSize: 300,
  mediumSize: 800,
  largeSize: 1200,
  maxInputBytes: 25 * MiB,
  maxInputPixels: 50_000_000,
  maxAspectRatio: 100,
  timeoutMs: 30_000,
  concurrency: cpus,
  threads: cpus,
  uploadConcurrency: 4
}

/** Each setting's environment variable, for error messages. */
export const variables: Readonly<Record<keyof ImageConfig, string>> = {
  enableWebp: "IMAGE_ENABLE_WEBP",
  enableAvif: "IMAGE_ENABLE_AVIF",
  quality: "IMAGE_QUALITY",
  webpEffort: "IMAGE_WEBP_EFFORT",
  jpegProgressive: "IMAGE_JPEG_PROGRESSIVE",
  thumbnailSize: "IMAGE_THUMBNAIL_SIZE",
  mediumSize: "IMAGE_MEDIUM_SIZE",
  largeSize: "IMAGE_LARGE_SIZE",
  maxInputBytes: "IMAGE_MAX_INPUT_BYTES",
  maxInputPixels: "IMAGE_MAX_INPUT_PIXELS",
  maxAspectRatio: "IMAGE_MAX_ASPECT_RATIO",
  timeoutMs: "IMAGE_TIMEOUT_MS",
  concurrency: "IMAGE_CONCURRENCY",
  threads: "IMAGE_THREADS",
  uploadConcurrency: "IMAGE_UPLOAD_CONCURRENCY"
}

/** Inclusive integer ranges of the numeric settings. */
const ranges: ReadonlyArray<readonly [keyof ImageConfig, number, number]> = [
  ["quality", 1, 100],
  ["webpEffort", 0, 6],
  ["thumbnailSize", 16, 16_384],
  ["mediumSize", 16, 16_384],
  ["largeSize", 16, 16_384],
  ["maxInputBytes", 1, 1024 * MiB],
  // sharp's own ceiling (0x3FFF × 0x3FFF)
  ["maxInputPixels", 1, 268_402_689],
  ["maxAspectRatio", 1, 100_000],
  ["timeoutMs", 1, 3_600_000],
  ["concurrency", 1, 256],
  ["threads", 1, 1024],
  ["uploadConcurrency", 1, 64]
]

const invalid = (key: keyof ImageConfig, reason: string) =>
  Effect.fail(new ImageConfigError({ setting: variables[key], reason }))

/** `defaults` overridden by `overrides`, checked: a value that cannot work fails with `ImageConfigError`. */
export const make = Effect.fnUntraced(function* (overrides: Partial<ImageConfig> = {}) {
  const config: ImageConfig = { ...defaults, ...overrides }
  for (const [key, min, max] of ranges) {
    const value = config[key] as number
    if (!Number.isInteger(value) || value < min || value > max) {
      return yield* invalid(key, `must be a whole number from ${min} to ${max} (got ${value})`)
    }
  }
  if (!(config.thumbnailSize < config.mediumSize && config.mediumSize < config.largeSize)) {
    return yield* invalid(
      "mediumSize",
      `sizes must grow: thumbnail < medium < large (got ${config.thumbnailSize} < ${config.mediumSize} < ${config.largeSize})`
    )
  }
  return config
})

const read = <A>(key: keyof ImageConfig, config: Config.Config<A>) =>
  config.pipe(
    Config.withDefault(defaults[key] as A),
    Effect.mapError((error) => new ImageConfigError({ setting: variables[key], reason: error.message }))
  )

/** Reads the settings from the environment (the current ConfigProvider) and checks them. */
export const load: Effect.Effect<ImageConfig, ImageConfigError> = Effect.gen(function* () {
  const int = (key: keyof ImageConfig) => read(key, Config.Int(variables[key]))
  return yield* make({
    enableWebp: yield* read("enableWebp", Config.Boolean(variables.enableWebp)),
    enableAvif: yield* read("enableAvif", Config.Boolean(variables.enableAvif)),
    quality: yield* int("quality"),
    webpEffort: yield* int("webpEffort"),
    jpegProgressive: yield* read("jpegProgressive", Config.Boolean(variables.jpegProgressive)),
    thumbnailSize: yield* int("thumbnailSize"),
    mediumSize: yield* int("mediumSize"),
    largeSize: yield* int("largeSize"),
    maxInputBytes: yield* int("maxInputBytes"),
    maxInputPixels: yield* int("maxInputPixels"),
    maxAspectRatio: yield* int("maxAspectRatio"),
    timeoutMs: yield* int("timeoutMs"),
    concurrency: yield* int("concurrency"),
    threads: yield* int("threads"),
    uploadConcurrency: yield* int("uploadConcurrency")
  })
})
