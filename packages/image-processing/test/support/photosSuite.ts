/**
 * The Photos service (item photos, the one profile photo per user) against one ObjectStore that
 * supports conditional writes. Called once per store: the fs driver and the s3 driver on the
 * local Ceph RGW.
 */
import { assert, layer } from "@effect/vitest"
import { ObjectStore } from "@localex/storage-core"
import { Effect, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { ImagePipeline, itemPhoto, Photos, profilePhoto } from "../../src/index.js"
import { photoJpeg } from "../../src/testing.js"

let counter = 0
const freshId = (label: string) => `${label}-${process.pid}-${++counter}`

const keysUnder = (prefix: string) =>
  Effect.flatMap(ObjectStore, (store) => Stream.runCollect(store.list({ prefix }))).pipe(
    Effect.map((entries) => entries.flatMap((e) => (e._tag === "Object" ? [e.key] : [])).sort())
  )

const readText = (key: string) =>
  Effect.flatMap(ObjectStore, (store) => store.get(key)).pipe(
    Effect.flatMap((got) => Stream.runCollect(got.body)),
    Effect.map((chunks) => Buffer.concat(chunks).toString("utf8"))
  )

/** Small distinct photos (seeded), so each has its own photo id. */
const photo = (seed: number) => Effect.promise(() => photoJpeg({ width: 320, height: 240, seed }))

/** The keys a whole photo has: 6 variants (3 sizes × WebP, JPEG) and its manifest. */
const WHOLE = 7

export const photosSuite = <E>(name: string, store: Layer.Layer<ObjectStore, E>) =>
  layer(Photos.layer.pipe(Layer.provideMerge(ImagePipeline.layer()), Layer.provideMerge(store)))(
    `Photos on ${name}`,
    (it) => {
      it.effect("a new profile photo replaces the old one; the pointer names it; delete leaves none", () =>
        Effect.gen(function* () {
          const photos = yield* Photos
          const userId = freshId("user")
          const missing = yield* Effect.flip(photos.getProfilePhoto(userId))
          assert.strictEqual(missing._tag, "ProfilePhotoNotFound")
          assert.include(missing.message, userId)

          const first = yield* photos.setProfilePhoto(userId, yield* photo(1), { filename: "me.jpg" })
          const second = yield* photos.setProfilePhoto(userId, yield* photo(2))
          assert.notStrictEqual(first.prefix, second.prefix)
          assert.deepStrictEqual(yield* photos.getProfilePhoto(userId), second)
          assert.deepStrictEqual(yield* keysUnder(`${first.prefix}/`), [])
          assert.strictEqual((yield* keysUnder(`profiles/${userId}/photos/`)).length, WHOLE)
          const pointer = JSON.parse(yield* readText(`profiles/${userId}/photo.json`))
          assert.strictEqual(pointer.prefix, second.prefix)

          // The same photo again: nothing changes.
          assert.deepStrictEqual(yield* photos.setProfilePhoto(userId, yield* photo(2)), second)
          assert.strictEqual((yield* keysUnder(`profiles/${userId}/photos/`)).length, WHOLE)

          const deleted = yield* photos.deleteProfilePhoto(userId)
          assert.deepStrictEqual(
            deleted.map((d) => d.prefix),
            [second.prefix]
          )
          assert.deepStrictEqual(yield* keysUnder(`profiles/${userId}/photos/`), [])
          assert.strictEqual((yield* Effect.flip(photos.getProfilePhoto(userId)))._tag, "ProfilePhotoNotFound")
          assert.strictEqual((yield* Effect.flip(photos.deleteProfilePhoto(userId)))._tag, "ProfilePhotoNotFound")
        })
      )

      it.effect("10 replacements at once leave exactly one whole photo, the one the pointer names", () =>
        // Live clock: racing writers back off for a few real milliseconds between swaps.
        TestClock.withLive(
          Effect.gen(function* () {
            const photos = yield* Photos
            const userId = freshId("race")
            const inputs = yield* Effect.forEach([10, 11, 12, 13, 14, 15, 16, 17, 18, 19], photo)
            const set = yield* Effect.forEach(inputs, (bytes) => photos.setProfilePhoto(userId, bytes), {
              concurrency: "unbounded"
            })
            assert.strictEqual(new Set(set.map((m) => m.prefix)).size, 10)

            const keys = yield* keysUnder(`profiles/${userId}/photos/`)
            const current = yield* photos.getProfilePhoto(userId)
            assert.deepStrictEqual(
              keys,
              [...current.variants.map((v) => v.key), `${current.prefix}/manifest.json`].sort()
            )
            assert.strictEqual(keys.length, WHOLE)
            const pointer = JSON.parse(yield* readText(`profiles/${userId}/photo.json`))
            assert.strictEqual(pointer.prefix, current.prefix)
            // Every variant the manifest lists is there and non-empty.
            const store = yield* ObjectStore
            for (const variant of current.variants)
              assert.strictEqual((yield* store.head(variant.key)).size, variant.bytes)
          })
        )
      )

      it.effect("a user set before the pointer existed: newest photo shown; the first set deletes old ones", () =>
        Effect.gen(function* () {
          const photos = yield* Photos
          const pipeline = yield* ImagePipeline
          const userId = freshId("legacy")
          const older = yield* pipeline.processAndUpload(yield* photo(31), profilePhoto(userId))
          yield* TestClock.adjust("1 minute")
          const newer = yield* pipeline.processAndUpload(yield* photo(32), profilePhoto(userId))
          assert.deepStrictEqual(yield* photos.getProfilePhoto(userId), newer)

          yield* TestClock.adjust("1 hour")
          const current = yield* photos.setProfilePhoto(userId, yield* photo(33))
          assert.deepStrictEqual(yield* keysUnder(`${older.prefix}/`), [])
          assert.deepStrictEqual(yield* keysUnder(`${newer.prefix}/`), [])
          assert.deepStrictEqual(yield* photos.getProfilePhoto(userId), current)
        })
      )

      it.effect("an item's list skips a manifest it cannot read and says so", () =>
        Effect.gen(function* () {
          const photos = yield* Photos
          const store = yield* ObjectStore
          const itemId = freshId("item")
          const good = yield* photos.addItemPhoto(itemId, yield* photo(41), { filename: "a.jpg" })
          const damaged = `items/${itemId}/photos/${"0".repeat(64)}/manifest.json`
          yield* store.put(damaged, Buffer.from("{ not json"))

          const list = yield* photos.listItemPhotos(itemId)
          assert.deepStrictEqual(list.photos, [good])
          assert.strictEqual(list.skipped.length, 1)
          assert.strictEqual(list.skipped[0]!.key, damaged)
          assert.isAbove(list.skipped[0]!.reason.length, 5)

          assert.deepStrictEqual(yield* photos.getItemPhoto(itemId, good.photoId), good)
          yield* photos.deleteItemPhoto(itemId, good.photoId)
          assert.deepStrictEqual((yield* photos.listItemPhotos(itemId)).photos, [])
          assert.deepStrictEqual(yield* keysUnder(`${good.prefix}/`), [])
          assert.deepStrictEqual(itemPhoto(itemId).kind, "item")
        })
      )
    }
  )
