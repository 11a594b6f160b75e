/**
 * CloudWatch alarms as code: typed alarm specs (`guideAlarms`: the operations guide's three plus
 * 5xx and latency), the exact `PutMetricAlarm` request of each (`toRequest`), a plan against the
 * alarms deployed (field by field), and an idempotent apply (`apply` twice changes nothing).
 */
import { Effect, Schema } from "effect"
import { CloudWatch, type CloudWatchError, type MetricAlarm, type PutMetricAlarmCommandInput } from "./CloudWatch.js"
import { formatItemsPlan, type Plan, planItems, sortKeys } from "./internal/jsonDiff.js"

export interface AlarmMetric {
  readonly namespace: string
  readonly metricName: string
  readonly dimensions: Readonly<Record<string, string>>
  /** `Sum`, `Average`, … or a percentile (`p99`). */
  readonly stat: string
  /** Seconds. */
  readonly period: number
}

/** Metric math: `metrics` by id, and the expression the alarm watches (e.g. `100 * m4xx / mall`). */
export interface AlarmExpression {
  readonly expression: string
  readonly label: string
  readonly metrics: Readonly<Record<string, AlarmMetric>>
}

export interface AlarmSpec {
  readonly name: string
  readonly description: string
  readonly watch: AlarmMetric | AlarmExpression
  readonly comparison:
    | "GreaterThanThreshold"
    | "GreaterThanOrEqualToThreshold"
    | "LessThanThreshold"
    | "LessThanOrEqualToThreshold"
  readonly threshold: number
  readonly evaluationPeriods: number
  /** Default: all of `evaluationPeriods`. */
  readonly datapointsToAlarm?: number
  readonly treatMissingData: "missing" | "notBreaching" | "breaching" | "ignore"
  /** SNS topic ARNs notified when the alarm fires (and when it recovers). */
  readonly actions: ReadonlyArray<string>
}

const STATISTICS = new Set(["SampleCount", "Average", "Sum", "Minimum", "Maximum"])

const dimensions = (record: Readonly<Record<string, string>>) =>
  Object.entries(record).map(([Name, Value]) => ({ Name, Value }))

/** The `PutMetricAlarm` request of a spec. */
export const toRequest = (spec: AlarmSpec): PutMetricAlarmCommandInput => {
  const common = {
    AlarmName: spec.name,
    AlarmDescription: spec.description,
    ActionsEnabled: true,
    AlarmActions: [...spec.actions],
    OKActions: [...spec.actions],
    ComparisonOperator: spec.comparison,
    Threshold: spec.threshold,
    EvaluationPeriods: spec.evaluationPeriods,
    DatapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods,
    TreatMissingData: spec.treatMissingData
  }
  const watch = spec.watch
  if ("expression" in watch)
    return {
      ...common,
      Metrics: [
        ...Object.entries(watch.metrics).map(([Id, metric]) => ({
          Id,
          ReturnData: false,
          MetricStat: {
            Metric: {
              Namespace: metric.namespace,
              MetricName: metric.metricName,
              Dimensions: dimensions(metric.dimensions)
            },
            Period: metric.period,
            Stat: metric.stat
          }
        })),
        { Id: "e1", Expression: watch.expression, Label: watch.label, ReturnData: true }
      ]
    }
  return {
    ...common,
    Namespace: watch.namespace,
    MetricName: watch.metricName,
    Dimensions: dimensions(watch.dimensions),
    Period: watch.period,
    ...(STATISTICS.has(watch.stat) ? { Statistic: watch.stat as "Sum" } : { ExtendedStatistic: watch.stat })
  }
}

/**
 * The fields an alarm is compared by, from a request or from what DescribeAlarms returns, with
 * AWS's defaults filled in and order that does not matter removed.
 */
export const canonical = (alarm: PutMetricAlarmCommandInput | MetricAlarm): Record<string, unknown> => {
  const dims = (list: ReadonlyArray<{ Name?: string | undefined; Value?: string | undefined }> | undefined) =>
    [...(list ?? [])]
      .map((d) => ({ Name: d.Name, Value: d.Value }))
      .sort((a, b) => ((a.Name ?? "") < (b.Name ?? "") ? -1 : 1))
  const sorted = (list: ReadonlyArray<string> | undefined) => [...(list ?? [])].sort()
  const evaluationPeriods = alarm.EvaluationPeriods
  return sortKeys({
    AlarmDescription: alarm.AlarmDescription ?? "",
    ActionsEnabled: alarm.ActionsEnabled ?? true,
    AlarmActions: sorted(alarm.AlarmActions),
    OKActions: sorted(alarm.OKActions),
    InsufficientDataActions: sorted(alarm.InsufficientDataActions),
    ComparisonOperator: alarm.ComparisonOperator,
    Threshold: alarm.Threshold,
    EvaluationPeriods: evaluationPeriods,
    DatapointsToAlarm: alarm.DatapointsToAlarm ?? evaluationPeriods,
    TreatMissingData: alarm.TreatMissingData ?? "missing",
    Namespace: alarm.Namespace,
    MetricName: alarm.MetricName,
    Dimensions: alarm.Metrics !== undefined && alarm.Metrics.length > 0 ? undefined : dims(alarm.Dimensions),
    Period: alarm.Period,
    Statistic: alarm.Statistic,
    ExtendedStatistic: alarm.ExtendedStatistic,
    Unit: alarm.Unit,
    Metrics:
      alarm.Metrics === undefined || alarm.Metrics.length === 0
        ? undefined
        : alarm.Metrics.map((query) => ({
            Id: query.Id,
            Expression: query.Expression,
            Label: query.Label,
            ReturnData: query.ReturnData ?? true,
            MetricStat:
              query.MetricStat === undefined
                ? undefined
                : {
                    Namespace: query.MetricStat.Metric?.Namespace,
                    MetricName: query.MetricStat.Metric?.MetricName,
                    Dimensions: dims(query.MetricStat.Metric?.Dimensions),
                    Period: query.MetricStat.Period,
                    Stat: query.MetricStat.Stat,
                    Unit: query.MetricStat.Unit
                  }
          }))
  }) as Record<string, unknown>
}

// ── the operations guide's alarms ─────────────────────────────────────────────────────────

export const TIB = 1024 ** 4

export interface GuideAlarmOptions {
  readonly bucket: string
  /** The bucket metrics configuration's id (default "EntireBucket"). */
  readonly filterId?: string
  /** SNS topic ARNs to notify. */
  readonly snsTopics?: ReadonlyArray<string>
  /** `high-storage-usage` threshold in bytes (default 1 TiB). */
  readonly maxStorageBytes?: number
  /** `high-error-rate`: 4xx as a percentage of all requests (default 5). */
  readonly maxErrorRatePercent?: number
  /** `high-5xx-rate`: 5xx as a percentage of all requests (default 1). */
  readonly max5xxRatePercent?: number
  /** `unusual-request-volume`: requests in 5 minutes (default 10,000). */
  readonly maxRequestsPer5Minutes?: number
  /** `high-latency`: p99 first-byte latency in ms over 5 minutes (default 1,000). */
  readonly maxFirstByteLatencyMs?: number
}

/**
 * The guide's three alarms — `high-storage-usage` (daily BucketSizeBytes over 1 TiB),
 * `high-error-rate` (4xx over all requests × 100 > 5: a real percentage, by metric math),
 * `unusual-request-volume` (over 10,000 requests in 5 minutes) — plus `high-5xx-rate` and
 * `high-latency` (p99 FirstByteLatency).
 */
export const guideAlarms = (options: GuideAlarmOptions): ReadonlyArray<AlarmSpec> => {
  const requestDims = { BucketName: options.bucket, FilterId: options.filterId ?? "EntireBucket" }
  const request = (metricName: string, stat = "Sum"): AlarmMetric => ({
    namespace: "AWS/S3",
    metricName,
    dimensions: requestDims,
    stat,
    period: 300
  })
  const actions = options.snsTopics ?? []
  const rate = (errors: "4xxErrors" | "5xxErrors"): AlarmExpression => ({
    expression: "100 * errors / requests",
    label: `${errors} as % of AllRequests`,
    metrics: { errors: request(errors), requests: request("AllRequests") }
  })
  return [
    {
      name: "high-storage-usage",
      description: `Bucket ${options.bucket}: daily average size (StandardStorage) above the limit`,
      watch: {
        namespace: "AWS/S3",
        metricName: "BucketSizeBytes",
        dimensions: { BucketName: options.bucket, StorageType: "StandardStorage" },
        stat: "Average",
        period: 86_400
      },
      comparison: "GreaterThanThreshold",
      threshold: options.maxStorageBytes ?? TIB,
      evaluationPeriods: 1,
      treatMissingData: "missing",
      actions
    },
    {
      name: "high-error-rate",
      description: `Bucket ${options.bucket}: 4xx responses above ${options.maxErrorRatePercent ?? 5} % of requests (5 minutes)`,
      watch: rate("4xxErrors"),
      comparison: "GreaterThanThreshold",
      threshold: options.maxErrorRatePercent ?? 5,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      actions
    },
    {
      name: "unusual-request-volume",
      description: `Bucket ${options.bucket}: more than ${options.maxRequestsPer5Minutes ?? 10_000} requests in 5 minutes`,
      watch: request("AllRequests"),
      comparison: "GreaterThanThreshold",
      threshold: options.maxRequestsPer5Minutes ?? 10_000,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      actions
    },
    {
      name: "high-5xx-rate",
      description: `Bucket ${options.bucket}: 5xx responses above ${options.max5xxRatePercent ?? 1} % of requests (5 minutes)`,
      watch: rate("5xxErrors"),
      comparison: "GreaterThanThreshold",
      threshold: options.max5xxRatePercent ?? 1,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      actions
    },
    {
      name: "high-latency",
      description: `Bucket ${options.bucket}: p99 first-byte latency above ${options.maxFirstByteLatencyMs ?? 1000} ms for 15 minutes`,
      watch: request("FirstByteLatency", "p99"),
      comparison: "GreaterThanThreshold",
      threshold: options.maxFirstByteLatencyMs ?? 1000,
      evaluationPeriods: 3,
      treatMissingData: "notBreaching",
      actions
    }
  ]
}

// ── plan and apply ─────────────────────────────────────────────────────────────────────────

export type AlarmsPlan = Plan<PutMetricAlarmCommandInput | MetricAlarm>

export interface PlanOptions {
  /**
   * Remove deployed alarms under this name prefix that the specs no longer hold. Without it,
   * alarms the specs do not name are never touched.
   */
  readonly prunePrefix?: string
}

/** What applying the specs would add, change and (with `prunePrefix`) remove. */
export const plan = Effect.fn("Alarms.plan")(function* (specs: ReadonlyArray<AlarmSpec>, options: PlanOptions = {}) {
  const cloudwatch = yield* CloudWatch
  const named = yield* cloudwatch.describeAlarms(specs.map((spec) => spec.name))
  const pruned = options.prunePrefix === undefined ? [] : yield* cloudwatch.describeAlarmsByPrefix(options.prunePrefix)
  const current = new Map<string, PutMetricAlarmCommandInput | MetricAlarm>(
    [...named, ...pruned].map((alarm) => [alarm.AlarmName ?? "", alarm])
  )
  const desired = new Map<string, PutMetricAlarmCommandInput | MetricAlarm>(
    specs.map((spec) => [spec.name, toRequest(spec)])
  )
  const prefix = options.prunePrefix
  return planItems(current, desired, canonical, (name) => prefix !== undefined && name.startsWith(prefix))
}) as (specs: ReadonlyArray<AlarmSpec>, options?: PlanOptions) => Effect.Effect<AlarmsPlan, CloudWatchError, CloudWatch>

export const formatPlan = (plan: AlarmsPlan): Array<string> => formatItemsPlan(plan, "alarm")

/** After `apply`, the alarms read back still differ from the specs. */
export class AlarmsNotApplied extends Schema.TaggedError<AlarmsNotApplied>()("AlarmsNotApplied", {
  differences: Schema.Array(Schema.String)
}) {
  override get message() {
    return `The alarms still differ after applying them: ${this.differences.join("; ")}`
  }
}

/** A spec that CloudWatch would refuse, caught before any request. */
export class AlarmSpecInvalid extends Schema.TaggedError<AlarmSpecInvalid>()("AlarmSpecInvalid", {
  name: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Alarm "${this.name}" is invalid: ${this.reason}`
  }
}

const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/

/** Checks what CloudWatch would refuse half-way through an apply: names, actions, periods. */
export const validate = (specs: ReadonlyArray<AlarmSpec>): Effect.Effect<void, AlarmSpecInvalid> =>
  Effect.gen(function* () {
    const seen = new Set<string>()
    for (const spec of specs) {
      const fail = (reason: string) => new AlarmSpecInvalid({ name: spec.name, reason })
      if (spec.name.length === 0 || spec.name.length > 255) return yield* fail("a name is 1–255 characters")
      if (seen.has(spec.name)) return yield* fail("two alarms have this name")
      seen.add(spec.name)
      for (const action of spec.actions)
        if (!SNS_ARN.test(action)) return yield* fail(`"${action}" is not an SNS topic ARN`)
      if (spec.evaluationPeriods < 1) return yield* fail("evaluationPeriods must be at least 1")
      if ((spec.datapointsToAlarm ?? spec.evaluationPeriods) > spec.evaluationPeriods)
        return yield* fail("datapointsToAlarm cannot exceed evaluationPeriods")
      const metrics = "expression" in spec.watch ? Object.values(spec.watch.metrics) : [spec.watch]
      for (const metric of metrics)
        if (metric.period < 60 ? ![10, 30].includes(metric.period) : metric.period % 60 !== 0)
          return yield* fail(`period ${metric.period} s: use 10, 30 or a multiple of 60`)
    }
  })

export interface AlarmsApplied {
  readonly plan: AlarmsPlan
  readonly written: ReadonlyArray<string>
  readonly deleted: ReadonlyArray<string>
}

/** Puts the alarms that differ, deletes pruned ones, then plans again: anything left is an error. */
export const apply = Effect.fn("Alarms.apply")(function* (specs: ReadonlyArray<AlarmSpec>, options: PlanOptions = {}) {
  yield* validate(specs)
  const cloudwatch = yield* CloudWatch
  const before = yield* plan(specs, options)
  const written: Array<string> = []
  const deleted: Array<string> = []
  for (const change of before.changes) {
    if (change.action === "remove") deleted.push(change.name)
    else {
      yield* cloudwatch.putMetricAlarm(change.after as PutMetricAlarmCommandInput)
      written.push(change.name)
    }
  }
  yield* cloudwatch.deleteAlarms(deleted)
  const after = yield* plan(specs, options)
  if (!after.empty)
    return yield* new AlarmsNotApplied({
      differences: after.changes.flatMap((c) => c.differences.map((d) => `${c.name}: ${d}`))
    })
  return { plan: before, written, deleted } satisfies AlarmsApplied
}) as (
  specs: ReadonlyArray<AlarmSpec>,
  options?: PlanOptions
) => Effect.Effect<AlarmsApplied, CloudWatchError | AlarmsNotApplied | AlarmSpecInvalid, CloudWatch>
