/**
 * Savings advice: the ranking and its amounts worked out by hand (us-east-1 prices), and the
 * Advisor gathering its evidence from a real store (statistics, clean-up dry runs: nothing is
 * deleted).
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Stats } from "@localex/monitoring"
import { ObjectStore } from "@localex/storage-core"
import * as Testing from "@localex/storage-core/testing"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { Advisor, layer as advisorLayer, rank } from "../src/Advice.js"
import * as Cleanup from "../src/Cleanup.js"
import * as Orphans from "../src/Orphans.js"
import { defaultPrices } from "../src/PriceModel.js"
import * as ReferenceSource from "../src/ReferenceSource.js"
import { GiB, statsFixture } from "./statsFixture.js"

const prices = defaultPrices.regions["us-east-1"]!
const MiB = 2 ** 20
const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`)

describe("ranking", () => {
  it("every kind with evidence, largest saving first, amounts at STANDARD's price", () => {
    const stats = statsFixture({
      classes: [["STANDARD", 1000, 100 * GiB]],
      sizes: { "1–10 MiB": [900, 10 * GiB], "10–100 MiB": [100, 90 * GiB] },
      ages: { "30–90 days": [1000, 100 * GiB] },
      oldestDays: 80,
      multipart: { uploads: 3, bytes: 30 * GiB },
      noncurrent: { versions: 40, bytes: 5 * GiB }
    })
    const advice = rank(
      {
        stats,
        expired: { objects: 10, bytes: 2 * GiB },
        orphans: { objects: 7, bytes: 1 * GiB },
        cdn: { requests: 1_000_000, hits: 600_000 }
      },
      prices
    )
    assert.deepStrictEqual(
      advice.map((a) => a.kind),
      [
        "oversized-originals",
        "incomplete-multipart-uploads",
        "low-cdn-hit-ratio",
        "noncurrent-versions",
        "expired-temp-files",
        "orphans"
      ]
    )
    // 100 objects of ≥ 10 MiB hold 90 GiB; at 2 MiB each they would hold 200 MiB: 89.8046875 GB × 0.023
    close(advice[0]!.monthlySaving, (90 - (100 * 2) / 1024) * 0.023, "oversized")
    close(advice[1]!.monthlySaving, 30 * 0.023, "uploads")
    // (0.9 − 0.6) × 1,000,000 GETs avoided at 0.0004 per 1,000
    close(advice[2]!.monthlySaving, 0.12, "cdn")
    close(advice[3]!.monthlySaving, 5 * 0.023, "versions") // 0.115
    close(advice[4]!.monthlySaving, 2 * 0.023, "expired")
    close(advice[5]!.monthlySaving, 1 * 0.023, "orphans")
    assert.include(advice[1]!.evidence[0]!, "3 uploads never completed hold 30 GiB")
    assert.include(advice[2]!.evidence[0]!, "60.0 %")
    // Nothing older than 365 days: no archive advice.
    assert.ok(!advice.some((a) => a.kind === "old-standard-objects"))
  })

  it("old STANDARD objects: the 365-day what-if's saving; nothing to say about a clean bucket", () => {
    const stats = statsFixture({
      classes: [["STANDARD", 10, 10 * GiB]],
      sizes: { "100 MiB–1 GiB": [10, 10 * GiB] },
      ages: { "≥ 365 days": [10, 10 * GiB] },
      oldestDays: 400
    })
    const [archive, ...rest] = rank({ stats, cdn: { requests: 100, hits: 95 } }, prices, { oversizedBytes: 2 * GiB })
    assert.strictEqual(rest.length, 0) // a 95 % hit ratio is fine
    assert.strictEqual(archive?.kind, "old-standard-objects")
    // 10 GB: 0.23 at STANDARD; GLACIER 10 GB + 10 × 32 KiB at 0.0036, 10 × 8 KiB at 0.023; no monthly transitions.
    close(
      archive!.monthlySaving,
      0.23 - (10 + (10 * 32) / 1024 / 1024) * 0.0036 - ((10 * 8) / 1024 / 1024) * 0.023,
      "archive"
    )
    assert.deepStrictEqual(
      rank({ stats: statsFixture({ classes: [["STANDARD", 1, 1024]], sizes: { "1–10 KiB": [1, 1024] } }) }, prices),
      []
    )
  })
})

const NOW = Date.parse("2026-12-01T00:00:00Z")
const DAY = 86_400_000
const Store = Testing.layerMemory()
const Services = advisorLayer.pipe(
  Layer.provideMerge(Layer.mergeAll(Stats.layer, Cleanup.layer, Orphans.layer)),
  Layer.provideMerge(Store)
)

layer(Services)("Advisor on a store", (it) => {
  it.effect("gathers statistics and the clean-up dry runs; deletes nothing", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* TestClock.setTime(NOW - 3 * DAY)
      yield* Testing.putAll(store, [
        { key: "temp/upload.bin", size: 1 * MiB },
        { key: "items/1/photos/h1/original.jpg", size: 20 * MiB },
        { key: "profiles/u9/photos/p9/avatar.webp", size: 5 * MiB }
      ])
      yield* TestClock.setTime(NOW)
      const { advice, stats } = yield* (yield* Advisor).advise({
        prices,
        references: ReferenceSource.fromKeys(["items/1/photos/h1/"])
      })
      assert.strictEqual(stats.totals.objects, 3)
      assert.deepStrictEqual(
        advice.map((a) => [a.kind, a.evidence[0]]),
        [
          ["oversized-originals", "1 objects, 20 MiB are at least 10 MiB; at 2.0 MiB each they would take 18 MiB less"],
          ["orphans", "1 objects, 5.0 MiB are referenced by nothing"],
          ["expired-temp-files", "1 objects, 1.0 MiB are past their expiry (temp/ older than 24 hours)"]
        ]
      )
      assert.deepStrictEqual(yield* Testing.allKeys(store), [
        "items/1/photos/h1/original.jpg",
        "profiles/u9/photos/p9/avatar.webp",
        "temp/upload.bin"
      ])
    })
  )
})
