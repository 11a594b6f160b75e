import { assert, describe, it } from "@effect/vitest"
import { layerMemory } from "@localex/storage-core/testing"
import { ConfigProvider, Effect, Layer } from "effect"
import { ImageConfigError, ImagePipeline } from "../src/index.js"

/** Builds the pipeline from these environment variables and returns its settings (or the error). */
const fromEnv = (env: Record<string, string>) =>
  Effect.map(ImagePipeline, (pipeline) => pipeline.config).pipe(
    Effect.provide(
      ImagePipeline.layerConfig.pipe(
        Layer.provide(layerMemory()),
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))
      )
    )
  )

describe("ImagePipeline.layerConfig", () => {
  it.effect("uses the operations guide's values when nothing is set", () =>
    Effect.gen(function* () {
      const config = yield* fromEnv({})
      assert.strictEqual(config.enableWebp, true)
      assert.strictEqual(config.enableAvif, false)
      assert.strictEqual(config.quality, 85)
      assert.strictEqual(config.webpEffort, 2)
      assert.strictEqual(config.jpegProgressive, false)
      assert.strictEqual(config.thumbnailSize, 300)
      assert.strictEqual(config.mediumSize, 800)
      assert.strictEqual(config.largeSize, 1200)
      assert.strictEqual(config.maxInputBytes, 25 * 1024 * 1024)
      assert.strictEqual(config.maxInputPixels, 50_000_000)
    })
  )

  it.effect("reads every IMAGE_* variable", () =>
    Effect.gen(function* () {
      const config = yield* fromEnv({
        IMAGE_ENABLE_WEBP: "false",
        IMAGE_ENABLE_AVIF: "true",
        IMAGE_QUALITY: "70",
        IMAGE_WEBP_EFFORT: "6",
        IMAGE_JPEG_PROGRESSIVE: "true",
        IMAGE_THUMBNAIL_SIZE: "200",
        IMAGE_MEDIUM_SIZE: "640",
        IMAGE_LARGE_SIZE: "1600",
        IMAGE_MAX_INPUT_BYTES: "1048576",
        IMAGE_MAX_INPUT_PIXELS: "24000000",
        IMAGE_MAX_ASPECT_RATIO: "50",
        IMAGE_TIMEOUT_MS: "5000",
        IMAGE_CONCURRENCY: "3",
        IMAGE_THREADS: "2",
        IMAGE_UPLOAD_CONCURRENCY: "6"
      })
      assert.deepStrictEqual(config, {
        enableWebp: false,
        enableAvif: true,
        quality: 70,
        webpEffort: 6,
        jpegProgressive: true,
        thumbnailSize: 200,
        mediumSize: 640,
        largeSize: 1600,
        maxInputBytes: 1048576,
        maxInputPixels: 24_000_000,
        maxAspectRatio: 50,
        timeoutMs: 5000,
        concurrency: 3,
        threads: 2,
        uploadConcurrency: 6
      })
    })
  )

  it.effect.each([
    [{ IMAGE_QUALITY: "0" }, "IMAGE_QUALITY"],
    [{ IMAGE_QUALITY: "101" }, "IMAGE_QUALITY"],
    [{ IMAGE_QUALITY: "high" }, "IMAGE_QUALITY"],
    [{ IMAGE_ENABLE_WEBP: "maybe" }, "IMAGE_ENABLE_WEBP"],
    [{ IMAGE_WEBP_EFFORT: "7" }, "IMAGE_WEBP_EFFORT"],
    [{ IMAGE_WEBP_EFFORT: "-1" }, "IMAGE_WEBP_EFFORT"],
    [{ IMAGE_JPEG_PROGRESSIVE: "sometimes" }, "IMAGE_JPEG_PROGRESSIVE"],
    [{ IMAGE_THUMBNAIL_SIZE: "-5" }, "IMAGE_THUMBNAIL_SIZE"],
    [{ IMAGE_MEDIUM_SIZE: "2000" }, "IMAGE_MEDIUM_SIZE"],
    [{ IMAGE_MAX_INPUT_BYTES: "0" }, "IMAGE_MAX_INPUT_BYTES"],
    [{ IMAGE_MAX_INPUT_PIXELS: "1.5" }, "IMAGE_MAX_INPUT_PIXELS"],
    [{ IMAGE_TIMEOUT_MS: "0" }, "IMAGE_TIMEOUT_MS"],
    [{ IMAGE_CONCURRENCY: "0" }, "IMAGE_CONCURRENCY"]
  ] as const)("refuses %j at start, naming %s", ([env, setting]) =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(fromEnv(env))
      assert.instanceOf(error, ImageConfigError)
      assert.strictEqual(error.setting, setting)
      assert.include(error.message, setting)
    })
  )
})

describe("ImagePipeline.layer", () => {
  it.effect("refuses sizes that do not grow from thumbnail to large", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.provide(ImagePipeline, ImagePipeline.layer({ thumbnailSize: 900 }).pipe(Layer.provide(layerMemory())))
      )
      assert.strictEqual(error._tag, "ImageConfigError")
      assert.match(error.reason, /thumbnail < medium < large/)
    })
  )
})
