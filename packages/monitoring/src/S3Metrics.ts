/**
 * S3's own CloudWatch metrics, read with GetMetricData: the daily storage metrics
 * (`BucketSizeBytes` per storage type, `NumberOfObjects`) and the request metrics (`AllRequests`,
 * `GetRequests`, `PutRequests`, `4xxErrors`, `5xxErrors`, …), which S3 publishes only for a bucket
 * metrics configuration (its id is the `FilterId` dimension, "EntireBucket" by convention).
 */
import { Effect } from "effect"
import { CloudWatch, type CloudWatchError, type MetricDataQuery } from "./CloudWatch.js"

/** The storage types S3 reports `BucketSizeBytes` for that LocalEx's lifecycle can produce. */
export const STORAGE_TYPES = [
  "StandardStorage",
  "StandardIAStorage",
  "OneZoneIAStorage",
  "IntelligentTieringFAStorage",
  "IntelligentTieringIAStorage",
  "IntelligentTieringAIAStorage",
  "GlacierInstantRetrievalStorage",
  "GlacierStorage",
  "DeepArchiveStorage"
] as const

export const REQUEST_METRICS = [
  "AllRequests",
  "GetRequests",
  "PutRequests",
  "DeleteRequests",
  "4xxErrors",
  "5xxErrors"
] as const
export type RequestMetric = (typeof REQUEST_METRICS)[number]

export interface Point {
  readonly time: string
  readonly value: number
}

export interface StorageMetrics {
  /** Daily averages per storage type (types with no data are left out), oldest first. */
  readonly bytesByStorageType: ReadonlyArray<{ readonly storageType: string; readonly points: ReadonlyArray<Point> }>
  /** Daily total over the storage types, oldest first. */
  readonly totalBytes: ReadonlyArray<Point>
  readonly objects: ReadonlyArray<Point>
}

export interface RequestMetrics {
  readonly filterId: string
  /** Sums over the window. */
  readonly totals: Readonly<Record<RequestMetric, number>>
  /** 5-minute sums, oldest first. */
  readonly series: Readonly<Record<RequestMetric, ReadonlyArray<Point>>>
}

const DAY = 86_400

const points = (timestamps: ReadonlyArray<Date> = [], values: ReadonlyArray<number> = []): Array<Point> =>
  timestamps
    .map((t, i) => ({ time: t.toISOString(), value: values[i] ?? 0 }))
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))

const s3Query = (
  id: string,
  metricName: string,
  dimensions: Record<string, string>,
  period: number,
  stat: string
): MetricDataQuery => ({
  Id: id,
  MetricStat: {
    Metric: {
      Namespace: "AWS/S3",
      MetricName: metricName,
      Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }))
    },
    Period: period,
    Stat: stat
  },
  ReturnData: true
})

/** The bucket's daily storage metrics in [since, until). */
export const storage = Effect.fn("S3Metrics.storage")(function* (
  bucket: string,
  window: { readonly since: Date; readonly until: Date },
  storageTypes: ReadonlyArray<string> = STORAGE_TYPES
) {
  const cloudwatch = yield* CloudWatch
  const queries = [
    ...storageTypes.map((type, i) =>
      s3Query(`bytes${i}`, "BucketSizeBytes", { BucketName: bucket, StorageType: type }, DAY, "Average")
    ),
    s3Query("objects", "NumberOfObjects", { BucketName: bucket, StorageType: "AllStorageTypes" }, DAY, "Average")
  ]
  const results = new Map((yield* cloudwatch.getMetricData(queries, window.since, window.until)).map((r) => [r.Id, r]))
  const bytesByStorageType = storageTypes
    .map((storageType, i) => ({
      storageType,
      points: points(results.get(`bytes${i}`)?.Timestamps, results.get(`bytes${i}`)?.Values)
    }))
    .filter((entry) => entry.points.length > 0)
  const totals = new Map<string, number>()
  for (const { points: series } of bytesByStorageType)
    for (const p of series) totals.set(p.time, (totals.get(p.time) ?? 0) + p.value)
  return {
    bytesByStorageType,
    totalBytes: [...totals].sort(([a], [b]) => (a < b ? -1 : 1)).map(([time, value]) => ({ time, value })),
    objects: points(results.get("objects")?.Timestamps, results.get("objects")?.Values)
  } satisfies StorageMetrics
}) as (
  bucket: string,
  window: { readonly since: Date; readonly until: Date },
  storageTypes?: ReadonlyArray<string>
) => Effect.Effect<StorageMetrics, CloudWatchError, CloudWatch>

/** The bucket's request metrics in [since, until), 5-minute sums and totals. */
export const requests = Effect.fn("S3Metrics.requests")(function* (
  bucket: string,
  window: { readonly since: Date; readonly until: Date },
  filterId = "EntireBucket"
) {
  const cloudwatch = yield* CloudWatch
  const queries = REQUEST_METRICS.map((name, i) =>
    s3Query(`r${i}`, name, { BucketName: bucket, FilterId: filterId }, 300, "Sum")
  )
  const results = new Map((yield* cloudwatch.getMetricData(queries, window.since, window.until)).map((r) => [r.Id, r]))
  const series = Object.fromEntries(
    REQUEST_METRICS.map((name, i) => [name, points(results.get(`r${i}`)?.Timestamps, results.get(`r${i}`)?.Values)])
  ) as Record<RequestMetric, Array<Point>>
  const totals = Object.fromEntries(
    REQUEST_METRICS.map((name) => [name, series[name].reduce((sum, p) => sum + p.value, 0)])
  ) as Record<RequestMetric, number>
  return { filterId, totals, series } satisfies RequestMetrics
}) as (
  bucket: string,
  window: { readonly since: Date; readonly until: Date },
  filterId?: string
) => Effect.Effect<RequestMetrics, CloudWatchError, CloudWatch>
