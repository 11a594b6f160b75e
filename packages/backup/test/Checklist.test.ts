/** The daily backup status and the quarterly DR drill, fs → RGW. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Checklist from "../src/Checklist.js"
import * as Snapshot from "../src/Snapshot.js"
import { engine, fsSide, keysOf, s3Side, seeded } from "./support.js"

describe.skipIf(!engine)("backup checklists", () => {
  it.live("status: no snapshot, then OK; a corrupted backup copy and a drifted source fail it", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const live = yield* fsSide()
        const { side: backup } = yield* s3Side()
        for (let i = 0; i < 20; i++) yield* live.store.put(`items/${i}.bin`, seeded(200, i))

        const none = yield* Checklist.status(live, backup)
        assert.isFalse(none.ok)
        assert.isFalse(none.checks.find((c) => c.name === "snapshot exists")?.ok)

        yield* Snapshot.run(live, backup)
        const fine = yield* Checklist.status(live, backup, { sample: 20 })
        assert.isTrue(fine.ok, JSON.stringify(fine.checks))
        assert.strictEqual(fine.sampled.length, 20)

        yield* backup.store.put("items/3.bin", seeded(200, 99))
        for (let i = 20; i < 25; i++) yield* live.store.put(`items/${i}.bin`, seeded(200, i))
        const broken = yield* Checklist.status(live, backup, { sample: 25 })
        assert.isFalse(broken.ok)
        assert.isFalse(broken.checks.find((c) => c.name === "source count")?.ok)
        // The 5 new objects are missing from the backup, items/3.bin differs.
        assert.match(broken.checks.find((c) => c.name === "sample hash-verified")?.detail ?? "", /^6 of 25: /)
        const stale = yield* Checklist.status(live, backup, { maxAgeHours: 0 })
        assert.isFalse(stale.checks.find((c) => c.name === "snapshot age")?.ok)
      })
    )
  )

  it.live("drill: restores a sample into a scratch prefix, verifies it, measures RTO and RPO, cleans up", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const live = yield* fsSide()
        const { side: backup } = yield* s3Side()
        for (let i = 0; i < 12; i++) yield* live.store.put(`items/${i}.bin`, seeded(1000, i))
        yield* Snapshot.run(live, backup)
        const report = yield* Checklist.drill(live, backup, { sample: 5 })
        assert.isTrue(report.ok, JSON.stringify(report.mismatches))
        assert.strictEqual(report.restored.objects, 5)
        assert.strictEqual(report.restored.bytes, 5000)
        assert.strictEqual(report.backupSize.objects, 12)
        assert.isNotNull(report.estimatedRtoSeconds)
        assert.isTrue((report.rpoSeconds ?? -1) >= 0)
        assert.isTrue(yield* backup.store.exists(report.reportKey))
        assert.strictEqual((yield* keysOf(live)).length, 12, "the scratch copies are gone, the live objects kept")

        // A backup copy that differs from the live object fails the drill.
        yield* backup.store.put("items/0.bin", seeded(1000, 77))
        const bad = yield* Checklist.drill(live, backup, { sample: 12 })
        assert.isFalse(bad.ok)
        assert.include(bad.mismatches.join(), "items/0.bin")
      })
    )
  )
})
