/**
 * Dashboards and alarms as code: the rendered JSON and requests checked field by field, then
 * plan → apply → plan again (empty) → apply again (nothing written) against CloudWatch on the
 * local moto server, in an account of this file's own.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch"
import { assert, describe, it, layer } from "@effect/vitest"
import { awsClientConfig, createTestAccount, testAws, uniqueName } from "@localex/local-aws"
import { Effect, Layer } from "effect"
import * as Alarms from "../src/Alarms.js"
import { CloudWatch } from "../src/CloudWatch.js"
import * as Dashboard from "../src/Dashboard.js"

const BUCKET = "localex-storage"

/** The rendered widget, as the tests read it. */
interface RenderedWidget {
  readonly type: string
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
  readonly properties: {
    readonly title: string
    readonly region: string
    readonly period: number
    readonly stat: string
    readonly metrics: Array<Array<unknown>>
  }
}

describe("Dashboard.render", () => {
  it("renders the guide's two widgets with their dimensions, periods and statistics", () => {
    const body = Dashboard.render(Dashboard.guideDashboard({ bucket: BUCKET, region: "eu-west-1" }))
    const [usage, requests] = body.widgets as unknown as Array<RenderedWidget>
    assert.deepStrictEqual(usage, {
      type: "metric",
      x: 0,
      y: 0,
      width: 12,
      height: 6,
      properties: {
        title: "Storage Usage",
        view: "timeSeries",
        stacked: false,
        region: "eu-west-1",
        period: 86400,
        stat: "Average",
        metrics: [
          [
            "AWS/S3",
            "BucketSizeBytes",
            "BucketName",
            BUCKET,
            "StorageType",
            "StandardStorage",
            { label: "BucketSizeBytes (StandardStorage)" }
          ],
          [
            "AWS/S3",
            "NumberOfObjects",
            "BucketName",
            BUCKET,
            "StorageType",
            "AllStorageTypes",
            { label: "NumberOfObjects", yAxis: "right" }
          ]
        ]
      }
    } as unknown)
    assert.deepStrictEqual(
      [requests!.x, requests!.y, requests!.properties.title, requests!.properties.period, requests!.properties.stat],
      [12, 0, "Request Metrics", 300, "Sum"]
    )
    assert.deepStrictEqual(requests!.properties.metrics, [
      ["AWS/S3", "AllRequests", "BucketName", BUCKET, "FilterId", "EntireBucket"],
      ["AWS/S3", "GetRequests", "BucketName", BUCKET, "FilterId", "EntireBucket"],
      ["AWS/S3", "PutRequests", "BucketName", BUCKET, "FilterId", "EntireBucket"]
    ])
    // Third widget wraps to the next row.
    assert.deepStrictEqual([body.widgets[2]!.x, body.widgets[2]!.y], [0, 6])
  })

  it("adds the CDN widget in us-east-1 for a distribution, and one BucketSizeBytes line per storage type", () => {
    const spec = Dashboard.guideDashboard({
      bucket: BUCKET,
      region: "eu-west-1",
      distributionId: "E2EXAMPLE",
      storageTypes: ["StandardStorage", "StandardIAStorage"]
    })
    const body = Dashboard.render(spec) as unknown as { widgets: Array<RenderedWidget> }
    const cdn = body.widgets.at(-1)!.properties
    assert.strictEqual(cdn.region, "us-east-1")
    assert.deepStrictEqual(cdn.metrics[0], [
      "AWS/CloudFront",
      "Requests",
      "DistributionId",
      "E2EXAMPLE",
      "Region",
      "Global",
      { stat: "Sum" }
    ])
    assert.deepStrictEqual(
      body.widgets[0]!.properties.metrics.map((row) => row[5]),
      ["StandardStorage", "StandardIAStorage", "AllStorageTypes"]
    )
  })
})

describe("Alarms.toRequest", () => {
  const specs = Alarms.guideAlarms({ bucket: BUCKET, snsTopics: ["arn:aws:sns:us-east-1:123456789012:ops"] })
  const byName = new Map(specs.map((spec) => [spec.name, Alarms.toRequest(spec)]))

  it("high-storage-usage: daily average BucketSizeBytes of StandardStorage over 1 TiB", () => {
    assert.deepStrictEqual(byName.get("high-storage-usage"), {
      AlarmName: "high-storage-usage",
      AlarmDescription: "Bucket localex-storage: daily average size (StandardStorage) above the limit",
      ActionsEnabled: true,
      AlarmActions: ["arn:aws:sns:us-east-1:123456789012:ops"],
      OKActions: ["arn:aws:sns:us-east-1:123456789012:ops"],
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 1099511627776,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: "missing",
      Namespace: "AWS/S3",
      MetricName: "BucketSizeBytes",
      Dimensions: [
        { Name: "BucketName", Value: BUCKET },
        { Name: "StorageType", Value: "StandardStorage" }
      ],
      Period: 86400,
      Statistic: "Average"
    })
  })

  it("high-error-rate is a percentage by metric math, not a count compared to 5", () => {
    const request = byName.get("high-error-rate")!
    assert.strictEqual(request.MetricName, undefined)
    assert.strictEqual(request.Threshold, 5)
    assert.deepStrictEqual(request.Metrics, [
      {
        Id: "errors",
        ReturnData: false,
        MetricStat: {
          Metric: {
            Namespace: "AWS/S3",
            MetricName: "4xxErrors",
            Dimensions: [
              { Name: "BucketName", Value: BUCKET },
              { Name: "FilterId", Value: "EntireBucket" }
            ]
          },
          Period: 300,
          Stat: "Sum"
        }
      },
      {
        Id: "requests",
        ReturnData: false,
        MetricStat: {
          Metric: {
            Namespace: "AWS/S3",
            MetricName: "AllRequests",
            Dimensions: [
              { Name: "BucketName", Value: BUCKET },
              { Name: "FilterId", Value: "EntireBucket" }
            ]
          },
          Period: 300,
          Stat: "Sum"
        }
      },
      { Id: "e1", Expression: "100 * errors / requests", Label: "4xxErrors as % of AllRequests", ReturnData: true }
    ])
  })

  it("unusual-request-volume: AllRequests summed over 5 minutes above 10,000; latency uses p99", () => {
    const volume = byName.get("unusual-request-volume")!
    assert.deepStrictEqual(
      [volume.MetricName, volume.Statistic, volume.Period, volume.Threshold, volume.Dimensions],
      [
        "AllRequests",
        "Sum",
        300,
        10000,
        [
          { Name: "BucketName", Value: BUCKET },
          { Name: "FilterId", Value: "EntireBucket" }
        ]
      ]
    )
    const latency = byName.get("high-latency")!
    assert.deepStrictEqual(
      [latency.ExtendedStatistic, latency.Statistic, latency.EvaluationPeriods],
      ["p99", undefined, 3]
    )
  })

  it.effect("refuses specs CloudWatch would refuse, before any request", () =>
    Effect.gen(function* () {
      const bad = yield* Effect.flip(Alarms.validate(Alarms.guideAlarms({ bucket: BUCKET, snsTopics: ["not-an-arn"] })))
      assert.strictEqual(bad._tag, "AlarmSpecInvalid")
      const twice = yield* Effect.flip(Alarms.validate([specs[0]!, specs[0]!]))
      assert.match(twice.message, /two alarms have this name/)
    })
  )
})

const aws = testAws()

const cloudwatchLayer = Layer.unwrap(
  Effect.promise(async () => {
    const account = await createTestAccount(aws!)
    return CloudWatch.layerClient(new CloudWatchClient(awsClientConfig(aws!, account)))
  })
)

describe.skipIf(!aws)("on CloudWatch (moto)", () => {
  layer(cloudwatchLayer, { timeout: 60_000 })((it) => {
    it.effect("dashboard: plan shows the whole body, apply writes it, plan again is empty, a change is one line", () =>
      Effect.gen(function* () {
        const spec = Dashboard.guideDashboard({
          bucket: BUCKET,
          region: "us-east-1",
          name: uniqueName("LocalEx-Storage")
        })
        const first = yield* Dashboard.plan(spec)
        assert.strictEqual(first.changes[0]!.action, "add")
        assert.include(first.changes[0]!.differences.join("\n"), '"Storage Usage"')

        const applied = yield* Dashboard.apply(spec)
        assert.strictEqual(applied.written, true)
        const again = yield* Dashboard.apply(spec)
        assert.strictEqual(again.written, false)
        assert.deepStrictEqual(Dashboard.formatPlan(again.plan), ["No changes: 1 dashboard(s) as wanted."])

        const changed = {
          ...spec,
          widgets: spec.widgets.map((w, i) => (i === 1 && w.type === "metric" ? { ...w, period: 60 } : w))
        }
        const diff = yield* Dashboard.plan(changed)
        assert.deepStrictEqual(diff.changes[0]!.differences, ["widgets[1].properties.period: 300 → 60"])

        const cloudwatch = yield* CloudWatch
        const stored = JSON.parse((yield* cloudwatch.getDashboard(spec.name))!)
        assert.deepStrictEqual(stored, JSON.parse(Dashboard.renderJson(spec)))
        assert.strictEqual(yield* cloudwatch.getDashboard(uniqueName("missing")), null)
      })
    )

    it.effect(
      "alarms: apply creates five, apply twice changes nothing, a threshold change is planned and applied, prune removes",
      () =>
        Effect.gen(function* () {
          const prefix = uniqueName("t")
          const specs = Alarms.guideAlarms({
            bucket: BUCKET,
            snsTopics: ["arn:aws:sns:us-east-1:123456789012:ops"]
          }).map((spec) => ({ ...spec, name: `${prefix}-${spec.name}` }))
          const first = yield* Alarms.apply(specs)
          assert.deepStrictEqual(
            first.written,
            specs.map((s) => s.name)
          )
          const second = yield* Alarms.apply(specs)
          assert.deepStrictEqual(second.written, [])
          assert.strictEqual(second.plan.unchanged.length, 5)

          const raised = specs.map((s) => (s.name.endsWith("high-error-rate") ? { ...s, threshold: 7 } : s))
          const planned = yield* Alarms.plan(raised)
          assert.deepStrictEqual(
            planned.changes.map((c) => [c.action, c.name, c.differences]),
            [["change", `${prefix}-high-error-rate`, ["Threshold: 5 → 7"]]]
          )
          yield* Alarms.apply(raised)

          const kept = raised.filter((s) => !s.name.endsWith("high-latency"))
          const pruning = yield* Alarms.plan(kept, { prunePrefix: `${prefix}-` })
          assert.deepStrictEqual(
            pruning.changes.map((c) => [c.action, c.name]),
            [["remove", `${prefix}-high-latency`]]
          )
          const withoutPrune = yield* Alarms.plan(kept)
          assert.strictEqual(withoutPrune.empty, true)
          const pruned = yield* Alarms.apply(kept, { prunePrefix: `${prefix}-` })
          assert.deepStrictEqual(pruned.deleted, [`${prefix}-high-latency`])
        })
    )

    it.effect("the stored alarm is the request sent, field by field", () =>
      Effect.gen(function* () {
        const spec = { ...Alarms.guideAlarms({ bucket: BUCKET })[1]!, name: uniqueName("rate") }
        yield* Alarms.apply([spec])
        const cloudwatch = yield* CloudWatch
        const [stored] = yield* cloudwatch.describeAlarms([spec.name])
        assert.deepStrictEqual(Alarms.canonical(stored!), Alarms.canonical(Alarms.toRequest(spec)))
        assert.strictEqual(stored!.Metrics?.[2]?.Expression, "100 * errors / requests")
      })
    )
  })
})
