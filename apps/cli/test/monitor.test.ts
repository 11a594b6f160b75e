/**
 * `localex-storage monitor …` spawned as a user runs it: access-log analysis of local files (JSON
 * numbers, the HTML report, errors and exit codes), and the dashboard, alarms and daily checks
 * against CloudWatch on the local moto server (AWS_ENDPOINT_URL and an account of this file's own).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { createTestAccount, type TestAccount, testAws, uniqueName } from "@localex/local-aws"
import { sampleCorpus } from "@localex/monitoring/testing"
import { beforeAll } from "vitest"
import { run, tempDir } from "./helpers.js"

describe("monitor logs analyze", () => {
  it("reports a folder of plain and gzipped logs as JSON, with an HTML report", async () => {
    await using dir = await tempDir()
    const logs = join(dir.path, "logs/2026/12/01")
    mkdirSync(logs, { recursive: true })
    const corpus = sampleCorpus()
    writeFileSync(join(logs, "a.log"), `${corpus.slice(0, 7).join("\n")}\n`)
    writeFileSync(join(logs, "b.log.gz"), gzipSync(`${corpus.slice(7).join("\n")}\n`))
    const html = join(dir.path, "report.html")
    const result = await run(["--json", "monitor", "logs", "analyze", "logs", "--html", html], {
      env: {},
      cwd: dir.path
    })
    assert.strictEqual(result.code, 0, result.stderr)
    const report = JSON.parse(result.text)
    assert.deepStrictEqual(report.byStatusClass, { "2xx": 5, "3xx": 1, "4xx": 4, "5xx": 2, other: 0 })
    assert.deepStrictEqual(
      [report.records, report.malformed.count, report.forbidden.count, report.failedDeletes.count],
      [12, 2, 3, 2]
    )
    assert.include(readFileSync(html, "utf8"), '<canvas id="hourly"')

    const windowed = await run(
      [
        "--json",
        "monitor",
        "logs",
        "analyze",
        "logs",
        "--since",
        "2026-12-01T10:05:00Z",
        "--until",
        "2026-12-01T11:10:00Z"
      ],
      { env: {}, cwd: dir.path }
    )
    assert.strictEqual(windowed.code, 0, windowed.stderr)
    assert.deepStrictEqual([JSON.parse(windowed.text).records, JSON.parse(windowed.text).outsideWindow], [5, 7])

    const text = await run(["monitor", "logs", "analyze", "logs"], { env: {}, cwd: dir.path })
    assert.strictEqual(text.code, 0, text.stderr)
    assert.match(text.text, /^12 requests in 2 file\(s\)/)
    assert.match(text.text, /REST\.GET\.OBJECT\s+6\s+3\s+1\s+2\s+0/)
  })

  it("a missing path is an operation failure (1); a bad time flag is a usage error (2) naming the flag", async () => {
    await using dir = await tempDir()
    const missing = await run(["monitor", "logs", "analyze", "nope"], { env: {}, cwd: dir.path })
    assert.strictEqual(missing.code, 1)
    assert.match(missing.stderr, /Cannot read access logs from "nope"/)
    const bad = await run(["monitor", "logs", "analyze", ".", "--since", "yesterday"], { env: {}, cwd: dir.path })
    assert.strictEqual(bad.code, 2)
    assert.match(bad.stderr, /--since "yesterday"/)
  })

  it("dashboard and alarms need the bucket: without one they say so (2)", async () => {
    await using dir = await tempDir()
    const result = await run(["monitor", "alarms", "plan"], { env: {}, cwd: dir.path })
    assert.strictEqual(result.code, 2)
    assert.match(result.stderr, /give --bucket/)
  })
})

describe("monitor request-metrics on the fs driver", () => {
  it("is refused: a folder has no request metrics (exit 1, one line)", async () => {
    await using dir = await tempDir()
    mkdirSync(join(dir.path, "data"))
    const result = await run(["--root", "data", "monitor", "request-metrics", "plan"], { env: {}, cwd: dir.path })
    assert.strictEqual(result.code, 1, result.text)
    assert.match(result.stderr, /request metrics configurations/)
    assert.strictEqual(result.stderr.trim().split("\n").length, 1)
  })
})

const aws = testAws()

describe.skipIf(!aws)("monitor on CloudWatch (moto)", () => {
  let account: TestAccount
  beforeAll(async () => {
    account = await createTestAccount(aws!)
  })
  const env = () => ({
    AWS_ENDPOINT_URL: aws!.endpoint,
    AWS_REGION: aws!.region,
    AWS_ACCESS_KEY_ID: account.accessKeyId,
    AWS_SECRET_ACCESS_KEY: account.secretAccessKey
  })

  it("dashboard plan → apply → plan is empty; --export writes the body", async () => {
    await using dir = await tempDir()
    const name = uniqueName("LocalEx-Storage")
    const common = ["--bucket", "localex-storage", "monitor", "dashboard"]
    const plan = await run([...common, "plan", "--name", name, "--export", "dashboard.json"], {
      env: env(),
      cwd: dir.path
    })
    assert.strictEqual(plan.code, 0, plan.stderr)
    assert.match(plan.text, new RegExp(`\\+ add dashboard "${name}"`))
    const exported = JSON.parse(readFileSync(join(dir.path, "dashboard.json"), "utf8"))
    assert.strictEqual(exported.widgets[0].properties.title, "Storage Usage")
    const apply = await run([...common, "apply", "--name", name], { env: env(), cwd: dir.path })
    assert.strictEqual(apply.code, 0, apply.stderr)
    assert.match(apply.text, /applied: the dashboard now matches/)
    const again = await run([...common, "plan", "--name", name], { env: env(), cwd: dir.path })
    assert.match(again.text, /No changes: 1 dashboard\(s\) as wanted\./)
  })

  it("alarms apply twice: the second changes nothing; a bad topic is refused before any request", async () => {
    await using dir = await tempDir()
    const common = ["--bucket", uniqueName("bucket"), "--json", "monitor", "alarms"]
    const topic = ["--sns-topic", "arn:aws:sns:us-east-1:123456789012:ops"]
    const first = await run([...common, "apply", ...topic], { env: env(), cwd: dir.path })
    assert.strictEqual(first.code, 0, first.stderr)
    assert.deepStrictEqual(JSON.parse(first.text).written, [
      "high-storage-usage",
      "high-error-rate",
      "unusual-request-volume",
      "high-5xx-rate",
      "high-latency"
    ])
    const second = await run([...common, "apply", ...topic], { env: env(), cwd: dir.path })
    assert.deepStrictEqual(JSON.parse(second.text).written, [])
    const bad = await run([...common, "plan", "--sns-topic", "ops"], { env: env(), cwd: dir.path })
    assert.strictEqual(bad.code, 2)
  })

  it("request-metrics: plan shows EntireBucket to add; apply on moto (which keeps nothing) fails clearly; a bad id is a usage error", async () => {
    await using dir = await tempDir()
    // moto's default account (its dummy key): a bucket made by a plain unsigned PUT, as moto allows.
    const bucket = uniqueName("localex-metrics")
    const made = await fetch(`${aws!.endpoint}/${bucket}`, { method: "PUT", signal: AbortSignal.timeout(10_000) })
    assert.strictEqual(made.status, 200)
    const motoEnv = { ...env(), AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing" }
    const common = ["--bucket", bucket, "--endpoint", aws!.endpoint, "monitor", "request-metrics"]
    const plan = await run([...common, "plan"], { env: motoEnv, cwd: dir.path })
    assert.strictEqual(plan.code, 0, plan.stderr)
    assert.match(plan.text, /\+ add request metrics configuration "EntireBucket"/)
    const apply = await run([...common, "apply"], { env: motoEnv, cwd: dir.path })
    assert.strictEqual(apply.code, 1, apply.text)
    assert.match(apply.stderr, /still differ after applying them/)
    const bad = await run([...common, "plan", "--filter", "no spaces allowed"], { env: motoEnv, cwd: dir.path })
    assert.strictEqual(bad.code, 2, bad.stderr)
    assert.match(bad.stderr, /no spaces allowed/)
  })

  it("check daily with no metrics yet: warns with evidence, exit 0", async () => {
    await using dir = await tempDir()
    const result = await run(["--bucket", uniqueName("bucket"), "--json", "monitor", "check", "daily"], {
      env: env(),
      cwd: dir.path
    })
    assert.strictEqual(result.code, 0, result.stderr)
    const report = JSON.parse(result.text)
    assert.deepStrictEqual(
      report.checks.map((c: { id: string; status: string }) => [c.id, c.status]),
      [
        ["storage-usage", "warn"],
        ["error-rates", "pass"],
        ["failed-requests", "pass"]
      ]
    )
    assert.strictEqual(report.schemaVersion, 1)
    assert.strictEqual(existsSync(dir.path), true)
  })
})
