/**
 * Cost Explorer reports against the local moto engine, with results injected per account
 * (moto tracks no spend): pages merged, groups summed, the trend against the period before,
 * and the cache under `_localex/cache/cost-explorer/` in an fs store (hits, TTL, refresh, an
 * unreadable entry replaced). The periods of the guide's two reports are checked without moto.
 */
import { createTestAccount, queueCostAndUsageResults, type TestAccount, testAws } from "@localex/local-aws"
import { ObjectStore, readText } from "@localex/storage-core"
import * as Testing from "@localex/storage-core/testing"
import { Effect, Layer, Stream } from "effect"
import { assert, beforeAll, describe, it } from "vitest"
import * as CostExplorer from "../src/CostExplorer.js"
import { CACHE_PREFIX, CostReports, layer, previousQuery, queryFor, S3_SERVICE } from "../src/CostReports.js"

const aws = testAws()

describe("report periods", () => {
  const now = new Date("2026-12-02T09:30:00Z")
  const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

  it("daily: the last 7 whole days by service; the trend compares the 7 days before", async () => {
    const query = await run(queryFor({ kind: "daily" }, now))
    assert.deepStrictEqual(query, {
      start: "2026-11-25",
      end: "2026-12-02",
      granularity: "DAILY",
      metric: "BlendedCost",
      groupBy: "SERVICE",
      services: undefined
    })
    const before = previousQuery(query)
    assert.deepStrictEqual([before.start, before.end], ["2026-11-18", "2026-11-25"])
  })

  it("monthly: the previous month, S3 only; the trend compares the month before; by usage type on demand", async () => {
    const query = await run(queryFor({ kind: "monthly", groupBy: "usage-type" }, now))
    assert.deepStrictEqual(query, {
      start: "2026-11-01",
      end: "2026-12-01",
      granularity: "MONTHLY",
      metric: "BlendedCost",
      groupBy: "USAGE_TYPE",
      services: [S3_SERVICE]
    })
    const before = previousQuery(query)
    assert.deepStrictEqual([before.start, before.end], ["2026-10-01", "2026-11-01"])
    const quarter = await run(
      queryFor({ kind: "monthly", since: new Date("2026-01-01"), until: new Date("2026-04-01") }, now)
    )
    assert.deepStrictEqual([previousQuery(quarter).start, previousQuery(quarter).end], ["2025-10-01", "2026-01-01"])
  })

  it("an empty or reversed period is refused", async () => {
    const error = await run(
      Effect.flip(queryFor({ kind: "daily", since: new Date("2026-12-01"), until: new Date("2026-11-01") }, now))
    )
    assert.strictEqual(error._tag, "ReportPeriodInvalid")
    assert.include(error.message, "--since must be before --until")
  })
})

const day = (start: string, end: string, groups: ReadonlyArray<readonly [string, string]>) => ({
  TimePeriod: { Start: start, End: end },
  Total: {},
  Groups: groups.map(([key, amount]) => ({ Keys: [key], Metrics: { BlendedCost: { Amount: amount, Unit: "USD" } } })),
  Estimated: false
})

describe.skipIf(!aws)("Cost Explorer reports on moto", () => {
  let account: TestAccount
  beforeAll(async () => {
    account = await createTestAccount(aws!)
    process.env.AWS_ENDPOINT_URL_COST_EXPLORER = aws!.endpoint
    process.env.AWS_ACCESS_KEY_ID = account.accessKeyId
    process.env.AWS_SECRET_ACCESS_KEY = account.secretAccessKey
    process.env.AWS_REGION = aws!.region
  })

  const since = new Date("2026-11-01")
  const until = new Date("2026-11-03")

  const withReports = <A, E>(
    root: string,
    cacheTtlMs: number,
    body: Effect.Effect<A, E, CostReports | ObjectStore>
  ): Promise<A> =>
    Effect.runPromise(
      body.pipe(
        Effect.provide(
          layer({ cacheTtlMs }).pipe(
            Layer.provideMerge(Layer.merge(CostExplorer.layerConfig(), Testing.layerFs({ root })))
          )
        ),
        Effect.scoped
      )
    )

  const cacheObjects = Effect.gen(function* () {
    const store = yield* ObjectStore
    const keys = yield* store.list({ prefix: CACHE_PREFIX }).pipe(
      Stream.map((entry) => (entry._tag === "Object" ? entry.key : entry.prefix)),
      Stream.runCollect
    )
    return [...keys]
  })

  it("pages are followed and merged, groups summed, the trend computed, answers cached and reused", async () => {
    // Two days by service, the second day's groups split over two pages; then the two days before.
    await queueCostAndUsageResults(aws!, account.accountId, [
      {
        ResultsByTime: [
          day("2026-11-01", "2026-11-02", [
            ["Amazon Simple Storage Service", "1.50"],
            ["Amazon CloudFront", "0.75"]
          ]),
          day("2026-11-02", "2026-11-03", [["Amazon Simple Storage Service", "2.00"]])
        ],
        NextPageToken: "page-2",
        DimensionValueAttributes: []
      },
      {
        ResultsByTime: [day("2026-11-02", "2026-11-03", [["Amazon CloudFront", "0.25"]])],
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
    const root = Testing.tempDir("ce-cache")
    const first = await withReports(
      root,
      3_600_000,
      Effect.gen(function* () {
        return yield* (yield* CostReports).report({ kind: "daily", since, until })
      })
    )
    assert.deepStrictEqual(
      first.periods.map((p) => [p.start, p.amount]),
      [
        ["2026-11-01", 2.25],
        ["2026-11-02", 2.25]
      ]
    )
    assert.deepStrictEqual(first.groups, [
      { key: "Amazon Simple Storage Service", amount: 3.5 },
      { key: "Amazon CloudFront", amount: 1 }
    ])
    assert.strictEqual(first.amount, 4.5)
    assert.deepStrictEqual(first.trend, {
      previous: { start: "2026-10-30", end: "2026-11-01", amount: 3 },
      change: 1.5,
      changeRatio: 0.5
    })
    assert.strictEqual(first.source.requests, 3) // two pages + the period before: $0.03 on AWS
    assert.strictEqual(first.source.cached, false)

    // The same report again within the TTL: nothing is asked, the figures come from the store.
    const again = await withReports(
      root,
      3_600_000,
      Effect.gen(function* () {
        const report = yield* (yield* CostReports).report({ kind: "daily", since, until })
        return { report, keys: yield* cacheObjects }
      })
    )
    assert.strictEqual(again.report.source.requests, 0)
    assert.strictEqual(again.report.source.cached, true)
    assert.deepStrictEqual(again.report.groups, first.groups)
    assert.strictEqual(again.keys.length, 2) // one object per query: this period and the one before
  })

  it("the cache is what is read: a doctored entry shows; refresh and an expired TTL ask again and replace it", async () => {
    await queueCostAndUsageResults(aws!, account.accountId, [
      { ResultsByTime: [day("2026-11-01", "2026-11-02", [["Amazon Simple Storage Service", "4.00"]])] },
      { ResultsByTime: [day("2026-10-31", "2026-11-01", [["Amazon Simple Storage Service", "2.00"]])] }
    ])
    const root = Testing.tempDir("ce-cache")
    const oneDay = { kind: "daily" as const, since, until: new Date("2026-11-02") }
    const report = (ttl: number, refresh = false) =>
      withReports(
        root,
        ttl,
        Effect.gen(function* () {
          return yield* (yield* CostReports).report({ ...oneDay, refresh })
        })
      )
    assert.strictEqual((await report(3_600_000)).amount, 4)

    // Doctor the cached answer of the report's own period: a cached report shows the doctored figure.
    const doctored = await withReports(
      root,
      3_600_000,
      Effect.gen(function* () {
        const store = yield* ObjectStore
        for (const key of yield* cacheObjects) {
          const text = yield* readText(store, key)
          if (!text.includes('"2026-11-01","end":"2026-11-02"')) continue
          yield* store.put(key, new TextEncoder().encode(text.replace('"amount":4', '"amount":40')))
        }
        return yield* (yield* CostReports).report(oneDay)
      })
    )
    assert.strictEqual(doctored.amount, 40)
    assert.strictEqual(doctored.source.cached, true)

    // refresh: Cost Explorer again (moto answers the same body the same way), the entry replaced.
    const refreshed = await report(3_600_000, true)
    assert.strictEqual(refreshed.amount, 4)
    assert.strictEqual(refreshed.source.requests, 2)
    assert.strictEqual((await report(3_600_000)).amount, 4)
    // A TTL of 0: every report asks.
    assert.strictEqual((await report(0)).source.requests, 2)
  })

  it("an unreadable cache entry is a miss, replaced by the fresh answer", async () => {
    await queueCostAndUsageResults(aws!, account.accountId, [
      { ResultsByTime: [day("2026-09-01", "2026-09-02", [["Amazon Simple Storage Service", "7.00"]])] }
    ])
    const root = Testing.tempDir("ce-cache")
    const oneDay = { kind: "daily" as const, since: new Date("2026-09-01"), until: new Date("2026-09-02") }
    const result = await withReports(
      root,
      3_600_000,
      Effect.gen(function* () {
        const reports = yield* CostReports
        yield* reports.report(oneDay)
        const store = yield* ObjectStore
        for (const key of yield* cacheObjects) yield* store.put(key, new TextEncoder().encode("{ torn"))
        const fresh = yield* reports.report(oneDay)
        const again = yield* reports.report(oneDay)
        return { fresh, again }
      })
    )
    assert.strictEqual(result.fresh.amount, 7)
    assert.strictEqual(result.fresh.source.cached, false)
    assert.strictEqual(result.again.source.cached, true)
  })
})
