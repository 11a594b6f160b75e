/**
 * Versions on the local RGW (versioning works there): list, restore a version, undelete, and
 * point-in-time restore across puts, overwrites and deletes at known times, in place and into
 * another location; on fs, `UnsupportedByDriver`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as PointInTime from "../src/PointInTime.js"
import * as Versions from "../src/Versions.js"
import { bytesOf, engine, fsSide, keysOf, s3Side, seeded } from "./support.js"

const tick = Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1200)))
const now = Effect.sync(() => new Date())

describe.skipIf(!engine)("versions on RGW", () => {
  it.live("versioning status, enable, suspend; MFA delete reported with how to enable it", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { side } = yield* s3Side()
        const before = yield* Versions.status(side.admin)
        assert.strictEqual(before.status, "Disabled")
        assert.strictEqual(before.mfaDelete, "Disabled")
        assert.include(before.mfaDeleteHowTo ?? "", "MFADelete=Enabled")
        const dry = yield* Versions.setVersioning(side.admin, "Enabled", { dryRun: true })
        assert.isTrue(dry.changed)
        assert.strictEqual((yield* Versions.status(side.admin)).status, "Disabled")
        const on = yield* Versions.setVersioning(side.admin, "Enabled")
        assert.strictEqual(on.after.status, "Enabled")
        assert.isFalse((yield* Versions.setVersioning(side.admin, "Enabled")).changed, "twice changes nothing")
        const off = yield* Versions.setVersioning(side.admin, "Suspended")
        assert.strictEqual(off.after.status, "Suspended")
      })
    )
  )

  it.live("restore a version over the current one; undelete", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { side } = yield* s3Side({ versioned: true })
        const v1 = yield* side.store.put("items/a.bin", seeded(50, 1))
        yield* side.store.put("items/a.bin", seeded(50, 2))
        const history = yield* Stream.runCollect(Versions.list(side.admin, "items/a.bin"))
        assert.strictEqual(history.length, 2)
        assert.isTrue(history[0]?.isLatest)
        const restored = yield* Versions.restore(side.admin, side.store, "items/a.bin", v1.versionId as string)
        assert.isNotNull(restored.newVersionId)
        assert.isTrue((yield* bytesOf(side.store, "items/a.bin")).equals(Buffer.from(seeded(50, 1))))
        assert.strictEqual((yield* Stream.runCollect(Versions.list(side.admin, "items/a.bin"))).length, 3)

        const notDeleted = yield* Effect.flip(Versions.undelete(side.admin, "items/a.bin"))
        assert.strictEqual(notDeleted._tag, "NotDeleted")
        yield* side.store.delete("items/a.bin")
        assert.isFalse(yield* side.store.exists("items/a.bin"))
        const undeleted = yield* Versions.undelete(side.admin, "items/a.bin")
        assert.strictEqual(undeleted.removedMarkers.length, 1)
        assert.isTrue((yield* bytesOf(side.store, "items/a.bin")).equals(Buffer.from(seeded(50, 1))))

        const missing = yield* Effect.flip(Versions.restore(side.admin, side.store, "items/a.bin", "no-such-version"))
        assert.strictEqual(missing._tag, "VersionNotFound")
        // A real version is never removed as if it were a marker.
        const refused = yield* Effect.flip(side.admin.removeDeleteMarker("items/a.bin", v1.versionId as string))
        assert.strictEqual(refused._tag, "VersionNotFound")
        assert.strictEqual((yield* Stream.runCollect(Versions.list(side.admin, "items/a.bin"))).length, 3)
      })
    )
  )

  it.live(
    "point-in-time restore gives exactly the state at T, in place and into another location",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const { side } = yield* s3Side({ versioned: true })
          const put = (key: string, seed: number) => side.store.put(`items/${key}`, seeded(64, seed))
          yield* put("a", 1)
          yield* put("b", 1)
          yield* put("outside-later", 1).pipe(Effect.andThen(side.store.delete("items/outside-later")))
          yield* tick
          const t1 = yield* now
          yield* tick
          yield* put("a", 2)
          yield* side.store.delete("items/b")
          yield* put("c", 1)
          yield* tick
          const t2 = yield* now
          yield* tick
          yield* put("b", 3)
          yield* side.store.delete("items/c")
          yield* put("d", 1)

          const dry = yield* PointInTime.run(side, { prefix: "items/", at: t2, dryRun: true })
          assert.strictEqual(dry.keysAtT, 2)
          assert.isNull(dry.manifestKey)

          // Into another location (fs): exactly a=2, c=1.
          const elsewhere = yield* fsSide()
          const into = yield* PointInTime.run(side, { prefix: "items/", at: t2, into: elsewhere })
          assert.strictEqual(into.restored, 2)
          assert.deepStrictEqual([into.bytesToRestore, into.bytesRestored], [128, 128])
          assert.deepStrictEqual(yield* keysOf(elsewhere), ["items/a", "items/c"])
          assert.isTrue((yield* bytesOf(elsewhere.store, "items/a")).equals(Buffer.from(seeded(64, 2))))
          assert.isTrue((yield* bytesOf(elsewhere.store, "items/c")).equals(Buffer.from(seeded(64, 1))))

          // --keep-extra: d (created after T1) stays and is reported.
          const kept = yield* PointInTime.run(side, { prefix: "items/", at: t1, keepExtra: true })
          assert.strictEqual(kept.extra, 1)
          assert.isTrue(yield* side.store.exists("items/d"))

          // In place at T1: a=1, b=1; c and d gone.
          const back = yield* PointInTime.run(side, { prefix: "items/", at: t1 })
          assert.isTrue(back.manifestKey?.startsWith("_localex/reports/backup/pitr/"))
          assert.deepStrictEqual(yield* keysOf(side), ["items/a", "items/b"])
          assert.isTrue((yield* bytesOf(side.store, "items/a")).equals(Buffer.from(seeded(64, 1))))
          assert.isTrue((yield* bytesOf(side.store, "items/b")).equals(Buffer.from(seeded(64, 1))))
          const twice = yield* PointInTime.run(side, { prefix: "items/", at: t1 })
          assert.strictEqual(twice.toRestore + twice.extra, 0, "restoring the same state twice changes nothing")
        })
      ),
    60_000
  )
})

describe("versions on fs", () => {
  it.live("answer UnsupportedByDriver, saying versions need a versioned S3 bucket", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const side = yield* fsSide()
        const error = yield* Effect.flip(Versions.undelete(side.admin, "items/a"))
        assert.strictEqual(error._tag, "UnsupportedByDriver")
        assert.include(error.message, "versioned S3 bucket")
        const pitr = yield* Effect.flip(PointInTime.run(side, { at: new Date() }))
        assert.strictEqual(pitr._tag, "UnsupportedByDriver")
      })
    )
  )
})
