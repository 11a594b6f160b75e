import { assert, describe, it, layer } from "@effect/vitest"
import { layerMemory } from "@localex/storage-core/testing"
import { Effect, Layer } from "effect"
import sharp from "sharp"
import { detectFormat } from "../src/detect.js"
import { ImagePipeline, type ProcessedPhoto } from "../src/index.js"
import { cmykJpeg, photoAs, photoJpeg, transparentPng } from "../src/testing.js"
import { containsExif, GPS_TAG, readExif } from "./support/exif.js"

const metadata = (bytes: Uint8Array) => Effect.promise(() => sharp(bytes).metadata())

/** The mean colour of a region given as fractions of the image. */
const meanColour = (bytes: Uint8Array, x0: number, y0: number, x1: number, y1: number) =>
  Effect.promise(async () => {
    const { width, height } = await sharp(bytes).metadata()
    const left = Math.floor(width * x0)
    const top = Math.floor(height * y0)
    const region = { left, top, width: Math.floor(width * x1) - left, height: Math.floor(height * y1) - top }
    const { data, info } = await sharp(bytes).extract(region).raw().toBuffer({ resolveWithObject: true })
    const sums = [0, 0, 0]
    for (let i = 0; i < data.length; i += info.channels) for (let c = 0; c < 3; c++) sums[c]! += data[i + c]!
    return sums.map((sum) => Math.round(sum / (data.length / info.channels)))
  })

const isRed = ([r, g, b]: ReadonlyArray<number>) => r! > 200 && g! < 60 && b! < 60

/** Size × format of each variant, in order: what a caller sees. */
const shape = (photo: ProcessedPhoto) => photo.variants.map((v) => `${v.size}:${v.format}:${v.width}x${v.height}`)

/** Every variant is what it says it is (magic bytes, and sharp agrees), has its stated size and no metadata. */
const assertHonestVariants = (photo: ProcessedPhoto) =>
  Effect.forEach(photo.variants, (variant) =>
    Effect.gen(function* () {
      const label = `${variant.size}.${variant.extension}`
      const detection = detectFormat(variant.data)
      assert.deepStrictEqual(
        detection,
        { supported: true, format: variant.format === "png" ? "png" : variant.format },
        label
      )
      const meta = yield* metadata(variant.data)
      assert.strictEqual(meta.format === "heif" ? "avif" : meta.format, variant.format, label)
      assert.strictEqual(meta.width, variant.width, label)
      assert.strictEqual(meta.height, variant.height, label)
      assert.isUndefined(meta.exif, `${label} carries EXIF`)
      assert.isUndefined(meta.xmp, `${label} carries XMP`)
      assert.isUndefined(meta.iptc, `${label} carries IPTC`)
      assert.isUndefined(meta.orientation, `${label} carries an orientation`)
      assert.isFalse(containsExif(variant.data), `${label} contains an EXIF block`)
      assert.strictEqual(variant.contentType, `image/${variant.format}`)
    })
  )

let phone: Promise<Buffer> | undefined
/** A 4000×3000 phone photo stored sideways (EXIF orientation 6) with GPS tags, its stored top-left red. */
const phonePhoto = () => {
  phone ??= photoJpeg({ width: 4000, height: 3000, orientation: 6, gps: true, redCorner: true })
  return Effect.promise(() => phone!)
}

const pipelineWith = (config: Parameters<typeof ImagePipeline.layer>[0]) =>
  ImagePipeline.layer(config).pipe(Layer.provide(layerMemory()))

layer(ImagePipeline.layer().pipe(Layer.provide(layerMemory())))("ImagePipeline.process", (it) => {
  it.effect("the test photo really is a sideways 4000×3000 JPEG carrying GPS", () =>
    Effect.gen(function* () {
      const meta = yield* metadata(yield* phonePhoto())
      assert.strictEqual(meta.format, "jpeg")
      assert.strictEqual(meta.width, 4000)
      assert.strictEqual(meta.height, 3000)
      assert.strictEqual(meta.orientation, 6)
      const exif = readExif(meta.exif!)
      assert.strictEqual(exif.gps.get(GPS_TAG.LatitudeRef), "N")
      assert.deepStrictEqual(exif.gps.get(GPS_TAG.Latitude), [51, 30, 0])
      assert.strictEqual(exif.gps.get(GPS_TAG.LongitudeRef), "W")
    })
  )

  it.effect("turns a sideways phone photo into upright variants in WebP and JPEG, without EXIF or GPS", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const photo = yield* pipeline.process(yield* phonePhoto(), {
        contentType: "image/jpeg",
        filename: "IMG_0001.JPG"
      })
      assert.deepStrictEqual(shape(photo), [
        "large:webp:900x1200",
        "large:jpeg:900x1200",
        "medium:webp:600x800",
        "medium:jpeg:600x800",
        "thumbnail:webp:225x300",
        "thumbnail:jpeg:225x300"
      ])
      assert.deepStrictEqual(photo.source, {
        format: "jpeg",
        width: 3000,
        height: 4000,
        bytes: (yield* phonePhoto()).length
      })
      assert.isFalse(photo.hasAlpha)
      assert.match(photo.photoId, /^[0-9a-f]{64}$/)
      yield* assertHonestVariants(photo)
    })
  )

  it.effect("rotates the pixels, not just the dimensions: the stored top-left ends up top-right", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const photo = yield* pipeline.process(yield* phonePhoto())
      for (const variant of photo.variants) {
        assert.isTrue(isRed(yield* meanColour(variant.data, 0.92, 0.02, 0.98, 0.08)), `${variant.size} top-right`)
        assert.isFalse(isRed(yield* meanColour(variant.data, 0.02, 0.02, 0.08, 0.08)), `${variant.size} top-left`)
      }
    })
  )

  it.effect("never enlarges a small image: every size keeps its own dimensions", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const small = yield* Effect.promise(() => photoJpeg({ width: 200, height: 150 }))
      const photo = yield* pipeline.process(small)
      assert.deepStrictEqual(
        photo.variants.map((v) => [v.width, v.height]),
        Array.from({ length: 6 }, () => [200, 150])
      )
      yield* assertHonestVariants(photo)
    })
  )

  it.effect("sizes a landscape image by its long side and keeps the aspect ratio", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const photo = yield* pipeline.process(yield* Effect.promise(() => photoJpeg({ width: 2000, height: 1000 })))
      assert.deepStrictEqual(
        shape(photo).filter((s) => s.includes(":jpeg:")),
        ["large:jpeg:1200x600", "medium:jpeg:800x400", "thumbnail:jpeg:300x150"]
      )
    })
  )

  it.effect("keeps transparency: PNG instead of JPEG, alpha in both PNG and WebP", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const photo = yield* pipeline.process(yield* Effect.promise(() => transparentPng(1000, 800)))
      assert.isTrue(photo.hasAlpha)
      assert.deepStrictEqual(
        photo.variants.map((v) => `${v.size}:${v.format}`),
        ["large:webp", "large:png", "medium:webp", "medium:png", "thumbnail:webp", "thumbnail:png"]
      )
      yield* assertHonestVariants(photo)
      for (const variant of photo.variants) {
        assert.isTrue((yield* metadata(variant.data)).hasAlpha, `${variant.size}.${variant.extension} lost its alpha`)
        // The corner is outside the disc: still fully transparent.
        const { data } = yield* Effect.promise(() => sharp(variant.data).raw().toBuffer({ resolveWithObject: true }))
        assert.strictEqual(data[3], 0, `${variant.size}.${variant.extension} corner alpha`)
      }
    })
  )

  it.effect("uses JPEG when an alpha channel is fully opaque", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const pixels = Buffer.alloc(300 * 200 * 4, 200)
      for (let i = 3; i < pixels.length; i += 4) pixels[i] = 255
      const opaque = yield* Effect.promise(() =>
        sharp(pixels, { raw: { width: 300, height: 200, channels: 4 } })
          .png()
          .toBuffer()
      )
      assert.isTrue((yield* metadata(opaque)).hasAlpha)
      const photo = yield* pipeline.process(opaque)
      assert.isFalse(photo.hasAlpha)
      assert.deepStrictEqual([...new Set(photo.variants.map((v) => v.format))], ["webp", "jpeg"])
    })
  )

  it.effect("converts a CMYK photo to sRGB", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const cmyk = yield* Effect.promise(() => cmykJpeg(640, 480))
      assert.strictEqual((yield* metadata(cmyk)).space, "cmyk")
      const photo = yield* pipeline.process(cmyk)
      for (const variant of photo.variants) {
        const meta = yield* metadata(variant.data)
        assert.strictEqual(meta.space, "srgb")
        assert.strictEqual(meta.channels, 3)
      }
    })
  )

  it.effect("accepts every supported input format", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      for (const format of ["jpeg", "png", "webp", "avif", "gif"] as const) {
        const photo = yield* pipeline.process(yield* Effect.promise(() => photoAs(format, 480, 320)))
        assert.strictEqual(photo.source.format, format)
        assert.deepStrictEqual(shape(photo).slice(0, 2), ["large:webp:480x320", "large:jpeg:480x320"], format)
      }
    })
  )

  it.effect("gives the same photo the same id, whatever its metadata", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const plain = yield* Effect.promise(() => photoJpeg({ width: 800, height: 600, seed: 5 }))
      const tagged = yield* Effect.promise(() =>
        sharp(plain)
          .withExif({ IFD0: { Make: "Other" } })
          .keepExif()
          .toBuffer()
      )
      assert.notDeepEqual(plain, tagged)
      const a = yield* pipeline.process(plain)
      const b = yield* pipeline.process(plain)
      assert.strictEqual(a.photoId, b.photoId)
      const other = yield* pipeline.process(
        yield* Effect.promise(() => photoJpeg({ width: 800, height: 600, seed: 6 }))
      )
      assert.notStrictEqual(a.photoId, other.photoId)
    })
  )

  it.effect("keeps no pixels once a photo is done: only its encoded variants are left to collect", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const input = yield* phonePhoto()
      yield* pipeline.process(input)
      const before = process.memoryUsage().external
      let encoded = 0
      for (let i = 0; i < 3; i++) {
        const photo = yield* pipeline.process(input)
        encoded += photo.variants.reduce((sum, variant) => sum + variant.data.length, 0)
      }
      // The raw 1200, 800 and 300 px buffers of a photo are ~5 MB; left to V8's garbage collector they pile up.
      assert.isBelow(process.memoryUsage().external - before, encoded + 2 * 1024 * 1024)
    })
  )
})

describe("ImagePipeline.process with other settings", () => {
  it.effect("stores no WebP when IMAGE_ENABLE_WEBP is off", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const photo = yield* pipeline.process(yield* phonePhoto())
      assert.deepStrictEqual(shape(photo), ["large:jpeg:900x1200", "medium:jpeg:600x800", "thumbnail:jpeg:225x300"])
    }).pipe(Effect.provide(pipelineWith({ enableWebp: false })))
  )

  it.effect("adds AVIF when enabled, at the configured sizes", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const photo = yield* pipeline.process(yield* Effect.promise(() => photoJpeg({ width: 1000, height: 750 })))
      assert.deepStrictEqual(shape(photo), [
        "large:avif:640x480",
        "large:webp:640x480",
        "large:jpeg:640x480",
        "medium:avif:320x240",
        "medium:webp:320x240",
        "medium:jpeg:320x240",
        "thumbnail:avif:100x75",
        "thumbnail:webp:100x75",
        "thumbnail:jpeg:100x75"
      ])
      yield* assertHonestVariants(photo)
    }).pipe(Effect.provide(pipelineWith({ enableAvif: true, thumbnailSize: 100, mediumSize: 320, largeSize: 640 })))
  )

  it.effect("gives the same pixels a different id when the settings change the variants", () =>
    Effect.gen(function* () {
      const input = yield* Effect.promise(() => photoJpeg({ width: 800, height: 600, seed: 5 }))
      const id = (config: Parameters<typeof ImagePipeline.layer>[0]) =>
        Effect.flatMap(ImagePipeline, (p) => p.process(input)).pipe(
          Effect.map((photo) => photo.photoId),
          Effect.provide(pipelineWith(config))
        )
      assert.notStrictEqual(yield* id({}), yield* id({ quality: 60 }))
      assert.notStrictEqual(yield* id({}), yield* id({ enableWebp: false }))
      assert.strictEqual(yield* id({}), yield* id({ concurrency: 1 }))
    })
  )

  it.effect("IMAGE_WEBP_EFFORT trades WebP bytes for CPU, and changes only the WebP variants and the id", () =>
    Effect.gen(function* () {
      const input = yield* Effect.promise(() => photoJpeg({ width: 800, height: 600, seed: 5 }))
      const run = (webpEffort: number) =>
        Effect.flatMap(ImagePipeline, (p) => p.process(input)).pipe(Effect.provide(pipelineWith({ webpEffort })))
      const fast = yield* run(0)
      const small = yield* run(6)
      const bytes = (photo: ProcessedPhoto, format: string) =>
        photo.variants.filter((v) => v.format === format).map((v) => v.data)
      const total = (parts: ReadonlyArray<Uint8Array>) => parts.reduce((sum, p) => sum + p.length, 0)
      assert.isAbove(total(bytes(fast, "webp")), total(bytes(small, "webp")))
      assert.deepStrictEqual(bytes(fast, "jpeg"), bytes(small, "jpeg"))
      assert.notStrictEqual(fast.photoId, small.photoId)
      yield* assertHonestVariants(fast)
    })
  )

  it.effect(
    "writes baseline JPEGs unless IMAGE_JPEG_PROGRESSIVE is on: the same pixels, only the JPEGs and the id change",
    () =>
      Effect.gen(function* () {
        const input = yield* Effect.promise(() => photoJpeg({ width: 800, height: 600, seed: 5 }))
        const run = (jpegProgressive?: boolean) =>
          Effect.flatMap(ImagePipeline, (p) => p.process(input)).pipe(
            Effect.provide(pipelineWith(jpegProgressive === undefined ? {} : { jpegProgressive }))
          )
        const baseline = yield* run()
        const progressive = yield* run(true)
        const jpegs = (photo: ProcessedPhoto) => photo.variants.filter((v) => v.format === "jpeg")
        const webps = (photo: ProcessedPhoto) => photo.variants.filter((v) => v.format === "webp").map((v) => v.data)
        for (const [a, b] of jpegs(baseline).map((v, i) => [v, jpegs(progressive)[i]!] as const)) {
          assert.isFalse((yield* metadata(a.data)).isProgressive, `${a.size} default`)
          assert.isTrue((yield* metadata(b.data)).isProgressive, `${b.size} progressive`)
          const pixels = (data: Uint8Array) => Effect.promise(() => sharp(data).raw().toBuffer())
          assert.deepStrictEqual(yield* pixels(a.data), yield* pixels(b.data), `${a.size} pixels`)
        }
        assert.deepStrictEqual(webps(baseline), webps(progressive))
        assert.notStrictEqual(baseline.photoId, progressive.photoId)
        yield* assertHonestVariants(baseline)
      })
  )

  it.live("stops at IMAGE_TIMEOUT_MS with ProcessingTimeout", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const error = yield* Effect.flip(pipeline.process(yield* phonePhoto()))
      assert.strictEqual(error._tag, "ProcessingTimeout")
      assert.include(error.message, "IMAGE_TIMEOUT_MS")
    }).pipe(Effect.provide(pipelineWith({ timeoutMs: 1 })))
  )
})

layer(ImagePipeline.layer().pipe(Layer.provide(layerMemory())))("ImagePipeline.optimizeImage", (it) => {
  it.effect("re-encodes a heavy JPEG smaller, in the same format, upright and without EXIF", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const heavy = yield* Effect.promise(() =>
        photoJpeg({ width: 1600, height: 1200, quality: 100, orientation: 6, gps: true })
      )
      const result = yield* pipeline.optimizeImage(heavy)
      assert.isTrue(result.reencoded)
      assert.isBelow(result.outputBytes, heavy.length)
      assert.strictEqual(result.data.length, result.outputBytes)
      assert.strictEqual(result.contentType, "image/jpeg")
      assert.deepStrictEqual(detectFormat(result.data), { supported: true, format: "jpeg" })
      const meta = yield* metadata(result.data)
      assert.deepStrictEqual([meta.width, meta.height], [1200, 1600])
      assert.isUndefined(meta.exif)
      assert.isFalse(containsExif(result.data))
    })
  )

  it.effect("returns the input itself when re-encoding would not make it smaller", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      // Already squeezed: a quality-30 JPEG (re-encoding at 85 grows it), a maximally compressed PNG.
      const squeezed = yield* Effect.promise(() => photoJpeg({ width: 64, height: 48, quality: 30 }))
      const packed = yield* Effect.promise(async () =>
        sharp(await photoAs("png", 64, 48))
          .png({ compressionLevel: 9 })
          .toBuffer()
      )
      for (const input of [squeezed, packed]) {
        const result = yield* pipeline.optimizeImage(input)
        assert.isFalse(result.reencoded)
        assert.deepStrictEqual(Buffer.from(result.data), input)
        assert.strictEqual(result.outputBytes, input.length)
      }
    })
  )

  it.effect("never returns more bytes than it was given, for any format", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      for (const format of ["jpeg", "png", "webp", "avif", "gif"] as const) {
        const input = yield* Effect.promise(() => photoAs(format, 320, 240))
        const result = yield* pipeline.optimizeImage(input)
        assert.isAtMost(result.data.length, input.length, format)
        assert.deepStrictEqual(detectFormat(result.data), { supported: true, format }, format)
      }
    })
  )

  it.effect("refuses what process refuses", () =>
    Effect.gen(function* () {
      const pipeline = yield* ImagePipeline
      const png = yield* Effect.promise(() => photoAs("png", 64, 64))
      const error = yield* Effect.flip(pipeline.optimizeImage(png, { filename: "photo.jpg" }))
      assert.strictEqual(error._tag, "FormatMismatch")
    })
  )
})
