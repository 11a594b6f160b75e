/**
 * The backup's own conditional writes when an answer is lost: the S3 engine stored the object,
 * the answer never came back, the driver's retry gets 412. Through the fault proxy in front of
 * the local RGW (its `resetResponse` cuts the answer of a request the engine ran); and on fs, the
 * same 412 made by writing twice, next to a real conflict that must still fail.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Testing from "@localex/storage-core/testing"
import { Effect, Stream } from "effect"
import * as Checkpoints from "../src/internal/checkpoint.js"
import { writeOwn, writeOwnStream } from "../src/internal/ownWrite.js"
import * as PointInTime from "../src/PointInTime.js"
import * as Snapshot from "../src/Snapshot.js"
import { bytesOf, engine, fsSide, s3Side, seeded } from "./support.js"

const checkpoint = (watermark: string | null): Checkpoints.Checkpoint => ({
  source: "a",
  destination: "b",
  startedAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  finished: false,
  watermark,
  pendingDeletes: []
})

describe("own writes on fs", () => {
  it.live("a 412 that finds our own bytes succeeds; other bytes are a conflict, typed", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { store } = yield* fsSide()
        const bytes = seeded(100, 1)
        const first = yield* writeOwn(store, "_localex/x.json", bytes, { ifNoneMatch: "*" })
        // The retry of a write that was stored: same bytes, same answer.
        const again = yield* writeOwn(store, "_localex/x.json", bytes, { ifNoneMatch: "*" })
        assert.strictEqual(again.etag, first.etag)
        const other = yield* Effect.flip(writeOwn(store, "_localex/x.json", seeded(100, 2), { ifNoneMatch: "*" }))
        assert.strictEqual(other._tag, "PreconditionFailed")
        const streamed = yield* writeOwnStream(store, "_localex/x.json", Stream.make(bytes), { ifNoneMatch: "*" })
        assert.strictEqual(streamed.etag, first.etag)
        assert.isTrue((yield* bytesOf(store, "_localex/x.json")).equals(Buffer.from(bytes)))

        // Two runs claiming one checkpoint: each write carries its own token, so the second conflicts.
        const key = Checkpoints.checkpointKey("a", "b")
        yield* Checkpoints.save(store, key, checkpoint(null), undefined)
        const conflict = yield* Effect.flip(Checkpoints.save(store, key, checkpoint(null), undefined))
        assert.strictEqual(conflict._tag, "SnapshotConflict")
      })
    )
  )
})

describe.skipIf(!engine)("own writes on RGW, an answer lost", () => {
  it.live("the snapshot's checkpoint claim (If-None-Match: *) and the point-in-time plan: the run goes on", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const proxy = yield* Testing.faultProxy(engine!.endpoint, { chaos: { seed: 1 } })
        const origin = yield* fsSide()
        // Not versioned: Ceph RGW (Pacific) answers 412 to every If-Match PutObject in a versioned bucket.
        const { side: bucket } = yield* s3Side({ endpoint: proxy.endpoint })
        yield* origin.store.put("items/a", seeded(100, 1))
        yield* origin.store.put("items/b", seeded(200, 2))

        // A run's first PutObject is its checkpoint claim: its answer is cut after RGW stored it.
        proxy.setChaos({ seed: 1, only: ["PutObject"], resetResponse: 1, dropWholeResponse: true, times: 1 })
        const first = yield* Snapshot.run(origin, bucket)
        assert.strictEqual(proxy.chaosCounts().resetResponse, 1, "the fault happened")
        assert.strictEqual(first.copied.objects, 2)
        assert.deepStrictEqual(first.failed, [])

        // The checkpoint's compare-and-swap (If-Match) updates: the first one's answer is cut.
        yield* origin.store.put("items/c", seeded(300, 3))
        proxy.setChaos({ seed: 2, only: ["PutObject"], resetResponse: 1, dropWholeResponse: true, times: 1 })
        const second = yield* Snapshot.run(origin, bucket)
        assert.strictEqual(proxy.chaosCounts().resetResponse, 2)
        assert.strictEqual(second.copied.objects, 1)
        assert.deepStrictEqual(second.failed, [])

        // In place, the first PutObject of a point-in-time restore is its plan manifest (copies are CopyObject).
        const { side: versioned } = yield* s3Side({ endpoint: proxy.endpoint, versioned: true })
        yield* versioned.store.put("items/d", seeded(10, 4))
        proxy.setChaos({ seed: 3, only: ["PutObject"], resetResponse: 1, dropWholeResponse: true, times: 1 })
        const pitr = yield* PointInTime.run(versioned, { prefix: "items/", at: new Date(), keepExtra: true })
        assert.strictEqual(proxy.chaosCounts().resetResponse, 3)
        assert.isNotNull(pitr.reportKey)
        assert.strictEqual(pitr.failures, 0)
      })
    )
  )
})
