/**
 * The daily checks: verdicts at their boundaries (pure), then the whole run on CloudWatch (moto)
 * with S3's metrics put as S3 would publish them, read back with GetMetricData; the report
 * decodes with the ChecklistReport schema.
 */
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch"
import { assert, describe, it } from "@effect/vitest"
import { awsClientConfig, createTestAccount, testAws, uniqueName } from "@localex/local-aws"
import { Effect } from "effect"
import { CloudWatch } from "../src/CloudWatch.js"
import * as DailyCheck from "../src/DailyCheck.js"
import type * as S3Metrics from "../src/S3Metrics.js"

const TIB = 1024 ** 4
const storageOf = (...totals: Array<number>): S3Metrics.StorageMetrics => {
  const points = totals.map((value, i) => ({ time: new Date(Date.UTC(2026, 11, 1 + i)).toISOString(), value }))
  return { bytesByStorageType: [{ storageType: "StandardStorage", points }], totalBytes: points, objects: [] }
}
const requestsOf = (all: number, e4: number, e5: number): S3Metrics.RequestMetrics => ({
  filterId: "EntireBucket",
  totals: { AllRequests: all, GetRequests: 0, PutRequests: 0, DeleteRequests: 0, "4xxErrors": e4, "5xxErrors": e5 },
  series: { AllRequests: [], GetRequests: [], PutRequests: [], DeleteRequests: [], "4xxErrors": [], "5xxErrors": [] }
})

describe("DailyCheck verdicts", () => {
  const options = { bucket: "b" }
  it("storage usage: fail above 1 TiB, warn from 80 % or on fast growth, pass otherwise", () => {
    assert.strictEqual(DailyCheck.storageUsage(storageOf(TIB, TIB + 1), options).status, "fail")
    assert.strictEqual(DailyCheck.storageUsage(storageOf(0.8 * TIB, 0.8 * TIB), options).status, "warn")
    assert.strictEqual(DailyCheck.storageUsage(storageOf(100, 111), options).status, "warn")
    const pass = DailyCheck.storageUsage(storageOf(100, 105), options)
    assert.strictEqual(pass.status, "pass")
    assert.deepStrictEqual([pass.evidence.bytes, pass.evidence.previousBytes, pass.evidence.growth], [105, 100, 0.05])
    assert.strictEqual(DailyCheck.storageUsage(storageOf(), options).status, "warn")
  })

  it("error rates are percentages of all requests", () => {
    assert.strictEqual(DailyCheck.errorRates(requestsOf(1000, 50, 0), options).status, "pass") // exactly 5 %
    assert.strictEqual(DailyCheck.errorRates(requestsOf(1000, 51, 0), options).status, "warn")
    assert.strictEqual(DailyCheck.errorRates(requestsOf(1000, 0, 11), options).status, "fail")
    assert.strictEqual(DailyCheck.errorRates(requestsOf(0, 0, 0), options).status, "pass")
    assert.strictEqual(DailyCheck.failedRequests(requestsOf(500, 90, 11), options).status, "warn")
    assert.strictEqual(DailyCheck.failedRequests(requestsOf(500, 90, 10), options).status, "pass")
  })

  it("the report's status is the worst check's", () => {
    assert.strictEqual(DailyCheck.worst(["pass", "warn", "pass"]), "warn")
    assert.strictEqual(DailyCheck.worst(["warn", "fail"]), "fail")
    assert.strictEqual(DailyCheck.worst([]), "pass")
  })
})

const aws = testAws()

describe.skipIf(!aws)("DailyCheck on CloudWatch (moto)", () => {
  it.live("reads S3's storage and request metrics and judges them; the report decodes", () =>
    Effect.gen(function* () {
      const account = yield* Effect.promise(() => createTestAccount(aws!))
      const client = new CloudWatchClient(awsClientConfig(aws!, account))
      const bucket = uniqueName("photos")
      const now = Date.now()
      const day = 86_400_000
      const storage = (MetricName: string, StorageType: string, Value: number, at: number) => ({
        MetricName,
        Dimensions: [
          { Name: "BucketName", Value: bucket },
          { Name: "StorageType", Value: StorageType }
        ],
        Value,
        Timestamp: new Date(at),
        Unit: MetricName === "BucketSizeBytes" ? ("Bytes" as const) : ("Count" as const)
      })
      const request = (MetricName: string, Value: number) => ({
        MetricName,
        Dimensions: [
          { Name: "BucketName", Value: bucket },
          { Name: "FilterId", Value: "EntireBucket" }
        ],
        Value,
        Timestamp: new Date(now - 10 * 60_000),
        Unit: "Count" as const
      })
      yield* Effect.promise(() =>
        client.send(
          new PutMetricDataCommand({
            Namespace: "AWS/S3",
            MetricData: [
              storage("BucketSizeBytes", "StandardStorage", 600 * 1024 ** 3, now - 2 * day + 3_600_000),
              storage("BucketSizeBytes", "StandardStorage", 700 * 1024 ** 3, now - day + 3_600_000),
              storage("BucketSizeBytes", "GlacierStorage", 200 * 1024 ** 3, now - day + 3_600_000),
              storage("NumberOfObjects", "AllStorageTypes", 12345, now - day + 3_600_000),
              request("AllRequests", 2000),
              request("4xxErrors", 150),
              request("5xxErrors", 4)
            ]
          })
        )
      )
      const report = yield* DailyCheck.daily({ bucket }).pipe(Effect.provide(CloudWatch.layerClient(client)))
      const [usage, rates, failed] = report.checks
      assert.strictEqual(usage!.status, "warn") // 900 GiB ≥ 80 % of 1 TiB
      assert.strictEqual(usage!.evidence.bytes, 900 * 1024 ** 3)
      assert.deepStrictEqual(usage!.evidence.byStorageType, {
        StandardStorage: 700 * 1024 ** 3,
        GlacierStorage: 200 * 1024 ** 3
      })
      assert.strictEqual(usage!.evidence.objects, 12345)
      assert.strictEqual(rates!.status, "warn") // 7.5 % 4xx
      assert.strictEqual(rates!.evidence.rate4xxPercent, 7.5)
      assert.strictEqual(failed!.status, "warn") // 154 failed in the last hour
      assert.strictEqual(report.status, "warn")
      const decoded = yield* DailyCheck.decodeDailyReport(JSON.parse(JSON.stringify(report)))
      assert.deepStrictEqual(
        decoded.checks.map((c) => c.id),
        ["storage-usage", "error-rates", "failed-requests"]
      )
    })
  )
})
