/**
 * `localex-storage cost …` through the built binary: estimate, whatif and advice on the fs
 * driver with a known population; report (Cost Explorer results injected) and budget
 * plan/apply/plan against the local moto engine, with the fs store holding the report cache.
 */
import { writeFile } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { createTestAccount, queueCostAndUsageResults, type TestAccount, testAws, uniqueName } from "@localex/local-aws"
import { assertOneLineError, type Run, run, tempDir } from "./helpers.js"

let dir: Awaited<ReturnType<typeof tempDir>>
let env: Record<string, string>
const cli = (args: ReadonlyArray<string>, extra: Record<string, string> = {}): Promise<Run> =>
  run(args, { env: { ...env, ...extra }, cwd: dir.path })
const json = async <T>(args: ReadonlyArray<string>, extra: Record<string, string> = {}): Promise<T> => {
  const result = await cli(["--json", ...args], extra)
  assert.strictEqual(result.code, 0, result.stderr)
  return JSON.parse(result.text) as T
}

const MiB = 2 ** 20

beforeAll(async () => {
  dir = await tempDir()
  env = { LOCALEX_STORAGE_FS_ROOT: join(dir.path, "data"), AWS_REGION: "us-east-1" }
  // 12 MiB under items/ (oversized), 1 MiB under temp/ (not yet expired: it is new).
  await writeFile(join(dir.path, "big.bin"), Buffer.alloc(12 * MiB, 7))
  await writeFile(join(dir.path, "small.bin"), Buffer.alloc(MiB, 1))
  for (const [file, key] of [
    ["big.bin", "items/1/photos/original.jpg"],
    ["small.bin", "temp/upload.bin"]
  ] as const) {
    const put = await cli(["object", "put", join(dir.path, file), key])
    assert.strictEqual(put.code, 0, put.stderr)
  }
})
afterAll(async () => {
  await dir?.[Symbol.asyncDispose]()
})

describe("localex-storage cost (fs)", () => {
  it("estimate: the guide's cost metrics from the statistics and a traffic file", async () => {
    await writeFile(
      join(dir.path, "traffic.json"),
      JSON.stringify({ putRequests: 2_000_000, getRequests: 0, dataTransferOutBytes: 200 * 2 ** 30 })
    )
    const result = await json<{ metrics: Record<string, number>; region: string }>([
      "cost",
      "estimate",
      "--traffic",
      "traffic.json"
    ])
    assert.strictEqual(result.region, "us-east-1")
    // 13 MiB at 0.023 a GB; 2,000 × 0.005; (200 − 100 free) × 0.09
    const storage = (13 / 1024) * 0.023
    assert.ok(Math.abs(result.metrics.storage! - storage) < 1e-12)
    assert.strictEqual(result.metrics.requests, 10)
    assert.ok(Math.abs(result.metrics.dataTransfer! - 9) < 1e-9)
    assert.ok(Math.abs(result.metrics.total! - (storage + 19)) < 1e-9)
    const text = await cli(["cost", "estimate"])
    assert.match(text.text, /total monthly\s+\$0\.0003/)
  })

  it("a bad traffic file, an unpriced region and a broken price file fail in one line", async () => {
    await writeFile(join(dir.path, "bad-traffic.json"), JSON.stringify({ putRequests: -1 }))
    assertOneLineError(await cli(["cost", "estimate", "--traffic", "bad-traffic.json"]), 1, "traffic file")
    assertOneLineError(await cli(["--region", "ap-south-1", "cost", "estimate"]), 1, "No prices for region ap-south-1")
    await writeFile(join(dir.path, "prices.json"), JSON.stringify({ currency: "EUR" }))
    assertOneLineError(await cli(["cost", "estimate"], { LOCALEX_COST_PRICES: "prices.json" }), 1, "price file")
    assertOneLineError(await cli(["cost", "estimate"], { LOCALEX_COST_CACHE_TTL: "soon" }), 2, "LOCALEX_COST_CACHE_TTL")
  })

  it("whatif: GLACIER after N days and intelligent tiering; a missing rule is a usage error", async () => {
    const results = await json<Array<{ what: string; eligible: { objects: number } }>>([
      "cost",
      "whatif",
      "--glacier-after",
      "30",
      "--tiering"
    ])
    assert.deepStrictEqual(
      results.map((r) => [r.what, r.eligible.objects]),
      [
        ["GLACIER after 30 days", 0], // everything is new
        ["INTELLIGENT_TIERING for objects of 128 KiB and more", 2]
      ]
    )
    assertOneLineError(await cli(["cost", "whatif"]), 2, "give --glacier-after DAYS")
  })

  it("advice: ranked, with evidence; nothing is deleted", async () => {
    await writeFile(join(dir.path, "cdn.json"), JSON.stringify({ cdnRequests: 1_000_000, cdnHits: 500_000 }))
    const result = await json<{ advice: Array<{ kind: string; monthlySaving: number }> }>([
      "cost",
      "advice",
      "--traffic",
      "cdn.json"
    ])
    // (0.9 − 0.5) × 1M GETs × 0.0004/1000 = 0.16 > 10 MiB shrinkable × 0.023/GB
    assert.deepStrictEqual(
      result.advice.map((a) => a.kind),
      ["low-cdn-hit-ratio", "oversized-originals"]
    )
    const ls = await json<{ entries: Array<{ key: string }> }>(["object", "ls", "-r"])
    assert.strictEqual(ls.entries.length, 2)
  })
})

const aws = testAws()

describe.skipIf(!aws)("localex-storage cost report and budget (moto)", () => {
  let account: TestAccount
  let awsEnv: Record<string, string>
  beforeAll(async () => {
    account = await createTestAccount(aws!)
    awsEnv = {
      AWS_ENDPOINT_URL: aws!.endpoint,
      AWS_ACCESS_KEY_ID: account.accessKeyId,
      AWS_SECRET_ACCESS_KEY: account.secretAccessKey
    }
  })

  it("report monthly: S3's cost by usage type, then the same report from the cache", async () => {
    const month = (start: string, end: string, groups: ReadonlyArray<readonly [string, string]>) => ({
      ResultsByTime: [
        {
          TimePeriod: { Start: start, End: end },
          Total: {},
          Groups: groups.map(([k, a]) => ({ Keys: [k], Metrics: { BlendedCost: { Amount: a, Unit: "USD" } } })),
          Estimated: false
        }
      ]
    })
    await queueCostAndUsageResults(aws!, account.accountId, [
      month("2026-10-01", "2026-11-01", [
        ["USE1-TimedStorage-ByteHrs", "20.00"],
        ["USE1-Requests-Tier1", "5.00"]
      ]),
      month("2026-09-01", "2026-10-01", [["USE1-TimedStorage-ByteHrs", "20.00"]])
    ])
    const args = [
      "cost",
      "report",
      "monthly",
      "--group-by",
      "usage-type",
      "--since",
      "2026-10-01",
      "--until",
      "2026-11-01"
    ]
    const first = await json<{
      amount: number
      groups: Array<{ key: string }>
      trend: { change: number }
      source: { requests: number }
    }>(args, awsEnv)
    assert.strictEqual(first.amount, 25)
    assert.deepStrictEqual(
      first.groups.map((g) => g.key),
      ["USE1-TimedStorage-ByteHrs", "USE1-Requests-Tier1"]
    )
    assert.strictEqual(first.trend.change, 5)
    assert.strictEqual(first.source.requests, 2)
    const again = await cli(args, awsEnv)
    assert.strictEqual(again.code, 0, again.stderr)
    assert.include(again.text, "no Cost Explorer request")
    assert.match(again.text, /total\s+\$25\.00 USD/)
    const cache = await json<{ entries: Array<{ key: string }> }>(["object", "ls", "-r", "--prefix", "_localex/cache/"])
    assert.strictEqual(cache.entries.length, 2)
    assertOneLineError(
      await cli(["cost", "report", "daily", "--since", "2026-11-02", "--until", "2026-11-01"], awsEnv),
      2,
      "--since must be before --until"
    )
  })

  it("budget plan → apply → plan shows nothing to do; apply again changes nothing", async () => {
    const name = uniqueName("s3-monthly")
    const flags = ["--limit", "120", "--email", "ops@localex.test", "--name", name]
    const plan = await json<{ changes: Array<{ action: string; id: string }>; accountId: string }>(
      ["cost", "budget", "plan", ...flags],
      awsEnv
    )
    assert.strictEqual(plan.accountId, account.accountId)
    assert.deepStrictEqual(
      plan.changes.map((c) => `${c.action} ${c.id}`),
      ["add budget", "add actual > 80%", "add forecasted > 100%"]
    )
    const applied = await json<{ applied: boolean }>(["cost", "budget", "apply", ...flags], awsEnv)
    assert.strictEqual(applied.applied, true)
    const again = await cli(["cost", "budget", "plan", ...flags], awsEnv)
    assert.strictEqual(again.code, 0, again.stderr)
    assert.include(again.text, "No changes")
    assert.include(again.text, "could not be read") // moto lists no subscribers
    const twice = await json<{ applied: boolean }>(["cost", "budget", "apply", ...flags], awsEnv)
    assert.strictEqual(twice.applied, false)
    assertOneLineError(await cli(["cost", "budget", "plan", "--limit", "0"], awsEnv), 2, "positive")
    assertOneLineError(
      await cli(["cost", "budget", "plan", "--limit", "5", "--email", "nobody"], awsEnv),
      2,
      "subscribers"
    )
  }, 60_000)
})
