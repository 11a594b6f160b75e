/**
 * `localex-storage monitor …`: the operations guide's monitoring (the monitoring package) —
 * S3 metrics, the CloudWatch dashboard and alarms as code, access-log analysis, the daily checks.
 */
import { writeFile } from "node:fs/promises"
import {
  Alarms,
  CloudWatch,
  DailyCheck,
  Dashboard,
  LogAnalysis,
  LogReportHtml,
  RequestMetrics,
  S3Metrics,
  TimeWindow
} from "@localex/monitoring"
import { BucketAdmin, loadAwsSettings, loadSettings, ObjectStore, Storage } from "@localex/storage-core"
import { Clock, Effect, Layer, Option, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { LocalFileError, UsageError } from "../failure.js"
import { storageOverrides } from "../GlobalFlags.js"
import { type Document, Output } from "../Output.js"
import { NAME, root } from "../root.js"
import { withServices } from "../services.js"
import { intFlag, optionalString, repeated } from "./flags.js"
import { summaries } from "./summaries.js"

/** `monitor check daily` found a check that failed (the report is printed first). */
export class ChecksFailed extends Schema.TaggedError<ChecksFailed>()("ChecksFailed", {
  failed: Schema.Array(Schema.String)
}) {
  override get message() {
    return `Daily checks failed: ${this.failed.join("; ")}`
  }
}

/** Output and CloudWatch (region and profile from the global flags, then the environment). */
const monitorServices = Layer.unwrap(
  Effect.map(root, (options) =>
    Layer.merge(
      Output.layer(options),
      CloudWatch.layerConfig({
        ...Option.match(options.region, { onNone: () => ({}), onSome: (region) => ({ region }) }),
        ...Option.match(options.profile, { onNone: () => ({}), onSome: (profile) => ({ profile }) })
      })
    )
  )
)

const withMonitor = <const Name extends string, Input, ContextInput, E, R>(
  command: Command.Command<Name, Input, ContextInput, E, R>
) => Command.provide(command, monitorServices)

/** The S3 bucket the storage settings name (`--bucket` or LOCALEX_STORAGE_BUCKET with the s3 driver). */
const bucketName = Effect.gen(function* () {
  const settings = yield* loadSettings(storageOverrides(yield* root))
  if (settings.driver !== "s3")
    return yield* new UsageError({
      reason:
        "CloudWatch's S3 metrics need the bucket: give --bucket (or LOCALEX_STORAGE_DRIVER=s3 and LOCALEX_STORAGE_BUCKET)"
    })
  return settings.bucket
})

const cloudWatchRegion = Effect.gen(function* () {
  const options = yield* root
  return (yield* loadAwsSettings(
    "CLOUDWATCH",
    Option.match(options.region, { onNone: () => ({}), onSome: (region) => ({ region }) })
  )).region
})

const window = (since: Option.Option<string>, until: Option.Option<string>, defaultSince?: string) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const parsed = TimeWindow.parseWindow(Option.getOrUndefined(since), Option.getOrUndefined(until), now, defaultSince)
    if (parsed instanceof TimeWindow.InvalidTime) return yield* parsed
    return { since: parsed.since, until: parsed.until ?? now }
  })

const sinceFlag = optionalString(
  "since",
  "Start of the window: an ISO date/time or a duration back from now (24h, 7d)",
  "time"
)
const untilFlag = optionalString(
  "until",
  "End of the window (default now): an ISO date/time or a duration back",
  "time"
)

const lines = (text: ReadonlyArray<string>, json: unknown): Document => ({ primary: true, text, json })

// ── monitor metrics ───────────────────────────────────────────────────────────────────────

const metrics = Command.make(
  "metrics",
  {
    since: sinceFlag,
    filterId: optionalString("filter-id", "The bucket metrics configuration (default EntireBucket)", "id")
  },
  Effect.fn("monitor.metrics")(function* (input) {
    const bucket = yield* bucketName
    const { since, until } = yield* window(input.since, Option.none(), "24h")
    const from = new Date(since ?? until - 86_400_000)
    // Storage metrics are daily: look back at least two days to have a point.
    const storage = yield* S3Metrics.storage(bucket, {
      since: new Date(Math.min(from.getTime(), until - 2 * 86_400_000)),
      until: new Date(until)
    })
    const requests = yield* S3Metrics.requests(
      bucket,
      { since: from, until: new Date(until) },
      Option.getOrElse(input.filterId, () => "EntireBucket")
    )
    const latest = (points: ReadonlyArray<S3Metrics.Point>) => points.at(-1)?.value ?? null
    const text = [
      `bucket ${bucket}, ${from.toISOString()} → ${new Date(until).toISOString()}`,
      `storage (latest daily average):`,
      ...storage.bytesByStorageType.map((t) => `  ${t.storageType.padEnd(32)} ${latest(t.points)} bytes`),
      `  ${"total".padEnd(32)} ${latest(storage.totalBytes) ?? "no data"} bytes`,
      `  ${"objects".padEnd(32)} ${latest(storage.objects) ?? "no data"}`,
      `requests (sums, filter ${requests.filterId}):`,
      ...S3Metrics.REQUEST_METRICS.map((name) => `  ${name.padEnd(32)} ${requests.totals[name]}`)
    ]
    yield* (yield* Output).print(
      lines(text, { bucket, since: from.toISOString(), until: new Date(until).toISOString(), storage, requests })
    )
  })
).pipe(
  Command.withDescription("S3's CloudWatch metrics: bucket size per storage type, object count, request metrics"),
  Command.withExamples([
    { command: `${NAME} --bucket localex-storage monitor metrics --since 7d`, description: "The last week" }
  ]),
  withMonitor
)

// ── monitor dashboard plan|apply ───────────────────────────────────────────────────────────

const dashboardFlags = {
  export: optionalString("export", "Also write the dashboard body (dashboard.json) to this file", "file"),
  distribution: optionalString("distribution", "A CloudFront distribution id: adds the CDN widget", "id"),
  storageTypes: repeated("storage-type", "Storage types charted (default StandardStorage; repeat for more)", "type"),
  name: optionalString("name", "The dashboard's name (default LocalEx-Storage)", "name")
} as const

const dashboardSpec = (input: {
  readonly distribution: Option.Option<string>
  readonly storageTypes: ReadonlyArray<string>
  readonly name: Option.Option<string>
  readonly export: Option.Option<string>
}) =>
  Effect.gen(function* () {
    const spec = Dashboard.guideDashboard({
      bucket: yield* bucketName,
      region: yield* cloudWatchRegion,
      ...(input.storageTypes.length > 0 ? { storageTypes: input.storageTypes } : {}),
      ...Option.match(input.distribution, { onNone: () => ({}), onSome: (distributionId) => ({ distributionId }) }),
      ...Option.match(input.name, { onNone: () => ({}), onSome: (name) => ({ name }) })
    })
    if (Option.isSome(input.export)) {
      const path = input.export.value
      yield* Effect.tryPromise({
        try: () => writeFile(path, `${Dashboard.renderJson(spec)}\n`),
        catch: (cause) => new LocalFileError({ path, operation: "write", reason: String(cause) })
      })
    }
    return spec
  })

const dashboardPlan = Command.make(
  "plan",
  dashboardFlags,
  Effect.fn("monitor.dashboard.plan")(function* (input) {
    const plan = yield* Dashboard.plan(yield* dashboardSpec(input))
    yield* (yield* Output).print(lines(Dashboard.formatPlan(plan), plan))
  })
).pipe(
  Command.withDescription("Show how the deployed dashboard differs from the guide's (field by field)"),
  withMonitor
)

const dashboardApply = Command.make(
  "apply",
  dashboardFlags,
  Effect.fn("monitor.dashboard.apply")(function* (input) {
    const result = yield* Dashboard.apply(yield* dashboardSpec(input))
    yield* (yield* Output).print(
      lines(
        [
          ...Dashboard.formatPlan(result.plan),
          ...result.warnings.map((w) => `warning: ${w}`),
          result.written ? "applied: the dashboard now matches" : "nothing to apply"
        ],
        result
      )
    )
  })
).pipe(Command.withDescription("Deploy the dashboard when it differs (applying twice changes nothing)"), withMonitor)

const dashboard = Command.make("dashboard").pipe(
  Command.withDescription("The LocalEx-Storage CloudWatch dashboard as code: plan, apply"),
  Command.withSubcommands([dashboardPlan, dashboardApply]),
  Command.withExamples([
    {
      command: `${NAME} --bucket localex-storage monitor dashboard plan --export dashboard.json`,
      description: "Diff and export"
    }
  ])
)

// ── monitor alarms plan|apply ──────────────────────────────────────────────────────────────

const alarmFlags = {
  snsTopic: repeated("sns-topic", "SNS topic ARN the alarms notify (repeat for more)", "arn")
} as const

const alarmSpecs = (topics: ReadonlyArray<string>) =>
  Effect.map(bucketName, (bucket) => Alarms.guideAlarms({ bucket, snsTopics: topics }))

const alarmsPlan = Command.make(
  "plan",
  alarmFlags,
  Effect.fn("monitor.alarms.plan")(function* (input) {
    const specs = yield* alarmSpecs(input.snsTopic)
    yield* Alarms.validate(specs)
    const plan = yield* Alarms.plan(specs)
    yield* (yield* Output).print(lines(Alarms.formatPlan(plan), plan))
  })
).pipe(
  Command.withDescription("Show how the deployed alarms differ from the guide's five (field by field)"),
  withMonitor
)

const alarmsApply = Command.make(
  "apply",
  alarmFlags,
  Effect.fn("monitor.alarms.apply")(function* (input) {
    const result = yield* Alarms.apply(yield* alarmSpecs(input.snsTopic))
    yield* (yield* Output).print(
      lines(
        [
          ...Alarms.formatPlan(result.plan),
          result.written.length > 0 ? `applied: ${result.written.join(", ")}` : "nothing to apply"
        ],
        result
      )
    )
  })
).pipe(Command.withDescription("Create or update the alarms that differ (applying twice changes nothing)"), withMonitor)

const alarms = Command.make("alarms").pipe(
  Command.withDescription(
    "The guide's alarms as code (high-storage-usage, high-error-rate, unusual-request-volume, high-5xx-rate, high-latency): plan, apply"
  ),
  Command.withSubcommands([alarmsPlan, alarmsApply]),
  Command.withExamples([
    {
      command: `${NAME} --bucket localex-storage monitor alarms apply --sns-topic arn:aws:sns:us-east-1:123456789012:ops`,
      description: "Create them, notifying a topic"
    }
  ])
)

// ── monitor request-metrics plan|apply ─────────────────────────────────────────────────────

const requestMetricsFlags = {
  filter: repeated(
    "filter",
    "A metrics configuration: ID (the whole bucket) or ID=PREFIX; repeat for more (default EntireBucket)",
    "id[=prefix]"
  ),
  prune: Flag.Boolean("prune").pipe(
    Flag.withDescription("Also remove the bucket's configurations not named by --filter"),
    Flag.withDefault(false)
  )
} as const

const wantedMetrics = (filters: ReadonlyArray<string>) =>
  filters.length === 0
    ? [RequestMetrics.ENTIRE_BUCKET]
    : filters.map((filter) => {
        const [id = "", ...prefix] = filter.split("=")
        return prefix.length === 0 ? { id } : { id, prefix: prefix.join("=") }
      })

const requestMetricsPlan = Command.make(
  "plan",
  requestMetricsFlags,
  Effect.fn("monitor.request-metrics.plan")(function* (input) {
    const wanted = wantedMetrics(input.filter)
    yield* RequestMetrics.validate(wanted)
    const plan = yield* RequestMetrics.plan(yield* BucketAdmin, wanted, { prune: input.prune })
    yield* (yield* Output).print(lines(RequestMetrics.formatPlan(plan), plan))
  })
).pipe(
  Command.withDescription("Show how the bucket's request metrics configurations differ from the wanted ones"),
  withServices
)

const requestMetricsApply = Command.make(
  "apply",
  requestMetricsFlags,
  Effect.fn("monitor.request-metrics.apply")(function* (input) {
    const result = yield* RequestMetrics.apply(yield* BucketAdmin, wantedMetrics(input.filter), {
      prune: input.prune
    })
    const done = [...result.written.map((id) => `put ${id}`), ...result.deleted.map((id) => `removed ${id}`)]
    yield* (yield* Output).print(
      lines(
        [
          ...RequestMetrics.formatPlan(result.plan),
          done.length > 0 ? `applied: ${done.join(", ")}` : "nothing to apply"
        ],
        result
      )
    )
  })
).pipe(
  Command.withDescription(
    "Put the request metrics configurations that differ, then check again (twice changes nothing)"
  ),
  withServices
)

const requestMetrics = Command.make("request-metrics").pipe(
  Command.withDescription(
    "The bucket metrics configurations that make S3 publish request metrics (FilterId), as code: plan, apply"
  ),
  Command.withSubcommands([requestMetricsPlan, requestMetricsApply]),
  Command.withExamples([
    {
      command: `${NAME} --bucket localex-storage monitor request-metrics apply`,
      description: "Turn on the whole bucket's request metrics (FilterId EntireBucket, what the alarms read)"
    }
  ])
)

// ── monitor logs analyze ───────────────────────────────────────────────────────────────────

const S3_LOCATION = /^s3:\/\/([^/]+)\/?(.*)$/

/** A local path, or `s3://bucket/prefix` read through an s3 store of that bucket. */
export const analyzeLocation = (location: string, options: LogAnalysis.AnalysisOptions) =>
  Effect.gen(function* () {
    const s3 = S3_LOCATION.exec(location)
    if (s3 === null) return yield* LogAnalysis.analyzePath(location, options)
    const overrides = { ...storageOverrides(yield* root), bucket: s3[1]!, driver: "s3" as const }
    const prefix = s3[2] ?? ""
    return yield* Effect.gen(function* () {
      return yield* LogAnalysis.analyzeStore(yield* ObjectStore, prefix, options)
    }).pipe(Effect.provide(Storage.layerConfig(overrides)))
  })

const pad = (value: string | number, width: number) => String(value).padStart(width)

const logReportText = (report: LogAnalysis.LogReport): Array<string> => [
  `${report.records} requests in ${report.sources} file(s), ${report.firstTime ?? "-"} → ${report.lastTime ?? "-"}` +
    ` (${report.outsideWindow} outside the window, ${report.malformed.count} malformed lines)`,
  `status: 2xx ${report.byStatusClass["2xx"]}, 3xx ${report.byStatusClass["3xx"]}, 4xx ${report.byStatusClass["4xx"]} (${report.errorRates["4xx"]} %), 5xx ${report.byStatusClass["5xx"]} (${report.errorRates["5xx"]} %)`,
  "",
  `${"operation".padEnd(28)}${pad("requests", 10)}${pad("2xx", 9)}${pad("3xx", 9)}${pad("4xx", 9)}${pad("5xx", 9)}`,
  ...report.byOperation.map(
    (o) =>
      `${o.operation.padEnd(28)}${pad(o.requests, 10)}${pad(o["2xx"], 9)}${pad(o["3xx"], 9)}${pad(o["4xx"], 9)}${pad(o["5xx"], 9)}`
  ),
  "",
  `errors by code: ${report.byErrorCode.map((c) => `${c.name} ${c.count}`).join(", ") || "none"}`,
  `403: ${report.forbidden.count}; by requester: ${report.forbidden.byRequester.map((c) => `${c.name} ${c.count}`).join(", ") || "-"}`,
  `403 by IP: ${report.forbidden.byIp.map((c) => `${c.name} ${c.count}`).join(", ") || "-"}`,
  `failed deletes: ${report.failedDeletes.count}${report.failedDeletes.byKey.length > 0 ? `: ${report.failedDeletes.byKey.map((c) => c.name).join(", ")}` : ""}`,
  `latency total ms: p50 ${report.latency.totalTimeMs.p50 ?? "-"}, p90 ${report.latency.totalTimeMs.p90 ?? "-"}, p99 ${report.latency.totalTimeMs.p99 ?? "-"}, max ${report.latency.totalTimeMs.max ?? "-"}`,
  "top keys (reads, bytes):",
  ...report.topKeys.map((k) => `  ${pad(k.count, 8)} ${pad(k.bytes, 14)}  ${k.name}`),
  ...report.malformed.samples.map((s) => `malformed: ${s.source}:${s.line}: ${s.reason}`),
  ...(report.truncated ? ["note: a table met its size limit; its rows are lower bounds"] : [])
]

const logsAnalyze = Command.make(
  "analyze",
  {
    location: Argument.String("path-or-location").pipe(
      Argument.withDescription(
        "A log file, a folder of logs (gzipped or not), or s3://bucket/prefix/ (date-partitioned keys)"
      )
    ),
    since: sinceFlag,
    until: untilFlag,
    html: optionalString("html", "Also write a self-contained HTML report with charts to this file", "file"),
    top: intFlag("top", "Rows in each top table (default 20)", 1).pipe(Flag.withDefault(20))
  },
  Effect.fn("monitor.logs.analyze")(function* (input) {
    const { since, until } = yield* window(input.since, input.until)
    const explicitUntil = Option.isSome(input.until) || Option.isSome(input.since)
    const report = yield* analyzeLocation(input.location, {
      ...(since === undefined ? {} : { since }),
      ...(explicitUntil ? { until } : {}),
      top: input.top
    })
    if (Option.isSome(input.html)) {
      const path = input.html.value
      const html = yield* LogReportHtml.render(report, `S3 access logs: ${input.location}`)
      yield* Effect.tryPromise({
        try: () => writeFile(path, html),
        catch: (cause) => new LocalFileError({ path, operation: "write", reason: String(cause) })
      })
    }
    yield* (yield* Output).print(lines(logReportText(report), report))
  })
).pipe(
  Command.withDescription(
    "Analyze S3 server access logs: requests by operation and status, 4xx/5xx, 403s, failed deletes, top keys, latency"
  ),
  Command.withExamples([
    {
      command: `${NAME} monitor logs analyze s3://localex-storage-logs/ --since 2026-12-01 --until 2026-12-02 --html report.html`,
      description: "One day of synced logs, with an HTML report"
    }
  ]),
  withMonitor
)

const logs = Command.make("logs").pipe(
  Command.withDescription("S3 server access logs"),
  Command.withSubcommands([logsAnalyze])
)

// ── monitor check daily ────────────────────────────────────────────────────────────────────

const checkDaily = Command.make(
  "daily",
  {
    logs: optionalString("logs", "Also review the last day of access logs at this path or s3:// location", "location"),
    maxBytes: intFlag(
      "max-bytes",
      "Storage threshold in bytes (default 1 TiB, the high-storage-usage alarm's)",
      1
    ).pipe(Flag.optional)
  },
  Effect.fn("monitor.check.daily")(function* (input) {
    const bucket = yield* bucketName
    const now = yield* Clock.currentTimeMillis
    const accessLogs = Option.isSome(input.logs)
      ? yield* analyzeLocation(input.logs.value, { since: now - 86_400_000, until: now })
      : undefined
    const report = yield* DailyCheck.daily(
      {
        bucket,
        ...Option.match(input.maxBytes, { onNone: () => ({}), onSome: (maxStorageBytes) => ({ maxStorageBytes }) })
      },
      accessLogs
    )
    yield* (yield* Output).print(lines(DailyCheck.formatReport(report), report))
    const failed = report.checks.filter((c) => c.status === "fail")
    if (failed.length > 0) return yield* new ChecksFailed({ failed: failed.map((c) => `${c.title}: ${c.summary}`) })
  })
).pipe(
  Command.withDescription(
    "The daily review: storage against the alarm threshold and the day before, error rates, failed requests (exit 1 on a failed check)"
  ),
  withMonitor
)

const check = Command.make("check").pipe(
  Command.withDescription("The operations guide's checklists"),
  Command.withSubcommands([checkDaily])
)

export const monitor = Command.make("monitor").pipe(
  Command.withDescription(summaries.monitor),
  Command.withSubcommands([metrics, requestMetrics, dashboard, alarms, logs, check])
)
