// The guide's cost management on the Promise API: the monthly estimate and what-ifs from a store's
// statistics, savings advice, and — on the local moto server — the Cost Explorer reports and the
// monthly S3 budget as code.
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import {
  createCostService,
  PolicyInvalid,
  RegionNotPriced,
  ReportPeriodInvalid,
  TrafficInvalid
} from "@localex/cost/promise"
import { queueCostAndUsageResults, uniqueName } from "@localex/local-aws"
import { createStorageService } from "@localex/storage-core/promise"
import { describe, expect, it } from "vitest"
import { motoAccount } from "./motoAccount.js"

// Cost Explorer, Budgets and STS go to moto, in an account of this file's own.
const moto = await motoAccount("AWS_ENDPOINT_URL")
const aws = moto?.aws
const account = moto?.account

const folder = () => fs.mkdtemp(path.join(os.tmpdir(), "localex-examples-"))
const MiB = 1024 * 1024

/** An fs store with two photos, one of them an 11 MiB original. */
const photos = async () => {
  const root = await folder()
  await using storageService = createStorageService({ driver: "fs", root })
  await storageService.uploadFile("items/1/photo.jpg", new Uint8Array(11 * MiB))
  await storageService.uploadFile("items/2/photo.jpg", new Uint8Array(MiB))
  return root
}

describe("the guide's cost metrics", () => {
  it("estimateMonthlyCost prices the stored bytes and a month of traffic at us-east-1's prices", async () => {
    await using cost = createCostService({ driver: "fs", root: await photos(), cost: { region: "us-east-1" } })
    const estimate = await cost.estimateMonthlyCost({ putRequests: 1_000_000, getRequests: 10_000_000 })
    expect(estimate.region).toBe("us-east-1")
    // 1 million PUTs at $0.005 and 10 million GETs at $0.0004 per thousand.
    expect(estimate.metrics.requests).toBeCloseTo(9, 6)
    expect(estimate.metrics.storage).toBeGreaterThan(0)
    expect(estimate.metrics.storage).toBeLessThan(0.001) // 12 MiB at $0.023 a GB-month
    expect(estimate.metrics.total).toBeCloseTo(estimate.metrics.storage + 9, 6)
    expect(estimate.lines.find((l) => l.item === "STANDARD")?.quantity).toBeCloseTo((12 * MiB) / 2 ** 30, 9)

    // The same traffic from a file; a file that does not decode is refused.
    const dir = await folder()
    await fs.writeFile(path.join(dir, "traffic.json"), JSON.stringify({ putRequests: 1_000_000 }))
    const fromFile = await cost.estimateMonthlyCost({ trafficFile: path.join(dir, "traffic.json") })
    expect(fromFile.metrics.requests).toBeCloseTo(5, 6)
    await fs.writeFile(path.join(dir, "bad.json"), JSON.stringify({ putRequests: -1 }))
    const bad = await cost.estimateMonthlyCost({ trafficFile: path.join(dir, "bad.json") }).catch((e) => e)
    expect(bad).toBeInstanceOf(TrafficInvalid)
  })

  it("a region the price model lacks is refused with RegionNotPriced", async () => {
    await using cost = createCostService({ driver: "fs", root: await folder(), cost: { region: "ap-south-2" } })
    expect(await cost.estimateMonthlyCost().catch((e) => e)).toBeInstanceOf(RegionNotPriced)
    expect(await cost.getPrices().catch((e) => e)).toBeInstanceOf(RegionNotPriced)
  })

  it("what-ifs: objects minutes old are not eligible for a rule at 365 days", async () => {
    await using cost = createCostService({ driver: "fs", root: await photos(), cost: { region: "us-east-1" } })
    const glacier = await cost.lifecycleWhatIf({ afterDays: 365 })
    expect(glacier.eligible.objects).toBe(0)
    expect(glacier.monthlySaving).toBe(0)
    expect(glacier.breakEvenMonths).toBeNull()
    const tiering = await cost.tieringWhatIf()
    expect(tiering.what).toMatch(/^INTELLIGENT_TIERING/)
    const { prices, region } = await cost.getPrices()
    expect(region).toBe("us-east-1")
    expect(prices.storageClasses.STANDARD.putPer1000).toBe(0.005)
  })

  it("savings advice names the oversized original", async () => {
    await using cost = createCostService({ driver: "fs", root: await photos(), cost: { region: "us-east-1" } })
    const { stats, advice } = await cost.getSavingsAdvice()
    expect(stats.totals.objects).toBe(2)
    const oversized = advice.find((a) => a.kind === "oversized-originals")
    expect(oversized?.evidence.join("\n")).toContain("items/1/photo.jpg")
    expect(oversized?.monthlySaving).toBeGreaterThan(0)
    expect(advice.some((a) => a.kind === "orphans")).toBe(false) // no references given
  })
})

const day = (start: string, end: string, groups: ReadonlyArray<readonly [string, string]>) => ({
  TimePeriod: { Start: start, End: end },
  Total: {},
  Groups: groups.map(([key, amount]) => ({ Keys: [key], Metrics: { BlendedCost: { Amount: amount, Unit: "USD" } } })),
  Estimated: false
})

describe.skipIf(!aws || !account)("Cost Explorer and Budgets on the local moto server", () => {
  it("getCostReport: groups summed, the trend, and the second ask answered from the store's cache", async () => {
    await queueCostAndUsageResults(aws!, account!.accountId, [
      {
        ResultsByTime: [
          day("2026-11-01", "2026-11-02", [
            ["Amazon Simple Storage Service", "1.50"],
            ["Amazon CloudFront", "0.75"]
          ]),
          day("2026-11-02", "2026-11-03", [["Amazon Simple Storage Service", "2.00"]])
        ],
        DimensionValueAttributes: []
      },
      {
        ResultsByTime: [
          day("2026-10-30", "2026-10-31", [["Amazon Simple Storage Service", "1.00"]]),
          day("2026-10-31", "2026-11-01", [["Amazon Simple Storage Service", "2.00"]])
        ],
        DimensionValueAttributes: []
      }
    ])
    await using cost = createCostService({ driver: "fs", root: await folder() })
    const request = { kind: "daily", since: new Date("2026-11-01"), until: new Date("2026-11-03") } as const
    const report = await cost.getCostReport(request)
    expect(report.groups).toEqual([
      { key: "Amazon Simple Storage Service", amount: 3.5 },
      { key: "Amazon CloudFront", amount: 0.75 }
    ])
    expect(report.amount).toBe(4.25)
    expect(report.trend).toEqual({
      previous: { start: "2026-10-30", end: "2026-11-01", amount: 3 },
      change: 1.25,
      changeRatio: expect.closeTo(1.25 / 3, 9)
    })
    expect(report.source).toMatchObject({ requests: 2, cached: false })
    const again = await cost.getCostReport(request)
    expect(again.source).toMatchObject({ requests: 0, cached: true })
    expect(again.groups).toEqual(report.groups)

    const reversed = await cost
      .getCostReport({ ...request, since: request.until, until: request.since })
      .catch((e) => e)
    expect(reversed).toBeInstanceOf(ReportPeriodInvalid)
  })

  it("the guide's budget: plan adds it with two notifications, apply creates it, plan again is empty", async () => {
    await using cost = createCostService({ driver: "fs", root: await folder() })
    const budget = { limitUsd: 120, emails: ["ops@localex.test"], name: uniqueName("storage") }
    const first = await cost.planBudget(budget)
    expect(first.accountId).toBe(account!.accountId) // asked of STS
    expect(first.changes.map((c) => [c.action, c.id])).toEqual([
      ["add", "budget"],
      ["add", "actual > 80%"],
      ["add", "forecasted > 100%"]
    ])
    expect((await cost.applyBudget(budget)).applied).toBe(true)
    const again = await cost.planBudget(budget)
    expect(again.empty).toBe(true)
    expect((await cost.applyBudget(budget)).applied).toBe(false)

    const refused = await cost.planBudget({ ...budget, limitUsd: 0 }).catch((e) => e)
    expect(refused).toBeInstanceOf(PolicyInvalid)
  })
})
