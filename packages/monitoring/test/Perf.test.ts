/**
 * The performance review on a real store (fs): every line measured with its samples, the
 * operations it is given called for real, skipped lines say why, failed lines carry their hint,
 * and nothing is left in the store.
 */
import { assert, layer } from "@effect/vitest"
import { ObjectStore } from "@localex/storage-core"
import { allKeys, layerFs } from "@localex/storage-core/testing"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as Perf from "../src/Perf.js"

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

layer(layerFs())("Perf.check on fs", (it) => {
  it.effect("measures every line, calls the given operations, and cleans up", () =>
    TestClock.withLive(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const images: Array<Uint8Array> = []
        const fetched: Array<string> = []
        const result = yield* Perf.check(
          {
            thumbnail: (image) => Effect.sync(() => images.push(image)),
            cdnFetch: (key) => Effect.sync(() => fetched.push(key))
          },
          { samples: 3 }
        )
        assert.deepStrictEqual(
          result.lines.map((l) => l.id),
          ["upload", "download", "thumbnail", "cdn", "signed-url"]
        )
        for (const line of result.lines) {
          assert.strictEqual(line.samplesMs.length, 3, line.id)
          assert.isAtLeast(line.p95Ms ?? -1, line.p50Ms ?? Number.POSITIVE_INFINITY)
        }
        assert.strictEqual(images.length, 3)
        assert.deepStrictEqual([...(images[0]?.subarray(0, 8) ?? [])], PNG_SIGNATURE)
        // One fetch to fill the cache, then the three measured ones, all of the 1 MB object.
        assert.strictEqual(fetched.length, 4)
        assert.match(fetched[0] ?? "", /^_localex\/perf\/.+\/download\.bin$/)
        assert.deepStrictEqual(yield* allKeys(store, "_localex/"), [])
      })
    )
  )

  it.effect("without image or CDN operations those lines are skipped, saying why", () =>
    TestClock.withLive(
      Effect.gen(function* () {
        const result = yield* Perf.check({}, { samples: 1 })
        const byId = Object.fromEntries(result.lines.map((l) => [l.id, l]))
        assert.strictEqual(byId.thumbnail?.status, "skip")
        assert.strictEqual(byId.thumbnail?.hint, "no image pipeline given")
        assert.strictEqual(byId.cdn?.status, "skip")
        assert.strictEqual(byId.cdn?.hint, "no CDN configured")
      })
    )
  )

  it.effect("a line over its target fails with the hint that applies", () =>
    TestClock.withLive(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const result = yield* Perf.check(
          { thumbnail: () => Effect.sleep("20 millis") },
          { samples: 2, targetsMs: { thumbnail: 5, upload: 0 } }
        )
        const byId = Object.fromEntries(result.lines.map((l) => [l.id, l]))
        assert.strictEqual(result.status, "fail")
        assert.strictEqual(byId.thumbnail?.status, "fail")
        assert.strictEqual(byId.thumbnail?.hint, Perf.HINTS.thumbnail)
        assert.include(byId.upload?.hint ?? "", "multipart")
        assert.include(byId.upload?.hint ?? "", "Transfer Acceleration")
        assert.include(Perf.formatPerf(result).join("\n"), "FAIL  Generate a thumbnail")
        assert.deepStrictEqual(yield* allKeys(store, "_localex/"), [])
      })
    )
  )

  it.effect("a failing operation still leaves nothing behind", () =>
    TestClock.withLive(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const error = yield* Effect.flip(
          Perf.check({ thumbnail: () => Effect.fail("pipeline broke" as const) }, { samples: 1 })
        )
        assert.strictEqual(error, "pipeline broke")
        assert.deepStrictEqual(yield* allKeys(store, "_localex/"), [])
      })
    )
  )

  it("percentiles are nearest-rank", () => {
    assert.strictEqual(Perf.percentile([5, 1, 3, 2, 4], 50), 3)
    assert.strictEqual(Perf.percentile([5, 1, 3, 2, 4], 95), 5)
    assert.strictEqual(Perf.percentile([7], 95), 7)
  })
})
