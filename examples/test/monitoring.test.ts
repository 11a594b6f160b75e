// The guide's monitoring on the Promise API: access logs (a committed log and a store prefix),
// S3 metrics, alarms and dashboard as code and the daily check on CloudWatch (the local moto
// server), and the latest checklist report of a cron job.
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch"
import { awsClientConfig, uniqueName } from "@localex/local-aws"
import {
  AccessLogSourceError,
  AlarmSpecInvalid,
  createMonitoringService,
  InvalidTime
} from "@localex/monitoring/promise"
import { createStorageService } from "@localex/storage-core/promise"
import { describe, expect, it } from "vitest"
import { motoAccount } from "./motoAccount.js"

const FIXTURE = path.join(import.meta.dirname, "fixtures/aws-doc.log")
const folder = () => fs.mkdtemp(path.join(os.tmpdir(), "localex-examples-"))

// CloudWatch goes to the local moto server, in an account of this file's own.
const moto = await motoAccount("AWS_ENDPOINT_URL_CLOUDWATCH")
const aws = moto?.aws
const account = moto?.account

describe("the guide's access-log review", () => {
  it("analyzes a local log: requests, status classes, error codes, operations", async () => {
    await using monitoring = createMonitoringService({ driver: "fs", root: await folder() })
    const report = await monitoring.analyzeAccessLogs({ path: FIXTURE })
    expect(report.records).toBe(5)
    expect(report.malformed.count).toBe(0)
    expect(report.byStatusClass).toMatchObject({ "2xx": 4, "4xx": 1, "5xx": 0 })
    expect(report.byErrorCode.map((c) => [c.name, c.count])).toEqual([["NoSuchBucketPolicy", 1]])
    expect(report.byOperation.find((o) => o.operation === "REST.GET.VERSIONING")?.requests).toBe(2)
    expect(report.firstTime).toBe("2019-02-06T00:00:38.000Z")
  })

  it("keeps to a time window given as text, a Date or epoch milliseconds", async () => {
    await using monitoring = createMonitoringService({ driver: "fs", root: await folder() })
    const text = await monitoring.analyzeAccessLogs(
      { path: FIXTURE },
      { since: "2019-02-06T00:00:39Z", until: "2019-02-06T01:00:00Z" }
    )
    expect([text.records, text.outsideWindow]).toEqual([2, 3])
    const dates = await monitoring.analyzeAccessLogs(
      { path: FIXTURE },
      { since: new Date("2019-02-06T00:00:00Z"), until: Date.parse("2019-02-06T00:00:39Z") }
    )
    expect([dates.records, dates.outsideWindow]).toEqual([3, 2])
  })

  it("analyzes the logs under a store prefix and renders the HTML report", async () => {
    const root = await folder()
    {
      await using storageService = createStorageService({ driver: "fs", root })
      await storageService.uploadFile("logs/2019-02-06-00-00-00-EXAMPLE", await fs.readFile(FIXTURE))
      await storageService.uploadFile("items/1/photo.jpg", new Uint8Array(10)) // not under the prefix
    }
    await using monitoring = createMonitoringService({ driver: "fs", root })
    const report = await monitoring.analyzeAccessLogs({ prefix: "logs/" })
    expect([report.sources, report.records]).toEqual([1, 5])
    const html = await monitoring.renderAccessLogReport(report, "Bucket logs, 6 February")
    expect(html).toContain("<title>Bucket logs, 6 February</title>")
    expect(html).toContain("NoSuchBucketPolicy")
  })

  it("refuses a bad window with InvalidTime and a missing path with AccessLogSourceError", async () => {
    await using monitoring = createMonitoringService({ driver: "fs", root: await folder() })
    const badTime = await monitoring.analyzeAccessLogs({ path: FIXTURE }, { since: "yesterday" }).catch((e) => e)
    expect(badTime).toBeInstanceOf(InvalidTime)
    const reversed = await monitoring
      .analyzeAccessLogs({ path: FIXTURE }, { since: "2019-02-07", until: "2019-02-06" })
      .catch((e) => e)
    expect(reversed).toBeInstanceOf(InvalidTime)
    const missing = await monitoring.analyzeAccessLogs({ path: path.join(await folder(), "nope.log") }).catch((e) => e)
    expect(missing).toBeInstanceOf(AccessLogSourceError)
  })
})

describe("the guide's Expected Performance", () => {
  it("measures upload, download and signing on the store, the thumbnail with the given function, and removes what it wrote", async () => {
    const root = await folder()
    await using monitoring = createMonitoringService({ driver: "fs", root })
    const thumbnails: Array<number> = []
    const result = await monitoring.checkPerformance({
      samples: 2,
      thumbnail: async (image) => {
        thumbnails.push(image.byteLength)
      }
    })
    expect(result.lines.map((l) => [l.id, l.samplesMs.length])).toEqual([
      ["upload", 2],
      ["download", 2],
      ["thumbnail", 2],
      ["cdn", 0],
      ["signed-url", 2]
    ])
    expect(thumbnails).toHaveLength(2)
    expect(result.lines.find((l) => l.id === "cdn")).toMatchObject({ status: "skip", hint: "no CDN configured" })
    // No object file (the fs driver's `<name>@`) is left under the root, _localex/perf/ included.
    const files = await fs.readdir(root, { recursive: true })
    expect(files.filter((f) => f.endsWith("@"))).toEqual([])
  })
})

describe("the latest checklist report of a cron job", () => {
  it("reads the report latest.json points at; null for a job that never ran", async () => {
    const root = await folder()
    const report = {
      schemaVersion: 1,
      job: "daily",
      runId: "run-1",
      status: "warn",
      counts: { pass: 1, warn: 1, fail: 0, skip: 0 },
      runner: "cron@host",
      leaseToken: 3,
      location: `file://${root}`,
      trigger: "schedule",
      startedAt: "2026-12-01T06:00:00.000Z",
      finishedAt: "2026-12-01T06:00:05.000Z",
      durationMs: 5000,
      checks: [
        {
          id: "storage.quota",
          title: "Storage quota",
          status: "pass",
          summary: "12 % used",
          evidence: null,
          durationMs: 120,
          attempts: 1
        },
        {
          id: "logs.review",
          title: "Access logs",
          status: "warn",
          summary: "3 forbidden requests",
          evidence: { forbidden: 3 },
          durationMs: 800,
          hint: "see the report",
          attempts: 1
        }
      ],
      links: { json: "_localex/reports/daily/2026/12/run-1.json", markdown: "_localex/reports/daily/2026/12/run-1.md" }
    }
    {
      await using storageService = createStorageService({ driver: "fs", root })
      await storageService.uploadFile(
        "_localex/reports/daily/latest.json",
        new TextEncoder().encode(JSON.stringify(report))
      )
    }
    await using monitoring = createMonitoringService({ driver: "fs", root })
    const latest = await monitoring.latestReport("daily")
    expect(latest?.status).toBe("warn")
    expect(latest?.checks.map((c) => [c.id, c.status])).toEqual([
      ["storage.quota", "pass"],
      ["logs.review", "warn"]
    ])
    expect(await monitoring.latestReport("weekly")).toBeNull()
  })
})

describe.skipIf(!aws || !account)("CloudWatch on the local moto server", () => {
  const bucket = uniqueName("photos")

  it("the guide's alarms: plan adds five, apply writes them, plan again is empty; a bad spec is refused", async () => {
    await using monitoring = createMonitoringService({ driver: "fs", root: await folder() })
    const guide = { bucket, snsTopics: [`arn:aws:sns:us-east-1:${account!.accountId}:ops`] }
    const first = await monitoring.planAlarms(guide)
    expect(first.changes.map((c) => [c.action, c.name])).toEqual([
      ["add", "high-storage-usage"],
      ["add", "high-error-rate"],
      ["add", "unusual-request-volume"],
      ["add", "high-5xx-rate"],
      ["add", "high-latency"]
    ])
    const applied = await monitoring.applyAlarms(guide)
    expect(applied.written).toHaveLength(5)
    const again = await monitoring.applyAlarms(guide)
    expect(again.written).toEqual([])
    expect(again.plan.unchanged).toHaveLength(5)

    // Explicit specs are checked before anything is sent.
    const invalid = await monitoring
      .applyAlarms([
        {
          name: "bad",
          description: "an action that is no SNS topic",
          watch: {
            namespace: "AWS/S3",
            metricName: "AllRequests",
            dimensions: { BucketName: bucket },
            stat: "Sum",
            period: 300
          },
          comparison: "GreaterThanThreshold",
          threshold: 1,
          evaluationPeriods: 1,
          treatMissingData: "notBreaching",
          actions: ["mailto:ops@localex.test"]
        }
      ])
      .catch((e) => e)
    expect(invalid).toBeInstanceOf(AlarmSpecInvalid)
    expect(await monitoring.planAlarms({ bucket, snsTopics: guide.snsTopics })).toMatchObject({ empty: true })
  })

  it("the guide's dashboard: plan adds it, apply writes it, apply again writes nothing", async () => {
    await using monitoring = createMonitoringService({ driver: "fs", root: await folder() })
    const dashboard = { bucket, region: "us-east-1", name: uniqueName("LocalEx-Storage") }
    const plan = await monitoring.planDashboard(dashboard)
    expect(plan.changes.map((c) => [c.action, c.name])).toEqual([["add", dashboard.name]])
    expect(plan.changes[0]!.differences.join("\n")).toContain("Storage Usage")
    expect((await monitoring.applyDashboard(dashboard)).written).toBe(true)
    expect((await monitoring.applyDashboard(dashboard)).written).toBe(false)
    expect((await monitoring.planDashboard(dashboard)).empty).toBe(true)
  })

  it("S3 metrics and the daily check read what CloudWatch holds", async () => {
    const now = Date.now()
    const day = 86_400_000
    const dimensions = (extra: Record<string, string>) =>
      Object.entries({ BucketName: bucket, ...extra }).map(([Name, Value]) => ({ Name, Value }))
    const client = new CloudWatchClient(awsClientConfig(aws!, account!))
    await client.send(
      new PutMetricDataCommand({
        Namespace: "AWS/S3",
        MetricData: [
          {
            MetricName: "BucketSizeBytes",
            Dimensions: dimensions({ StorageType: "StandardStorage" }),
            Value: 700 * 1024 ** 3,
            Timestamp: new Date(now - day + 3_600_000),
            Unit: "Bytes"
          },
          {
            MetricName: "NumberOfObjects",
            Dimensions: dimensions({ StorageType: "AllStorageTypes" }),
            Value: 12345,
            Timestamp: new Date(now - day + 3_600_000),
            Unit: "Count"
          },
          ...(
            [
              ["AllRequests", 2000],
              ["GetRequests", 1500],
              ["4xxErrors", 150],
              ["5xxErrors", 4]
            ] as const
          ).map(([MetricName, Value]) => ({
            MetricName,
            Dimensions: dimensions({ FilterId: "EntireBucket" }),
            Value,
            Timestamp: new Date(now - 10 * 60_000),
            Unit: "Count" as const
          }))
        ]
      })
    )
    client.destroy()

    await using monitoring = createMonitoringService({ driver: "fs", root: await folder() })
    const storage = await monitoring.getStorageMetrics({ bucket, since: "3d" })
    expect(storage.bytesByStorageType.map((t) => t.storageType)).toEqual(["StandardStorage"])
    expect(storage.totalBytes.map((p) => p.value)).toEqual([700 * 1024 ** 3])
    expect(storage.objects.map((p) => p.value)).toEqual([12345])

    const requests = await monitoring.getRequestMetrics({ bucket, since: new Date(now - 3_600_000) })
    expect(requests.totals).toMatchObject({ AllRequests: 2000, GetRequests: 1500, "4xxErrors": 150, "5xxErrors": 4 })
    // Before the data: nothing.
    const before = await monitoring.getRequestMetrics({
      bucket,
      since: now - 3 * 3_600_000,
      until: now - 2 * 3_600_000
    })
    expect(before.totals.AllRequests).toBe(0)

    const accessLogs = await monitoring.analyzeAccessLogs({ path: FIXTURE })
    const daily = await monitoring.dailyCheck({ bucket, accessLogs })
    expect(daily.checks.map((c) => [c.id, c.status])).toEqual([
      ["storage-usage", "pass"],
      ["error-rates", "warn"], // 7.5 % 4xx
      ["failed-requests", "warn"],
      ["access-logs", expect.any(String)]
    ])
    expect(daily.status).toBe("warn")
  })
})
