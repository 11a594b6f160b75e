/**
 * What-if arithmetic worked out by hand on one bucket (us-east-1 prices): 1,000 STANDARD
 * objects of 512 MiB (500 GB) — 200 of 30–90 days (100 GB), 300 of 90–365 days (150 GB),
 * 500 older (250 GB), the oldest 730 days.
 */
import { assert, describe, it } from "@effect/vitest"
import { defaultPrices } from "../src/PriceModel.js"
import { lifecycleWhatIf, tieringWhatIf } from "../src/WhatIf.js"
import { type FixtureOptions, GiB, statsFixture } from "./statsFixture.js"

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`)

const prices = defaultPrices.regions["us-east-1"]!
const base: FixtureOptions = {
  classes: [["STANDARD", 1000, 500 * GiB]],
  sizes: { "100 MiB–1 GiB": [1000, 500 * GiB] },
  ages: { "30–90 days": [200, 100 * GiB], "90–365 days": [300, 150 * GiB], "≥ 365 days": [500, 250 * GiB] },
  oldestDays: 730
}
const KiB_IN_GB = 1 / 1024 / 1024

describe("lifecycle what-if", () => {
  it("GLACIER after 90 days (a histogram bound): saving net of overheads and transitions", () => {
    const result = lifecycleWhatIf(statsFixture(base), prices, { afterDays: 90 })
    assert.deepStrictEqual(result.eligible, { objects: 800, bytes: 400 * GiB })
    close(result.monthlyBefore, 400 * 0.023, "400 GB at STANDARD") // 9.20
    // GLACIER: 400 GB + 800 × 32 KiB at 0.0036, and 800 × 8 KiB at STANDARD's 0.023
    const after = (400 + 800 * 32 * KiB_IN_GB) * 0.0036 + 800 * 8 * KiB_IN_GB * 0.023
    close(result.monthlyAfter, after, "after") // 1.440228271484375
    // Each month the objects now 60–90 days old cross 90 days: half the 30–90 bucket, 100 objects.
    close(result.monthlyTransitions, (100 / 1000) * 0.03, "transitions a month")
    assert.strictEqual(result.monthlyMinimumDurationCharge, 0)
    close(result.monthlySaving, 9.2 - after - 0.003, "saving") // 7.756771728515625
    close(result.oneTimeCost, (800 / 1000) * 0.03, "moving today's 800 objects")
    close(result.breakEvenMonths!, 0.024 / (9.2 - after - 0.003), "break-even")
  })

  it("an age between bounds is interpolated; the open bucket ends at the oldest object", () => {
    // 60 days: half of the 30–90 bucket (100 objects, 50 GB) + 300 + 500
    assert.deepStrictEqual(lifecycleWhatIf(statsFixture(base), prices, { afterDays: 60 }).eligible, {
      objects: 900,
      bytes: 450 * GiB
    })
    // 547.5 days: the ≥ 365 bucket spans 365–730 days, a half of it is older
    assert.deepStrictEqual(lifecycleWhatIf(statsFixture(base), prices, { afterDays: 547.5 }).eligible, {
      objects: 250,
      bytes: 125 * GiB
    })
    assert.deepStrictEqual(lifecycleWhatIf(statsFixture(base), prices, { afterDays: 800 }).eligible, {
      objects: 0,
      bytes: 0
    })
  })

  it("objects expiring before the class's minimum duration pay the rest of it", () => {
    // GLACIER after 90 days, expired at 120: 30 days in GLACIER, 60 short of its 90-day minimum.
    // Each month 100 objects (50 GB + 100 × 32 KiB) pay 60 more days: × 0.0036 × 60/30.
    const result = lifecycleWhatIf(statsFixture(base), prices, { afterDays: 90, expireAfterDays: 120 })
    close(result.monthlyMinimumDurationCharge, (50 + 100 * 32 * KiB_IN_GB) * 0.0036 * 2, "minimum-duration charge")
    assert.ok(result.assumptions.some((a) => a.includes("60 days short")))
    // DEEP_ARCHIVE (180 days) after 365, expiring after 400: 35 days there, 145 short.
    const deep = lifecycleWhatIf(statsFixture(base), prices, {
      afterDays: 365,
      storageClass: "DEEP_ARCHIVE",
      expireAfterDays: 400
    })
    // Crossing 365 each month: objects 335–365 days old = 30/275 of the 90–365 bucket.
    const crossingGb = (150 * 30) / 275
    const crossingObjects = (300 * 30) / 275
    close(
      deep.monthlyMinimumDurationCharge,
      (crossingGb + crossingObjects * 32 * KiB_IN_GB) * 0.00099 * (145 / 30),
      "deep archive minimum"
    )
    close(deep.monthlyTransitions, (crossingObjects / 1000) * 0.05, "deep archive transitions")
  })

  it("objects already archived are the oldest; objects under 128 KiB are not moved", () => {
    const stats = statsFixture({
      ...base,
      classes: [
        ["STANDARD", 900, 450 * GiB],
        ["GLACIER", 100, 50 * GiB]
      ]
    })
    // 800 objects / 400 GB are 90 days or older; 100 / 50 GB of them are GLACIER already.
    assert.deepStrictEqual(lifecycleWhatIf(stats, prices, { afterDays: 90 }).eligible, {
      objects: 700,
      bytes: 350 * GiB
    })
    const small = statsFixture({
      ...base,
      sizes: { "< 1 KiB": [250, 0], "100 MiB–1 GiB": [750, 500 * GiB] }
    })
    // A quarter of the objects (and none of the bytes) are too small to move.
    assert.deepStrictEqual(lifecycleWhatIf(small, prices, { afterDays: 90 }).eligible, {
      objects: 600,
      bytes: 400 * GiB
    })
  })

  it("a transition that costs more than it saves says so (no break-even)", () => {
    // A million 128 KiB objects, half under a day old: GLACIER after 1 day (expiring after 2)
    // saves 0.0194 a GB, but each object adds 40 KiB of overhead, costs 0.03 per 1,000 to move
    // and pays 89 more days of GLACIER when it expires.
    const bytes = 500_000 * 128 * 1024
    const stats = statsFixture({
      classes: [["STANDARD", 1_000_000, 2 * bytes]],
      sizes: { "100 KiB–1 MiB": [1_000_000, 2 * bytes] },
      ages: { "< 1 day": [500_000, bytes], "1–7 days": [500_000, bytes] },
      oldestDays: 7
    })
    const result = lifecycleWhatIf(stats, prices, { afterDays: 1, storageClass: "GLACIER", expireAfterDays: 2 })
    assert.ok(result.monthlySaving < 0)
    assert.strictEqual(result.breakEvenMonths, null)
  })
})

describe("intelligent-tiering what-if", () => {
  it("infrequent after 30 days, archive instant after 90, monitoring per object", () => {
    const result = tieringWhatIf(statsFixture(base), prices)
    assert.deepStrictEqual(result.eligible, { objects: 1000, bytes: 500 * GiB })
    close(result.monthlyBefore, 500 * 0.023, "before") // 11.5
    // 100 GB infrequent × 0.0125 + 400 GB archive instant × 0.004 + 1,000 objects × 0.0025 / 1,000
    close(result.monthlyAfter, 1.25 + 1.6 + 0.0025, "after") // 2.8525
    close(result.monthlyTransitions, 0, "no object younger than 30 days: no new uploads a month")
    close(result.monthlySaving, 11.5 - 2.8525, "saving") // 8.6475
    close(result.oneTimeCost, 0.01, "1,000 transitions at 0.01 per 1,000")
  })
})
