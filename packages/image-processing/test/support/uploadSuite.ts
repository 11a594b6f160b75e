/**
 * processAndUpload / getManifest / deletePhoto against one ObjectStore. Called once per store:
 * the in-memory test store and the real fs driver.
 */
import { assert, layer } from "@effect/vitest"
import { ObjectStore, TransportError } from "@localex/storage-core"
import { Deferred, Effect, Fiber, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import sharp from "sharp"
import { detectFormat } from "../../src/detect.js"
import { IMMUTABLE, ImagePipeline, itemPhoto } from "../../src/index.js"
import {
  photoAs,
  photoJpeg,
  pngClaiming,
  pngSliver,
  randomBytes,
  svgImage,
  transparentPng,
  truncated
} from "../../src/testing.js"
import { containsExif } from "./exif.js"
import { type PutHook, withPutHook } from "./putHook.js"

let counter = 0
/** A fresh item id per test, so tests sharing a store never see each other's objects. */
const freshId = (label: string) => `${label}-${process.pid}-${++counter}`

/** Every key stored under `prefix`. */
const keysUnder = (prefix: string) =>
  Effect.flatMap(ObjectStore, (store) => Stream.runCollect(store.list({ prefix }))).pipe(
    Effect.map((entries) => entries.flatMap((e) => (e._tag === "Object" ? [e.key] : [])).sort())
  )

const read = (key: string) =>
  Effect.flatMap(ObjectStore, (store) => store.get(key)).pipe(
    Effect.flatMap((got) => Stream.runCollect(got.body)),
    Effect.map((chunks) => Buffer.concat(chunks))
  )

let photo: Promise<Buffer> | undefined
/** A 1600×1200 photo with GPS, stored sideways. */
const samplePhoto = () => {
  photo ??= photoJpeg({ width: 1600, height: 1200, orientation: 6, gps: true, seed: 11 })
  return Effect.promise(() => photo!)
}

/** A pipeline whose store runs `hook` before every put (the suite's store underneath). */
const withHook = (hook: PutHook, written: Array<string>) =>
  Effect.provide(ImagePipeline.layer().pipe(Layer.provide(withPutHook(hook, written))))

const MiB = 1024 * 1024

let sliverPng: Buffer | undefined
/** Made once: deflating its 98 MB of rows takes a moment. */
const sliver = () => {
  sliverPng ??= pngSliver(1, 49_000_000)
  return sliverPng
}

/** Inputs that must be refused, and how. */
const badInputs: ReadonlyArray<{
  readonly name: string
  readonly input: () => Promise<Buffer>
  readonly declared?: { readonly filename?: string; readonly contentType?: string }
  readonly expected: Record<string, unknown> & { readonly _tag: string }
}> = [
  { name: "an empty file", input: async () => Buffer.alloc(0), expected: { _tag: "EmptyImage" } },
  {
    name: "random bytes",
    input: async () => randomBytes(64 * 1024),
    expected: { _tag: "UnsupportedFormat", detected: "unknown" }
  },
  {
    name: "a truncated JPEG",
    input: async () => truncated(await photoJpeg({ width: 800, height: 600, seed: 3 }), 0.5),
    expected: { _tag: "CorruptImage", format: "jpeg" }
  },
  {
    name: "a JPEG cut inside its header",
    input: async () => truncated(await photoJpeg({ width: 800, height: 600, seed: 3 }), 0.001),
    expected: { _tag: "CorruptImage", format: "jpeg" }
  },
  {
    name: "a PNG whose header claims 100,000×100,000 pixels",
    input: async () => pngClaiming(100_000, 100_000),
    expected: { _tag: "TooManyPixels", width: 100_000, height: 100_000, limit: 50_000_000 }
  },
  { name: "an SVG", input: async () => svgImage(), expected: { _tag: "UnsupportedFormat", detected: "svg" } },
  {
    name: "a file named .jpg holding PNG bytes",
    input: () => photoAs("png", 320, 240),
    declared: { filename: "holiday.jpg", contentType: "image/jpeg" },
    expected: { _tag: "FormatMismatch", declared: "image/jpeg", declaredFormat: "jpeg", detected: "png" }
  },
  {
    name: "a JPEG sent as notes.txt",
    input: () => photoAs("jpeg", 320, 240),
    declared: { filename: "notes.txt" },
    expected: { _tag: "FormatMismatch", declared: "notes.txt", declaredFormat: "text/plain", detected: "jpeg" }
  },
  {
    name: "a JPEG sent as text/html",
    input: () => photoAs("jpeg", 320, 240),
    declared: { contentType: "text/html; charset=utf-8", filename: "photo.jpg" },
    expected: {
      _tag: "FormatMismatch",
      declared: "text/html; charset=utf-8",
      declaredFormat: "text/html",
      detected: "jpeg"
    }
  },
  {
    name: "a real 1 × 49,000,000 PNG (under the pixel limit, a sliver)",
    input: async () => sliver(),
    expected: { _tag: "ExtremeAspectRatio", width: 1, height: 49_000_000, limit: 100 }
  },
  {
    name: "an oversized upload (25 MiB + 1 byte)",
    input: async () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(25 * MiB - 3)]),
    expected: { _tag: "ImageTooLarge", bytes: 25 * MiB + 1, limit: 25 * MiB }
  }
]

export const uploadSuite = <E>(name: string, store: Layer.Layer<ObjectStore, E>) =>
  layer(ImagePipeline.layer().pipe(Layer.provideMerge(store)))(`processAndUpload on ${name}`, (it) => {
    it.effect("stores every variant and a manifest beside them, with immutable cache headers", () =>
      Effect.gen(function* () {
        const pipeline = yield* ImagePipeline
        const store = yield* ObjectStore
        const itemId = freshId("whole")
        const manifest = yield* pipeline.processAndUpload(yield* samplePhoto(), itemPhoto(itemId))

        const prefix = `items/${itemId}/photos/${manifest.photoId}`
        assert.strictEqual(manifest.prefix, prefix)
        assert.match(manifest.photoId, /^[0-9a-f]{64}$/)
        assert.deepStrictEqual(manifest.target, { kind: "item", id: itemId })
        assert.deepStrictEqual(manifest.source, {
          format: "jpeg",
          width: 1200,
          height: 1600,
          bytes: (yield* samplePhoto()).length
        })
        assert.isFalse(Number.isNaN(Date.parse(manifest.createdAt)))
        assert.deepStrictEqual(
          manifest.variants.map((v) => [v.key, v.width, v.height]),
          [
            [`${prefix}/large.webp`, 900, 1200],
            [`${prefix}/large.jpg`, 900, 1200],
            [`${prefix}/medium.webp`, 600, 800],
            [`${prefix}/medium.jpg`, 600, 800],
            [`${prefix}/thumbnail.webp`, 225, 300],
            [`${prefix}/thumbnail.jpg`, 225, 300]
          ]
        )
        assert.deepStrictEqual(
          yield* keysUnder(`items/${itemId}/`),
          [...manifest.variants.map((v) => v.key), `${prefix}/manifest.json`].sort()
        )

        for (const variant of manifest.variants) {
          const info = yield* store.head(variant.key)
          assert.strictEqual(info.contentType, variant.contentType, variant.key)
          assert.strictEqual(info.contentType, `image/${variant.format}`, variant.key)
          assert.strictEqual(info.cacheControl, IMMUTABLE, variant.key)
          assert.strictEqual(info.cacheControl, "public, max-age=31536000, immutable", variant.key)
          assert.strictEqual(info.size, variant.bytes, variant.key)
          const bytes = yield* read(variant.key)
          assert.deepStrictEqual(detectFormat(bytes), { supported: true, format: variant.format })
          const meta = yield* Effect.promise(() => sharp(bytes).metadata())
          assert.deepStrictEqual([meta.width, meta.height], [variant.width, variant.height], variant.key)
          assert.isUndefined(meta.exif, variant.key)
          assert.isFalse(containsExif(bytes), variant.key)
        }

        const manifestInfo = yield* store.head(`${prefix}/manifest.json`)
        assert.strictEqual(manifestInfo.contentType, "application/json")
        // The CDN cache policy's: browsers revalidate, the CDN keeps it 60 s.
        assert.strictEqual(manifestInfo.cacheControl, "public, max-age=0, s-maxage=60, must-revalidate")
        assert.deepStrictEqual(JSON.parse((yield* read(`${prefix}/manifest.json`)).toString("utf8")), manifest)
        assert.deepStrictEqual(yield* pipeline.getManifest(prefix), manifest)
        assert.deepStrictEqual(yield* pipeline.getManifest(`${prefix}/manifest.json`), manifest)
        assert.deepStrictEqual(yield* pipeline.listPhotos(itemPhoto(itemId)), [prefix])
      })
    )

    it.effect("stores a transparent image as WebP and PNG", () =>
      Effect.gen(function* () {
        const pipeline = yield* ImagePipeline
        const store = yield* ObjectStore
        const manifest = yield* pipeline.processAndUpload(
          yield* Effect.promise(() => transparentPng(640, 480)),
          itemPhoto(freshId("alpha"))
        )
        assert.deepStrictEqual(
          manifest.variants.map((v) => v.key.split("/").at(-1)),
          ["large.webp", "large.png", "medium.webp", "medium.png", "thumbnail.webp", "thumbnail.png"]
        )
        const png = manifest.variants.find((v) => v.format === "png")!
        assert.strictEqual((yield* store.head(png.key)).contentType, "image/png")
      })
    )

    it.effect("uploading the same photo again rewrites nothing and returns the stored manifest", () =>
      Effect.gen(function* () {
        const pipeline = yield* ImagePipeline
        const store = yield* ObjectStore
        const target = itemPhoto(freshId("again"))
        const first = yield* pipeline.processAndUpload(yield* samplePhoto(), target)
        const etags = yield* Effect.forEach(first.variants, (v) => Effect.map(store.head(v.key), (i) => i.etag))
        yield* TestClock.adjust("1 hour")
        const written: Array<string> = []
        const second = yield* pipeline
          .processAndUpload(yield* samplePhoto(), target)
          .pipe(withHook(() => Effect.void, written))
        assert.deepStrictEqual(second, first)
        assert.deepStrictEqual(written, [])
        assert.deepStrictEqual(
          yield* Effect.forEach(first.variants, (v) => Effect.map(store.head(v.key), (i) => i.etag)),
          etags
        )
      })
    )

    it.effect("two uploads of the same photo at once both succeed, sharing one stored copy", () =>
      Effect.gen(function* () {
        const itemId = freshId("race")
        const bytes = yield* samplePhoto()
        // No put lands until both uploads have started theirs (4 each): both passed the manifest check.
        const gate = yield* Deferred.make<void>()
        const written: Array<string> = []
        const hook: PutHook = (n) =>
          (n === 8 ? Deferred.succeed(gate, undefined) : Effect.void).pipe(Effect.andThen(Deferred.await(gate)))
        const upload = Effect.flatMap(ImagePipeline, (p) => p.processAndUpload(bytes, itemPhoto(itemId)))
        const [a, b] = yield* Effect.all([upload, upload], { concurrency: 2 }).pipe(withHook(hook, written))
        assert.deepStrictEqual(a, b)
        const keys = [...a.variants.map((v) => v.key), `${a.prefix}/manifest.json`].sort()
        assert.deepStrictEqual(yield* keysUnder(`items/${itemId}/`), keys)
        // Each key was created once: the loser's create-only puts found it there.
        assert.deepStrictEqual([...written].sort(), keys)
      })
    )

    for (const bad of badInputs) {
      it.effect(`refuses ${bad.name} with ${bad.expected._tag}, storing nothing`, () =>
        Effect.gen(function* () {
          const pipeline = yield* ImagePipeline
          const itemId = freshId("bad")
          const input = yield* Effect.promise(bad.input)
          const error = yield* Effect.flip(pipeline.processAndUpload(input, itemPhoto(itemId), bad.declared ?? {}))
          for (const [field, value] of Object.entries(bad.expected)) {
            assert.deepStrictEqual((error as unknown as Record<string, unknown>)[field], value, field)
          }
          assert.isAbove(error.message.length, 20)
          assert.deepStrictEqual(yield* keysUnder(`items/${itemId}/`), [])
        })
      )
    }

    it.effect("refuses an item id that cannot be a key before doing any work", () =>
      Effect.gen(function* () {
        const pipeline = yield* ImagePipeline
        const written: Array<string> = []
        const error = yield* Effect.flip(
          pipeline
            .processAndUpload(yield* samplePhoto(), itemPhoto("../escape"))
            .pipe(withHook(() => Effect.void, written))
        )
        assert.strictEqual(error._tag, "InvalidKey")
        assert.deepStrictEqual(written, [])
      })
    )

    it.effect("a failure in the third upload leaves no variant behind", () =>
      Effect.gen(function* () {
        const itemId = freshId("fail3")
        const written: Array<string> = []
        const bytes = yield* samplePhoto()
        const failThird: PutHook = (n, key) =>
          n === 3
            ? Effect.fail(new TransportError({ operation: "PutObject", detail: `injected failure on ${key}` }))
            : Effect.void
        const error = yield* Effect.flip(
          Effect.flatMap(ImagePipeline, (p) => p.processAndUpload(bytes, itemPhoto(itemId))).pipe(
            withHook(failThird, written)
          )
        )
        assert.strictEqual(error._tag, "TransportError")
        // Uploads went through before the third failed: the rollback had something to remove.
        assert.isAtLeast(written.length, 2)
        assert.deepStrictEqual(yield* keysUnder(`items/${itemId}/`), [])
      })
    )

    it.effect("an upload interrupted half-way leaves no variant behind", () =>
      Effect.gen(function* () {
        const itemId = freshId("interrupt")
        const written: Array<string> = []
        const thirdStarted = yield* Deferred.make<void>()
        const upload = yield* Effect.flatMap(ImagePipeline, (p) =>
          Effect.flatMap(samplePhoto(), (bytes) => p.processAndUpload(bytes, itemPhoto(itemId)))
        ).pipe(
          withHook(
            (n) =>
              n === 3
                ? Deferred.succeed(thirdStarted, undefined).pipe(Effect.andThen(Effect.sleep("10 seconds")))
                : Effect.void,
            written
          ),
          Effect.forkChild
        )
        yield* Deferred.await(thirdStarted)
        const interrupting = yield* Effect.forkChild(Fiber.interrupt(upload))
        // The put in flight finishes (puts are not cut off half-way), then everything is removed.
        yield* TestClock.adjust("10 seconds")
        yield* Fiber.join(interrupting)
        assert.isAtLeast(written.length, 3)
        assert.deepStrictEqual(yield* keysUnder(`items/${itemId}/`), [])
      })
    )

    it.effect("deletePhoto removes every variant and the manifest", () =>
      Effect.gen(function* () {
        const pipeline = yield* ImagePipeline
        const itemId = freshId("delete")
        const manifest = yield* pipeline.processAndUpload(yield* samplePhoto(), itemPhoto(itemId))
        const deleted = yield* pipeline.deletePhoto(`${manifest.prefix}/manifest.json`)
        assert.strictEqual(deleted.prefix, manifest.prefix)
        assert.strictEqual(deleted.keys.length, 7)
        assert.strictEqual(deleted.keys.at(-1), `${manifest.prefix}/manifest.json`)
        assert.deepStrictEqual(yield* keysUnder(`items/${itemId}/`), [])
        assert.strictEqual((yield* Effect.flip(pipeline.getManifest(manifest.prefix)))._tag, "PhotoNotFound")
        assert.strictEqual((yield* Effect.flip(pipeline.deletePhoto(manifest.prefix)))._tag, "PhotoNotFound")
      })
    )

    it.effect("deletePhoto refuses anything that is not one photo, and deletes nothing", () =>
      Effect.gen(function* () {
        const pipeline = yield* ImagePipeline
        const itemId = freshId("guard")
        const manifest = yield* pipeline.processAndUpload(yield* samplePhoto(), itemPhoto(itemId))
        for (const ref of ["items/", `items/${itemId}`, `items/${itemId}/photos`, `${manifest.prefix}/large.jpg`, ""]) {
          const error = yield* Effect.flip(pipeline.deletePhoto(ref))
          assert.strictEqual(error._tag, "InvalidPhotoRef", ref)
        }
        assert.strictEqual((yield* keysUnder(`items/${itemId}/`)).length, 7)
      })
    )

    it.effect("getManifest reports a manifest it did not write", () =>
      Effect.gen(function* () {
        const pipeline = yield* ImagePipeline
        const store = yield* ObjectStore
        const prefix = `items/${freshId("corrupt")}/photos/${"a".repeat(64)}`
        yield* store.put(`${prefix}/manifest.json`, Buffer.from('{"version":2}'), { contentType: "application/json" })
        const error = yield* Effect.flip(pipeline.getManifest(prefix))
        assert.strictEqual(error._tag, "InvalidManifest")
      })
    )
  })
