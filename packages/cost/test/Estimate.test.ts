/**
 * Price arithmetic against figures worked out by hand (the comments show the sums) with the
 * built-in us-east-1 and eu-central-1 prices; price files replacing them.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { estimate } from "../src/Estimate.js"
import { defaultPrices, loadPriceFile, regionPrices, tieredCost } from "../src/PriceModel.js"
import { GiB, statsFixture } from "./statsFixture.js"

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`)

const usEast1 = defaultPrices.regions["us-east-1"]!
const euCentral1 = defaultPrices.regions["eu-central-1"]!

describe("price model", () => {
  it("tiered prices charge each step on its own part", () => {
    // S3 Standard us-east-1, 600 TB: 51,200 × 0.023 + 460,800 × 0.022 + 102,400 × 0.021
    close(tieredCost(600 * 1024, usEast1.storageClasses.STANDARD.storage), 1177.6 + 10137.6 + 2150.4, "600 TB")
    // eu-central-1: 10 GB × 0.0245
    close(tieredCost(10, euCentral1.storageClasses.STANDARD.storage), 0.245, "10 GB Frankfurt")
    close(tieredCost(0, usEast1.storageClasses.STANDARD.storage), 0, "nothing")
  })

  it("the built-in table says its date and source and decodes as a price file would", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        assert.match(defaultPrices.effectiveDate, /^\d{4}-\d{2}-\d{2}$/)
        assert.include(defaultPrices.source, "aws.amazon.com/s3/pricing")
        const dir = mkdtempSync(path.join(tmpdir(), "prices-"))
        const file = path.join(dir, "prices.json")
        writeFileSync(file, JSON.stringify(defaultPrices))
        const loaded = yield* loadPriceFile(file)
        assert.deepStrictEqual(Object.keys(loaded.regions).sort(), ["eu-central-1", "us-east-1"])
      })
    ))

  it("a price file replaces the prices; a bad one is refused with the reason; an unpriced region is named", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const dir = mkdtempSync(path.join(tmpdir(), "prices-"))
        const file = path.join(dir, "prices.json")
        const cheap = structuredClone(defaultPrices) as { regions: Record<string, unknown> } & typeof defaultPrices
        const region = structuredClone(usEast1) as { storageClasses: { STANDARD: { storage: unknown } } }
        region.storageClasses.STANDARD.storage = [{ upToGb: null, perGb: 0.01 }]
        writeFileSync(file, JSON.stringify({ ...cheap, regions: { "ap-south-1": region } }))
        const model = yield* loadPriceFile(file)
        const prices = yield* regionPrices(model, "ap-south-1")
        const stats = statsFixture({ classes: [["STANDARD", 10, 100 * GiB]] })
        close(estimate(stats, model, prices, "ap-south-1").metrics.storage, 1, "100 GB × 0.01")

        const missing = yield* Effect.flip(regionPrices(model, "us-east-1"))
        assert.strictEqual(missing._tag, "RegionNotPriced")
        assert.include(missing.message, "ap-south-1")

        writeFileSync(file, JSON.stringify({ ...cheap, effectiveDate: "soon" }))
        const bad = yield* Effect.flip(loadPriceFile(file))
        assert.strictEqual(bad._tag, "PricesInvalid")
        assert.include(bad.message, "effectiveDate")

        const tiers = structuredClone(defaultPrices) as unknown as {
          regions: Record<string, { dataTransferOut: { tiers: Array<{ upToGb: number | null }> } }>
        }
        tiers.regions["us-east-1"]!.dataTransferOut.tiers[3]!.upToGb = 1
        writeFileSync(file, JSON.stringify(tiers))
        const unordered = yield* Effect.flip(loadPriceFile(file))
        assert.include(unordered.reason, "last tier must be open")

        writeFileSync(file, "{ not json")
        assert.include((yield* Effect.flip(loadPriceFile(file))).reason, "not JSON")
      })
    ))
})

describe("estimate", () => {
  it("us-east-1: storage, requests, data transfer and CDN as the guide's cost metrics", () => {
    const stats = statsFixture({
      classes: [
        ["STANDARD", 5000, 100 * GiB],
        ["GLACIER", 1000, 10 * GiB]
      ]
    })
    const result = estimate(stats, defaultPrices, usEast1, "us-east-1", {
      putRequests: 1_000_000,
      getRequests: 10_000_000,
      dataTransferOutBytes: 600 * GiB,
      cdnBytesOut: 2048 * GiB,
      cdnRequests: 20_000_000
    })
    // STANDARD 100 GB + GLACIER's 8 KiB a object at STANDARD (1000 × 8 KiB = 0.00762939453125 GB), × 0.023
    const standard = (100 + (1000 * 8) / 1024 / 1024) * 0.023
    // GLACIER 10 GB + 1000 × 32 KiB (0.030517578125 GB), × 0.0036
    const glacier = (10 + (1000 * 32) / 1024 / 1024) * 0.0036
    close(result.metrics.storage, standard + glacier, "storage") // 2.30017547607… + 0.03610986328…
    close(result.metrics.requests, 5 + 4, "requests") // 1,000 × 0.005 + 10,000 × 0.0004
    close(result.metrics.dataTransfer, 45, "data transfer") // (600 − 100 free) × 0.09
    close(result.metrics.cdn, 87.04 + 10, "cdn") // (2048 − 1024 free) × 0.085 + (20M − 10M free) / 10,000 × 0.01
    close(result.metrics.total, standard + glacier + 9 + 45 + 97.04, "total") // 153.37628533935547
    assert.strictEqual(result.prices.effectiveDate, defaultPrices.effectiveDate)
  })

  it("eu-central-1 prices, STANDARD's volume steps across its parts, unknown classes as STANDARD", () => {
    const stats = statsFixture({
      classes: [
        ["STANDARD", 1, 51_000 * GiB],
        ["COLD", 1, 100 * GiB]
      ],
      noncurrent: { versions: 3, bytes: 100 * GiB },
      multipart: { uploads: 2, bytes: 50 * GiB }
    })
    const result = estimate(stats, defaultPrices, euCentral1, "eu-central-1", {
      putRequests: 2000,
      cdnRequests: 10_010_000,
      cdnHttpsShare: 0.5
    })
    // 51,250 GB at STANDARD: 51,200 × 0.0245 + 50 × 0.0235 = 1254.4 + 1.175
    close(result.metrics.storage, 1255.575, "storage")
    const cold = result.lines.find((l) => l.item.startsWith("COLD"))!
    close(cold.usd, 100 * 0.0245, "COLD as STANDARD, in the first step")
    const uploads = result.lines.find((l) => l.item === "incomplete multipart uploads")!
    close(uploads.usd, 50 * 0.0235, "the last 50 GB fall in the second step")
    close(result.metrics.requests, 2 * 0.0054, "2,000 PUTs at Frankfurt's 0.0054")
    // 10,000 requests over the free 10 million: one 10,000, half HTTPS 0.012, half HTTP 0.009
    close(result.metrics.cdn, 0.0105, "cdn requests")
    assert.ok(result.assumptions.some((a) => a.includes("COLD")))
    assert.ok(result.assumptions.some((a) => a.includes("noncurrent")))
  })

  it("INTELLIGENT_TIERING pays its monitoring fee; unknown figures are said", () => {
    const stats = statsFixture({
      classes: [["INTELLIGENT_TIERING", 4000, 10 * GiB]],
      multipart: null,
      noncurrent: null
    })
    const result = estimate(stats, defaultPrices, usEast1, "us-east-1")
    close(result.metrics.storage, 10 * 0.023 + 4 * 0.0025, "frequent tier + 4,000 objects' monitoring")
    assert.strictEqual(result.metrics.total, result.metrics.storage)
    assert.ok(result.assumptions.some((a) => a.includes("multipart uploads unknown")))
    assert.ok(result.assumptions.some((a) => a.includes("noncurrent versions unknown")))
  })
})
