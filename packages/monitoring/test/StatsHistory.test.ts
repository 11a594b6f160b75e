/**
 * Statistics snapshots in the store: where they are kept, create-only writes, and the series read
 * back oldest first — the newest `limit` of them, one scope, a damaged one listed as skipped.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { ObjectStore, readText } from "@localex/storage-core"
import { layerFs } from "@localex/storage-core/testing"
import { Effect } from "effect"
import type * as Stats from "../src/Stats.js"
import * as StatsHistory from "../src/StatsHistory.js"

const stats = (generatedAt: string, objects: number, scope = ""): Stats.StorageStats => ({
  location: "file:///tmp/x",
  scope,
  source: "list",
  generatedAt,
  totals: { objects, bytes: objects * 100 },
  byStorageClass: [{ storageClass: "STANDARD", objects, bytes: objects * 100 }],
  byPrefix: {
    depth: 1,
    entries: [{ prefix: "items/", objects, bytes: objects * 100 }],
    truncated: false,
    other: { objects: 0, bytes: 0 }
  },
  tracked: [],
  sizeHistogram: [],
  ageHistogram: [],
  largest: [],
  oldest: null,
  newest: null,
  multipartUploads: null,
  versions: null,
  listing: { mode: "sequential", shards: 1, durationMs: 1 }
})

describe("StatsHistory keys", () => {
  it("live under _localex/stats/{yyyy}/{mm}/, in time order", () => {
    assert.strictEqual(
      StatsHistory.snapshotKey("2026-03-04T05:06:07.089Z"),
      "_localex/stats/2026/03/2026-03-04T05-06-07-089Z.json"
    )
  })
})

layer(layerFs())("StatsHistory in the store", (it) => {
  it.effect("stores a summary create-only and reads the newest back, oldest first", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      assert.isTrue(yield* StatsHistory.write(store, stats("2026-11-02T06:00:00.000Z", 2)))
      assert.isTrue(yield* StatsHistory.write(store, stats("2026-10-30T06:00:00.000Z", 1)))
      assert.isTrue(yield* StatsHistory.write(store, stats("2026-12-01T06:00:00.000Z", 3)))
      assert.isTrue(yield* StatsHistory.write(store, stats("2026-12-01T07:00:00.000Z", 9, "items/")))
      // The same instant again is not written over.
      assert.isFalse(yield* StatsHistory.write(store, stats("2026-11-02T06:00:00.000Z", 99)))
      const kept = JSON.parse(yield* readText(store, StatsHistory.snapshotKey("2026-11-02T06:00:00.000Z")))
      assert.deepStrictEqual(kept, {
        schemaVersion: 1,
        generatedAt: "2026-11-02T06:00:00.000Z",
        location: "file:///tmp/x",
        scope: "",
        totals: { objects: 2, bytes: 200 },
        byStorageClass: [{ storageClass: "STANDARD", objects: 2, bytes: 200 }],
        byPrefix: [{ prefix: "items/", objects: 2, bytes: 200 }]
      })
      yield* store.put(StatsHistory.snapshotKey("2026-11-20T00:00:00.000Z"), new TextEncoder().encode("{ not json"))

      const all = yield* StatsHistory.read(store)
      assert.deepStrictEqual(
        all.snapshots.map((s) => [s.generatedAt, s.totals.objects]),
        [
          ["2026-10-30T06:00:00.000Z", 1],
          ["2026-11-02T06:00:00.000Z", 2],
          ["2026-12-01T06:00:00.000Z", 3]
        ]
      )
      assert.deepStrictEqual(
        all.skipped.map((s) => s.key),
        [StatsHistory.snapshotKey("2026-11-20T00:00:00.000Z")]
      )
      const newest = yield* StatsHistory.read(store, { limit: 2 })
      assert.deepStrictEqual(
        newest.snapshots.map((s) => s.generatedAt),
        ["2026-12-01T06:00:00.000Z"],
        "the newest two keys: one whole-bucket snapshot, one of items/"
      )
      const items = yield* StatsHistory.read(store, { scope: "items/" })
      assert.deepStrictEqual(
        items.snapshots.map((s) => s.totals.objects),
        [9]
      )
    })
  )
})
