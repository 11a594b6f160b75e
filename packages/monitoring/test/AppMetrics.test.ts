/**
 * Application metrics: a metered in-memory store records latency, bytes and errors; the
 * Prometheus text is parsed back; CloudWatch datums are deltas, batched within the limits,
 * published to CloudWatch on moto and read back with GetMetricData.
 */
import { mkdtempSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch"
import { assert, describe, it } from "@effect/vitest"
import { awsClientConfig, createTestAccount, testAws, uniqueName } from "@localex/local-aws"
import { ObjectStore } from "@localex/storage-core"
import * as Testing from "@localex/storage-core/testing"
import { Effect, Layer, Metric, Stream } from "effect"
import * as AppMetrics from "../src/AppMetrics.js"
import { CloudWatch, type MetricDatum } from "../src/CloudWatch.js"
import { readPrometheusText } from "./prometheusText.js"

/** Each test records into a registry of its own. */
const freshRegistry = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => Effect.provideService(effect, Metric.MetricRegistry, new Map()))

const folder = mkdtempSync(join(tmpdir(), "localex-appmetrics-"))
const metered = AppMetrics.meteredStore.pipe(Layer.provide(Testing.layerMemory()))

const samples = (text: string, name: string) =>
  [...readPrometheusText(text).values()].flatMap((family) => family.samples).filter((sample) => sample.name === name)

describe("AppMetrics", () => {
  it.effect("the metered store records latency, bytes and errors; Prometheus text parses back with them", () =>
    freshRegistry(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        yield* store.put("items/1/a.jpg", new Uint8Array(1000))
        yield* store.put("items/1/b.jpg", new Uint8Array(24))
        const got = yield* store.get("items/1/a.jpg")
        yield* Stream.runDrain(got.body)
        const saved = yield* store.download("items/1/b.jpg", join(folder, "b.jpg"))
        assert.strictEqual(statSync(join(folder, "b.jpg")).size, saved.size)
        yield* Effect.flip(store.head("items/none"))
        yield* Stream.runDrain(store.list({ prefix: "items/" }))

        const text = yield* AppMetrics.prometheusText
        assert.deepStrictEqual(
          samples(text, "localex_store_bytes_total").map((m) => [m.labels.direction, m.value]),
          [
            ["upload", 1024],
            ["download", 1024]
          ]
        )
        assert.deepStrictEqual(
          samples(text, "localex_store_errors_total").map((m) => [m.labels, m.value]),
          [[{ operation: "head", error: "ObjectNotFound" }, 1]]
        )
        const isPut = (m: { labels: Record<string, string> }) =>
          m.labels.operation === "put" && m.labels.outcome === "ok"
        assert.deepStrictEqual(
          samples(text, "localex_store_operation_seconds_count")
            .filter(isPut)
            .map((m) => m.value),
          [2]
        )
        const putBuckets = samples(text, "localex_store_operation_seconds_bucket").filter(isPut)
        assert.deepStrictEqual(putBuckets.at(-1), {
          name: "localex_store_operation_seconds_bucket",
          labels: { operation: "put", outcome: "ok", le: "+Inf" },
          value: 2
        })
        assert.strictEqual(putBuckets.length, 16) // 15 boundaries and +Inf, cumulative
        for (let i = 1; i < putBuckets.length; i++) assert.isAtLeast(putBuckets[i]!.value, putBuckets[i - 1]!.value)
        assert.deepStrictEqual(
          samples(text, "localex_store_operation_seconds_count")
            .map((m) => `${m.labels.operation}/${m.labels.outcome}`)
            .sort(),
          ["download/ok", "get/ok", "head/ObjectNotFound", "list/ok", "put/ok"]
        )
        assert.strictEqual(readPrometheusText(text).get("localex_store_operation_seconds")?.type, "histogram")
      })
    ).pipe(Effect.provide(metered))
  )

  it.effect("timed records seconds with the outcome; names Prometheus refuses are made valid", () =>
    freshRegistry(
      Effect.gen(function* () {
        yield* Effect.succeed(1).pipe(AppMetrics.timed(AppMetrics.jobSeconds, { job: "daily" }))
        yield* Effect.flip(
          Effect.fail({ _tag: "Boom" }).pipe(AppMetrics.timed(AppMetrics.jobSeconds, { job: "daily" }))
        )
        yield* Metric.update(Metric.gauge("queue.depth-now"), 7)
        const text = yield* AppMetrics.prometheusText
        assert.deepStrictEqual(
          samples(text, "localex_job_duration_seconds_count").map((m) => [m.labels, m.value]),
          [
            [{ job: "daily", outcome: "ok" }, 1],
            [{ job: "daily", outcome: "Boom" }, 1]
          ]
        )
        assert.deepStrictEqual(
          samples(text, "queue_depth_now").map((m) => m.value),
          [7]
        )
      })
    )
  )

  it.effect("CloudWatch datums are what changed since the last publish", () =>
    freshRegistry(
      Effect.gen(function* () {
        const counter = Metric.withAttributes(AppMetrics.storeErrors, { operation: "put", error: "Throttled" })
        const histogram = Metric.withAttributes(AppMetrics.imageProcessingSeconds, { variant: "thumb" })
        yield* Metric.update(counter, 3)
        yield* Metric.update(histogram, 0.02)
        yield* Metric.update(histogram, 0.02)
        yield* Metric.update(histogram, 120)
        const at = new Date(Date.UTC(2026, 11, 1))
        const first = AppMetrics.cloudWatchDatums(yield* Metric.snapshot, new Map(), at)
        assert.deepStrictEqual(first.datums, [
          {
            MetricName: "localex_store_errors_total",
            Dimensions: [
              { Name: "operation", Value: "put" },
              { Name: "error", Value: "Throttled" }
            ],
            Timestamp: at,
            Unit: "Count",
            Value: 3
          },
          {
            MetricName: "localex_image_processing_seconds",
            Dimensions: [{ Name: "variant", Value: "thumb" }],
            Timestamp: at,
            Unit: "Seconds",
            Values: [0.025, 120],
            Counts: [2, 1]
          }
        ])
        yield* Metric.update(counter, 2)
        const second = AppMetrics.cloudWatchDatums(yield* Metric.snapshot, first.state, at)
        assert.deepStrictEqual(
          second.datums.map((d) => [d.MetricName, d.Value]),
          [["localex_store_errors_total", 2]]
        )
      })
    )
  )

  it("batches respect 1,000 datums and the payload size", () => {
    const datum = (i: number): MetricDatum => ({ MetricName: `m${i}`, Value: i })
    assert.deepStrictEqual(
      AppMetrics.batches(Array.from({ length: 2500 }, (_, i) => datum(i))).map((b) => b.length),
      [1000, 1000, 500]
    )
    const wide = (i: number): MetricDatum => ({
      MetricName: `m${i}`,
      Dimensions: Array.from({ length: 30 }, (_, d) => ({ Name: `d${d}`, Value: "x".repeat(200) })),
      Value: i
    })
    const big = AppMetrics.batches(Array.from({ length: 200 }, (_, i) => wide(i)))
    assert.isAbove(big.length, 1)
    for (const batch of big) assert.isAtMost(JSON.stringify(batch).length * 2, AppMetrics.LIMITS.bytesPerRequest)
    assert.strictEqual(big.flat().length, 200)
  })

  it("embedded metric format: one JSON line per datum, with its namespace, dimensions and value", () => {
    const [line] = AppMetrics.embeddedMetricFormat("LocalEx/Storage", [
      {
        MetricName: "localex_store_errors_total",
        Dimensions: [{ Name: "operation", Value: "put" }],
        Unit: "Count",
        Value: 2,
        Timestamp: new Date(5000)
      }
    ])
    assert.deepStrictEqual(JSON.parse(line!), {
      _aws: {
        Timestamp: 5000,
        CloudWatchMetrics: [
          {
            Namespace: "LocalEx/Storage",
            Dimensions: [["operation"]],
            Metrics: [{ Name: "localex_store_errors_total", Unit: "Count" }]
          }
        ]
      },
      operation: "put",
      localex_store_errors_total: 2
    })
  })
})

const aws = testAws()

describe.skipIf(!aws)("AppMetrics on CloudWatch (moto)", () => {
  // Live clock: the datums' timestamps are now, where GetMetricData looks.
  it.live("publish puts the increases; GetMetricData reads them back", () =>
    freshRegistry(
      Effect.gen(function* () {
        const namespace = uniqueName("LocalEx/Test")
        const publisher = AppMetrics.makePublisher(namespace)
        const counter = Metric.withAttributes(AppMetrics.storeBytes, { direction: "upload" })
        yield* Metric.update(counter, 1000)
        const first = yield* publisher.publish
        yield* Metric.update(counter, 234)
        const second = yield* publisher.publish
        const third = yield* publisher.publish
        assert.deepStrictEqual([first.datums, second.datums, third.datums], [1, 1, 0])
        const cloudwatch = yield* CloudWatch
        const results = yield* cloudwatch.getMetricData(
          [
            {
              Id: "bytes",
              MetricStat: {
                Metric: {
                  Namespace: namespace,
                  MetricName: "localex_store_bytes_total",
                  Dimensions: [{ Name: "direction", Value: "upload" }]
                },
                Period: 3600,
                Stat: "Sum"
              }
            }
          ],
          new Date(Date.now() - 3_600_000),
          new Date(Date.now() + 60_000)
        )
        assert.deepStrictEqual(
          results[0]?.Values?.reduce((s, v) => s + v, 0),
          1234
        )
      }).pipe(
        Effect.provide(
          Layer.unwrap(
            Effect.promise(async () => {
              const account = await createTestAccount(aws!)
              return CloudWatch.layerClient(new CloudWatchClient(awsClientConfig(aws!, account)))
            })
          )
        )
      )
    )
  )
})
