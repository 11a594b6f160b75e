/**
 * Application metrics through Effect's `Metric` module: the metrics LocalEx's code records
 * (store latency, bytes and errors, image processing time, job durations), an ObjectStore layer
 * that records them for every operation, and the two exports of everything in Effect's metric
 * registry — Prometheus text (prom-client's serialiser) and CloudWatch datums (deltas since the
 * last publish, batched within PutMetricData's limits, or embedded-metric-format log lines).
 */
import { ObjectStore } from "@localex/storage-core"
import { Clock, Effect, Exit, Layer, Metric, Option, Stream } from "effect"
import { Registry } from "prom-client"
import { CloudWatch, type CloudWatchError, type MetricDatum } from "./CloudWatch.js"
import { DEFAULT_NAMESPACE } from "./Dashboard.js"

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** ObjectStore operation latency; attributes `operation`, `outcome` (`ok` or the error's tag). */
export const storeOperationSeconds = Metric.histogram("localex_store_operation_seconds", {
  description: "ObjectStore operation latency in seconds, by operation and outcome",
  boundaries: SECONDS
})
/** Bytes uploaded and downloaded; attribute `direction` (`upload` | `download`). */
export const storeBytes = Metric.counter("localex_store_bytes_total", {
  description: "Bytes written to (upload) and read from (download) the store"
})
/** Failed store operations; attributes `operation`, `error` (the error's tag). */
export const storeErrors = Metric.counter("localex_store_errors_total", {
  description: "Failed ObjectStore operations, by operation and error"
})
/** Image processing time; attribute `variant`. */
export const imageProcessingSeconds = Metric.histogram("localex_image_processing_seconds", {
  description: "Image processing time in seconds, by variant",
  boundaries: SECONDS
})
/** Maintenance job durations; attributes `job`, `outcome`. */
export const jobSeconds = Metric.histogram("localex_job_duration_seconds", {
  description: "Maintenance job duration in seconds, by job and outcome",
  boundaries: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200]
})

const tagOf = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "ok"
  return Option.match(Exit.findErrorOption(exit), {
    onNone: () => "defect",
    onSome: (e) => (typeof e === "object" && e !== null && "_tag" in e ? String(e._tag) : "error")
  })
}

/**
 * Records the effect's duration in a seconds histogram with `attributes` plus `outcome`
 * (`ok` or the error's tag). Use for image processing and jobs:
 * `pipeline.run(…).pipe(AppMetrics.timed(AppMetrics.imageProcessingSeconds, { variant }))`.
 */
export const timed =
  (histogram: Metric.Metric<number, unknown>, attributes: Readonly<Record<string, string>>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.gen(function* () {
      const start = yield* Clock.currentTimeNanos
      const exit = yield* Effect.exit(effect)
      const seconds = Number((yield* Clock.currentTimeNanos) - start) / 1e9
      yield* Metric.update(Metric.withAttributes(histogram, { ...attributes, outcome: tagOf(exit) }), seconds)
      return yield* exit
    })

const storeTimed =
  (operation: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.gen(function* () {
      const start = yield* Clock.currentTimeNanos
      const exit = yield* Effect.exit(effect)
      const seconds = Number((yield* Clock.currentTimeNanos) - start) / 1e9
      const outcome = tagOf(exit)
      yield* Metric.update(Metric.withAttributes(storeOperationSeconds, { operation, outcome }), seconds)
      if (outcome !== "ok") yield* Metric.update(Metric.withAttributes(storeErrors, { operation, error: outcome }), 1)
      return yield* exit
    })

const uploaded = Metric.withAttributes(storeBytes, { direction: "upload" })
const downloaded = Metric.withAttributes(storeBytes, { direction: "download" })

/**
 * The ObjectStore below it with every operation recorded: latency by operation and outcome,
 * errors by operation and tag, bytes uploaded (the stored size) and downloaded (as streamed).
 */
export const meteredStore: Layer.Layer<ObjectStore, never, ObjectStore> = Layer.effect(
  ObjectStore,
  Effect.gen(function* () {
    const store = yield* ObjectStore
    return ObjectStore.of({
      ...store,
      put: (key, body, options) =>
        store.put(key, body, options).pipe(
          Effect.tap((info) => Metric.update(uploaded, info.size)),
          storeTimed("put")
        ),
      get: (key, options) =>
        store.get(key, options).pipe(
          Effect.map((result) => ({
            ...result,
            body: result.body.pipe(Stream.tap((chunk) => Metric.update(downloaded, chunk.byteLength)))
          })),
          storeTimed("get")
        ),
      download: (key, path, options) =>
        store.download(key, path, options).pipe(
          Effect.tap((info) => Metric.update(downloaded, info.size)),
          storeTimed("download")
        ),
      head: (key) => storeTimed("head")(store.head(key)),
      exists: (key) => storeTimed("exists")(store.exists(key)),
      list: (options) =>
        Stream.unwrap(
          Effect.map(Clock.currentTimeNanos, (start) =>
            store.list(options).pipe(
              Stream.onExit((exit) =>
                Effect.gen(function* () {
                  const seconds = Number((yield* Clock.currentTimeNanos) - start) / 1e9
                  const outcome = tagOf(exit)
                  yield* Metric.update(
                    Metric.withAttributes(storeOperationSeconds, { operation: "list", outcome }),
                    seconds
                  )
                  if (outcome !== "ok")
                    yield* Metric.update(Metric.withAttributes(storeErrors, { operation: "list", error: outcome }), 1)
                })
              )
            )
          )
        ),
      copy: (from, to, options) => storeTimed("copy")(store.copy(from, to, options)),
      delete: (key) => storeTimed("delete")(store.delete(key)),
      deleteMany: (keys) => storeTimed("deleteMany")(store.deleteMany(keys)),
      presign: (key, options) => storeTimed("presign")(store.presign(key, options))
    })
  })
)

// ── Prometheus ─────────────────────────────────────────────────────────────────────────────

type Snapshot = Metric.Metric.Snapshot

/** A Prometheus metric name: invalid characters become `_`. */
export const prometheusName = (id: string): string => {
  const name = id.replace(/[^a-zA-Z0-9_:]/g, "_")
  return /^[a-zA-Z_:]/.test(name) ? name : `_${name}`
}

const labelsOf = (snapshot: Snapshot): Record<string, string> =>
  Object.fromEntries(Object.entries(snapshot.attributes ?? {}).map(([k, v]) => [prometheusName(k), v]))

type PromValue = { value: number; labels: Record<string, string | number>; metricName?: string }

const promValues = (name: string, snapshot: Snapshot): Array<PromValue> => {
  const labels = labelsOf(snapshot)
  switch (snapshot.type) {
    case "Counter":
      return [{ value: Number(snapshot.state.count), labels }]
    case "Gauge":
      return [{ value: Number(snapshot.state.value), labels }]
    case "Frequency":
      return [...snapshot.state.occurrences].map(([key, count]) => ({ value: count, labels: { ...labels, key } }))
    case "Histogram": {
      const { buckets, count, sum } = snapshot.state
      return [
        ...buckets.map(([le, cumulative]) => ({
          value: cumulative,
          labels: { ...labels, le },
          metricName: `${name}_bucket`
        })),
        { value: count, labels: { ...labels, le: "+Inf" }, metricName: `${name}_bucket` },
        { value: sum, labels, metricName: `${name}_sum` },
        { value: count, labels, metricName: `${name}_count` }
      ]
    }
    case "Summary": {
      const { quantiles, count, sum } = snapshot.state
      return [
        ...quantiles.flatMap(([quantile, value]) =>
          value === undefined ? [] : [{ value, labels: { ...labels, quantile } }]
        ),
        { value: sum, labels, metricName: `${name}_sum` },
        { value: count, labels, metricName: `${name}_count` }
      ]
    }
  }
}

const PROM_TYPE = {
  Counter: "counter",
  Gauge: "gauge",
  Frequency: "counter",
  Histogram: "histogram",
  Summary: "summary"
} as const

/**
 * A prom-client registry holding the snapshots (one metric per name, one series per attribute
 * set): merge it with an app's own registry (`Registry.merge`) or serialise it (`metrics()`).
 */
export const prometheusRegistry = (snapshots: ReadonlyArray<Snapshot>): Registry => {
  const registry = new Registry()
  const byName = new Map<string, Array<Snapshot>>()
  for (const snapshot of snapshots) {
    const name = prometheusName(snapshot.id)
    byName.set(name, [...(byName.get(name) ?? []), snapshot])
  }
  for (const [name, group] of byName) {
    const first = group[0]!
    const type = PROM_TYPE[first.type]
    const help = first.description ?? first.id
    const values = group.filter((s) => s.type === first.type).flatMap((s) => promValues(name, s))
    registry.registerMetric({
      name,
      help,
      type,
      get: async () => ({ name, help, type, values, aggregator: "sum" })
    } as unknown as Parameters<Registry["registerMetric"]>[0])
  }
  return registry
}

/** Every metric in Effect's registry as Prometheus text exposition format (0.0.4). */
export const prometheusText: Effect.Effect<string> = Effect.flatMap(Metric.snapshot, (snapshots) =>
  Effect.promise(() => prometheusRegistry(snapshots).metrics())
)

export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE

// ── CloudWatch ─────────────────────────────────────────────────────────────────────────────

/** PutMetricData accepts at most 1,000 datums and 1 MB per request, 30 dimensions per datum, 150 values. */
export const LIMITS = { datumsPerRequest: 1000, bytesPerRequest: 1_000_000, dimensions: 30, values: 150 } as const

const seriesKey = (snapshot: Snapshot) => `${snapshot.id}\u0000${JSON.stringify(snapshot.attributes ?? {})}`

const unitOf = (id: string): MetricDatum["Unit"] =>
  id.endsWith("_seconds") ? "Seconds" : id.includes("bytes") ? "Bytes" : "Count"

/** What was published last, per series: counters' counts and histograms' bucket counts. */
export type PublishedState = ReadonlyMap<string, ReadonlyArray<number>>

/**
 * The datums to publish since `previous`: counters as their increase, gauges as their value,
 * histograms as the new observations per bucket (`Values`/`Counts`: CloudWatch computes
 * percentiles from them; observations above the last boundary are given the maximum seen).
 * Series without news (no increase, no observation) are left out. Returns the new state.
 */
export const cloudWatchDatums = (
  snapshots: ReadonlyArray<Snapshot>,
  previous: PublishedState,
  timestamp: Date
): { readonly datums: ReadonlyArray<MetricDatum>; readonly state: PublishedState } => {
  const datums: Array<MetricDatum> = []
  const state = new Map(previous)
  for (const snapshot of snapshots) {
    const key = seriesKey(snapshot)
    const Dimensions = Object.entries(snapshot.attributes ?? {})
      .filter(([name]) => name !== "time_unit")
      .slice(0, LIMITS.dimensions)
      .map(([Name, Value]) => ({ Name, Value }))
    const base = { MetricName: snapshot.id, Dimensions, Timestamp: timestamp, Unit: unitOf(snapshot.id) }
    if (snapshot.type === "Counter") {
      const count = Number(snapshot.state.count)
      const increase = count - (previous.get(key)?.[0] ?? 0)
      state.set(key, [count])
      if (increase > 0) datums.push({ ...base, Value: increase })
    } else if (snapshot.type === "Gauge") {
      datums.push({ ...base, Value: Number(snapshot.state.value) })
    } else if (snapshot.type === "Histogram") {
      const { buckets, count, max } = snapshot.state
      const cumulative = [...buckets.map(([, c]) => c), count]
      const before = previous.get(key) ?? []
      state.set(key, cumulative)
      const Values: Array<number> = []
      const Counts: Array<number> = []
      for (let i = 0; i < cumulative.length; i++) {
        const inBucket = cumulative[i]! - (i === 0 ? 0 : cumulative[i - 1]!)
        const before_ = (before[i] ?? 0) - (i === 0 ? 0 : (before[i - 1] ?? 0))
        const fresh = inBucket - before_
        if (fresh > 0) {
          Values.push(i < buckets.length ? buckets[i]![0] : max)
          Counts.push(fresh)
        }
      }
      if (Values.length > 0)
        datums.push({ ...base, Values: Values.slice(0, LIMITS.values), Counts: Counts.slice(0, LIMITS.values) })
    }
  }
  return { datums, state }
}

/** Splits datums into PutMetricData requests within the datum-count and payload-size limits. */
export const batches = (datums: ReadonlyArray<MetricDatum>): Array<Array<MetricDatum>> => {
  const out: Array<Array<MetricDatum>> = []
  let current: Array<MetricDatum> = []
  let bytes = 0
  for (const datum of datums) {
    // The query protocol's form encoding is larger than JSON: twice the JSON size bounds it.
    const size = JSON.stringify(datum).length * 2
    if (current.length === LIMITS.datumsPerRequest || (current.length > 0 && bytes + size > LIMITS.bytesPerRequest)) {
      out.push(current)
      current = []
      bytes = 0
    }
    current.push(datum)
    bytes += size
  }
  if (current.length > 0) out.push(current)
  return out
}

export interface Publisher {
  /** Puts what changed since the last publish; returns the number of datums and requests. */
  readonly publish: Effect.Effect<{ readonly datums: number; readonly requests: number }, CloudWatchError, CloudWatch>
}

/**
 * A publisher of Effect's metrics to CloudWatch under `namespace` (default "LocalEx/Storage").
 * Call `publish` on a schedule; each call sends only the increase since the previous one that
 * succeeded (a failed publish is sent again next time).
 */
export const makePublisher = (namespace: string = DEFAULT_NAMESPACE): Publisher => {
  let published: PublishedState = new Map()
  return {
    publish: Effect.gen(function* () {
      const cloudwatch = yield* CloudWatch
      const snapshots = yield* Metric.snapshot
      const now = new Date(yield* Clock.currentTimeMillis)
      const { datums, state } = cloudWatchDatums(snapshots, published, now)
      const requests = batches(datums)
      for (const batch of requests) yield* cloudwatch.putMetricData(namespace, batch)
      published = state
      return { datums: datums.length, requests: requests.length }
    })
  }
}

/** EMF takes at most 100 values per metric: counts are scaled down to fit (each value kept once). */
const emfValues = (values: ReadonlyArray<number>, counts: ReadonlyArray<number>): Array<number> => {
  const total = counts.reduce((sum, c) => sum + c, 0)
  const scale = total > 100 ? (100 - values.length) / total : 1
  return values
    .flatMap((v, i) => Array<number>(Math.max(1, Math.floor((counts[i] ?? 1) * scale))).fill(v))
    .slice(0, 100)
}

/**
 * The datums as CloudWatch embedded-metric-format log lines (one JSON object per datum), for
 * processes whose stdout a CloudWatch agent or Lambda ships: no API call needed.
 */
export const embeddedMetricFormat = (namespace: string, datums: ReadonlyArray<MetricDatum>): Array<string> =>
  datums.map((datum) => {
    const dimensions = (datum.Dimensions ?? []).map((d) => [d.Name!, d.Value!] as const)
    const value = datum.Values === undefined ? datum.Value : emfValues(datum.Values, datum.Counts ?? [])
    return JSON.stringify({
      _aws: {
        Timestamp: (datum.Timestamp ?? new Date()).getTime(),
        CloudWatchMetrics: [
          {
            Namespace: namespace,
            Dimensions: [dimensions.map(([name]) => name)],
            Metrics: [{ Name: datum.MetricName, Unit: datum.Unit ?? "None" }]
          }
        ]
      },
      ...Object.fromEntries(dimensions),
      [datum.MetricName!]: value
    })
  })
