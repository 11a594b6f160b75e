/**
 * Snapshot sync for real: fs → Ceph RGW → fs with the bytes compared, incremental re-sync,
 * a changed object of equal size, a run killed halfway that resumes, `--delete` and its refusal
 * when the source listing fails, the reserved prefix.
 */
import { assert, describe, it } from "@effect/vitest"
import { ContentChecksum, DeletionPlan } from "@localex/storage-core"
import { Deferred, Effect, Fiber } from "effect"
import * as Snapshot from "../src/Snapshot.js"
import { bytesOf, engine, failingList, fsSide, keysOf, s3Side, seeded } from "./support.js"

const MiB = 1024 * 1024

const FILES: ReadonlyArray<readonly [string, number]> = [
  ["items/a/photo.jpg", 1000],
  ["items/a/thumb.webp", 10],
  ["items/b/photo.jpg", 6 * MiB], // multipart on RGW (5 MiB threshold)
  ["items/c/big.bin", 9 * MiB], // above the in-memory hashing limit
  ["profiles/u1/avatar.png", 0],
  ["profiles/u2/avatar.png", 2048],
  ["temp/x.bin", 3]
]

describe.skipIf(!engine)("snapshot sync", () => {
  it.live(
    "fs → RGW → fs: same bytes, checksums kept, _localex/ never copied; a re-sync moves nothing",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const origin = yield* fsSide()
          const { side: bucket } = yield* s3Side()
          const back = yield* fsSide()
          for (const [i, [key, size]] of FILES.entries()) yield* origin.store.put(key, seeded(size, i + 1))
          yield* origin.store.put("_localex/reports/x.json", seeded(5, 99))

          const first = yield* Snapshot.run(origin, bucket)
          assert.strictEqual(first.copied.objects, FILES.length)
          assert.strictEqual(first.failed.length, 0)
          assert.deepStrictEqual(yield* keysOf(bucket), FILES.map(([k]) => k).sort())
          for (const [i, [key, size]] of FILES.entries()) {
            const info = yield* bucket.store.head(key)
            assert.strictEqual(ContentChecksum.of(info), ContentChecksum.sha256Hex(seeded(size, i + 1)), key)
          }
          const second = yield* Snapshot.run(bucket, back)
          assert.strictEqual(second.copied.objects, FILES.length)
          for (const [i, [key, size]] of FILES.entries())
            assert.isTrue((yield* bytesOf(back.store, key)).equals(Buffer.from(seeded(size, i + 1))), key)

          const again = yield* Snapshot.run(origin, bucket)
          assert.strictEqual(again.copied.objects, 0)
          assert.strictEqual(again.unchanged, FILES.length)
          assert.strictEqual(again.comparisons.size + again.comparisons["size+mtime"], 0)
          // Multipart copies are compared by their checksums, the rest by their MD5 ETags.
          assert.strictEqual(again.comparisons.sha256, 2)
          assert.isTrue(again.reportKey?.startsWith("_localex/reports/backup/snapshot/"))
          assert.isTrue(yield* bucket.store.exists(again.reportKey as string))
        })
      ),
    120_000
  )

  it.live("objects another tool wrote (no checksum): MD5 ETags, else size and time, said in the report", () =>
    Effect.scoped(
      Effect.gen(function* () {
        // The S3 driver's own layer writes no checksum (as another tool); large.bin is multipart and
        // above the in-memory hashing limit: the copy hashes it streaming, then streams it again.
        const { side: origin } = yield* s3Side({ raw: true })
        const copy = yield* fsSide()
        yield* origin.store.put("items/small.bin", seeded(100, 1))
        yield* origin.store.put("items/large.bin", seeded(9 * MiB, 2))
        assert.isUndefined(ContentChecksum.of(yield* origin.store.head("items/large.bin")))
        const first = yield* Snapshot.run(origin, copy)
        assert.strictEqual(first.copied.objects, 2)
        // The copies carry the checksum computed on the way.
        assert.strictEqual(
          ContentChecksum.of(yield* copy.store.head("items/large.bin")),
          ContentChecksum.sha256Hex(seeded(9 * MiB, 2))
        )
        const again = yield* Snapshot.run(origin, copy)
        assert.strictEqual(again.copied.objects, 0)
        assert.strictEqual(again.comparisons.etag, 1)
        assert.strictEqual(again.weakComparisons, 1)
      })
    )
  )

  it.live("a changed object of the same size is copied, and only it", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const origin = yield* fsSide()
        const { side: bucket } = yield* s3Side()
        yield* origin.store.put("items/a.bin", seeded(4096, 1))
        yield* origin.store.put("items/b.bin", seeded(4096, 2))
        yield* Snapshot.run(origin, bucket)
        yield* origin.store.put("items/a.bin", seeded(4096, 3))
        const report = yield* Snapshot.run(origin, bucket)
        assert.strictEqual(report.copied.objects, 1)
        assert.strictEqual(report.unchanged, 1)
        assert.isTrue((yield* bytesOf(bucket.store, "items/a.bin")).equals(Buffer.from(seeded(4096, 3))))
      })
    )
  )

  it.live("a run killed halfway resumes after its checkpoint and finishes with nothing lost", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const origin = yield* fsSide()
        const { side: bucket } = yield* s3Side()
        const keys = Array.from({ length: 40 }, (_, i) => `items/${String(i).padStart(3, "0")}.bin`)
        for (const [i, key] of keys.entries()) yield* origin.store.put(key, seeded(100 + i, i))

        const halfway = yield* Deferred.make<void>()
        const fiber = yield* Effect.forkChild(
          Snapshot.run(origin, bucket, {
            concurrency: 2,
            checkpointEvery: 5,
            onProgress: (p) => {
              if (p.copied === 22) Effect.runSync(Deferred.succeed(halfway, undefined))
            }
          })
        )
        yield* Deferred.await(halfway)
        yield* Fiber.interrupt(fiber)
        const copiedBefore = (yield* keysOf(bucket)).length
        assert.isTrue(copiedBefore >= 20 && copiedBefore < 40, `${copiedBefore} copied before the kill`)

        const resumed = yield* Snapshot.run(origin, bucket)
        assert.isNotNull(resumed.resumedAfter)
        assert.isTrue(resumed.sourceObjects.objects < 40, "the resumed run skips what was done")
        assert.deepStrictEqual(yield* keysOf(bucket), keys)
        for (const [i, key] of keys.entries())
          assert.isTrue((yield* bytesOf(bucket.store, key)).equals(Buffer.from(seeded(100 + i, i))), key)
        const next = yield* Snapshot.run(origin, bucket)
        assert.isNull(next.resumedAfter, "a finished run leaves nothing to resume")
        assert.strictEqual(next.copied.objects, 0)
      })
    )
  )

  it.live("--delete mirrors deletions through DeletionPlan, and keeps _localex/", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const origin = yield* fsSide()
        const { side: bucket } = yield* s3Side()
        yield* origin.store.put("items/keep.bin", seeded(10, 1))
        yield* bucket.store.put("items/gone.bin", seeded(10, 2))
        yield* bucket.store.put("_localex/other.json", seeded(10, 3))
        const dry = yield* Snapshot.run(origin, bucket, { delete: true, dryRun: true })
        assert.strictEqual(dry.deletion?.planned.objects, 1)
        assert.deepStrictEqual(yield* keysOf(bucket), ["items/gone.bin"], "a dry run changes nothing")

        const report = yield* Snapshot.run(origin, bucket, { delete: true })
        assert.strictEqual(report.deletion?.deleted.objects, 1)
        assert.isTrue(report.deletion?.manifestKey?.startsWith("_localex/reports/backup/deletions/"))
        assert.deepStrictEqual(yield* keysOf(bucket), ["items/keep.bin"])
        assert.isTrue(yield* bucket.store.exists("_localex/other.json"))
      })
    )
  )

  it.live("--delete deletes nothing when the source listing fails part-way", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const origin = yield* fsSide()
        const { side: bucket } = yield* s3Side()
        for (let i = 0; i < 6; i++) yield* origin.store.put(`items/${i}.bin`, seeded(10, i))
        yield* Snapshot.run(origin, bucket)
        yield* bucket.store.put("items/zz-extra.bin", seeded(10, 9))
        const broken = { ...origin, store: failingList(origin.store, 3) }
        const error = yield* Effect.flip(Snapshot.run(broken, bucket, { delete: true }))
        assert.strictEqual(error._tag, "TransportError")
        assert.strictEqual((yield* keysOf(bucket)).length, 7, "nothing was deleted")
        // The same run over a complete listing removes the extra object only.
        const report = yield* Snapshot.run(origin, bucket, { delete: true })
        assert.strictEqual(report.deletion?.deleted.objects, 1)
        assert.strictEqual((yield* keysOf(bucket)).length, 6)
      })
    )
  )

  it.live("bucket → bucket on one endpoint: server-side copies (no byte read here), conditional, checksums kept", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { side: live } = yield* s3Side({ prefix: "items/" })
        const { side: copy } = yield* s3Side({ prefix: "items/" })
        for (let i = 0; i < 5; i++) yield* live.store.put(`items/${i}.bin`, seeded(300, i))
        yield* live.store.put("items/big.bin", seeded(6 * MiB, 9))
        const noReads = {
          ...live,
          store: { ...live.store, get: () => Effect.die("a server-side snapshot must not read the bytes") }
        }
        const first = yield* Snapshot.run(noReads, copy)
        assert.strictEqual(first.copied.objects, 6)
        assert.deepStrictEqual(first.failed, [])
        assert.isTrue((yield* bytesOf(copy.store, "items/big.bin")).equals(Buffer.from(seeded(6 * MiB, 9))))
        assert.strictEqual(
          ContentChecksum.of(yield* copy.store.head("items/big.bin")),
          ContentChecksum.sha256Hex(seeded(6 * MiB, 9))
        )
        const again = yield* Snapshot.run(noReads, copy)
        assert.strictEqual(again.copied.objects, 0)
        assert.strictEqual(again.unchanged, 6)
      })
    )
  )

  it.live("streamed copies (no server-side copy) carry the object's tags; tags: false leaves them", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { side: live } = yield* s3Side({ prefix: "items/" })
        const { side: copy } = yield* s3Side({ prefix: "items/" })
        const { side: untagged } = yield* s3Side({ prefix: "items/" })
        yield* live.store.put("items/a.bin", seeded(300, 1), { tags: { owner: "team-a", keep: "yes" } })
        yield* live.store.put("items/b.bin", seeded(300, 2))
        // Another endpoint as far as the run can tell: the bytes are streamed through this process.
        const streamed = { store: live.store, admin: live.admin, prefix: live.prefix, name: live.name }
        const report = yield* Snapshot.run(streamed, copy)
        assert.strictEqual(report.copied.objects, 2)
        assert.deepStrictEqual(yield* copy.admin.getObjectTags("items/a.bin"), { owner: "team-a", keep: "yes" })
        assert.deepStrictEqual(yield* copy.admin.getObjectTags("items/b.bin"), {})
        yield* Snapshot.run(streamed, untagged, { tags: false })
        assert.deepStrictEqual(yield* untagged.admin.getObjectTags("items/a.bin"), {})
        assert.isTrue((yield* bytesOf(untagged.store, "items/a.bin")).equals(Buffer.from(seeded(300, 1))))
      })
    )
  )

  it("the safety limit stops a mirror that would empty the destination", () => {
    assert.isTrue(DeletionPlan.assessSafety(200, 200, DeletionPlan.DEFAULT_SAFETY).exceeded)
  })
})
