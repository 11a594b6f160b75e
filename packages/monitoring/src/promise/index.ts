/**
 * `@localex/monitoring/promise`: statistics, quota, access-log analysis, CloudWatch (S3 metrics,
 * alarms and dashboard as code, the daily check), checklist reports and the performance review
 * as plain async methods, for code that does not use Effect. A failed call rejects with the
 * packages' own error classes.
 */
import { loadSettings, ObjectStore, Storage, StorageConfigError, type StorageOverrides } from "@localex/storage-core"
import { type CallOptions, serviceRuntime } from "@localex/storage-core/promise"
import { Clock, Effect, Layer, Option } from "effect"
import * as Alarms from "../Alarms.js"
import { CloudWatch } from "../CloudWatch.js"
import * as DailyCheck from "../DailyCheck.js"
import * as Dashboard from "../Dashboard.js"
import type { InventoryStatsOptions } from "../Inventory.js"
import * as LogAnalysis from "../LogAnalysis.js"
import * as LogReportHtml from "../LogReportHtml.js"
import * as Perf from "../Perf.js"
import { checkQuota, type QuotaPolicy, type QuotaVerdict } from "../Quota.js"
import * as Report from "../Report.js"
import * as S3Metrics from "../S3Metrics.js"
import { StorageStatistics, layer as statsLayer } from "../Stats.js"
import type { StatsOptions, StorageStats } from "../StatsModel.js"
import * as TimeWindow from "../TimeWindow.js"

export * from "@localex/storage-core/errors"
export type { CallOptions } from "@localex/storage-core/promise"
export { AccessLogSourceError } from "../AccessLog.js"
export type {
  AlarmExpression,
  AlarmMetric,
  AlarmSpec,
  AlarmsApplied,
  AlarmsPlan,
  GuideAlarmOptions
} from "../Alarms.js"
export { AlarmSpecInvalid, AlarmsNotApplied } from "../Alarms.js"
export { CloudWatchError } from "../CloudWatch.js"
export type { DailyOptions, DailyReport, DailyReport as DailyChecklist } from "../DailyCheck.js"
export type { DashboardApplied, DashboardPlan, DashboardSpec, GuideDashboardOptions, Widget } from "../Dashboard.js"
export { DashboardNotApplied } from "../Dashboard.js"
export type { InventoryStatsOptions } from "../Inventory.js"
export { InventoryError } from "../Inventory.js"
export type { AnalysisOptions, LogReport } from "../LogAnalysis.js"
export { ReportRenderError } from "../LogReportHtml.js"
export type { PerfLine, PerfLineId, PerfOptions, PerfResult } from "../Perf.js"
export { CdnFetchFailed } from "../Perf.js"
export type { QuotaPolicy, QuotaVerdict } from "../Quota.js"
export { QuotaUsageUnknown } from "../Quota.js"
export type { ChecklistReport } from "../Report.js"
export { ReportUnreadable } from "../Report.js"
export type { RequestMetric, RequestMetrics, StorageMetrics } from "../S3Metrics.js"
export type { StatsOptions, StorageStats } from "../StatsModel.js"
export { InvalidTime } from "../TimeWindow.js"

/** The guide's `stats.totalSize` and friends, beside the full statistics. */
export interface StorageStatsSummary {
  readonly totalSize: number
  readonly objectCount: number
  /** Bytes per storage class. */
  readonly byStorageClass: Readonly<Record<string, number>>
  readonly stats: StorageStats
}

/**
 * A point in time: a `Date`, epoch milliseconds, or the CLI's `--since`/`--until` text (an ISO
 * date or time, or a duration back from now: `30m`, `24h`, `7d`); bad text rejects with `InvalidTime`.
 */
export type TimeInput = Date | number | string

export interface TimeWindowOptions {
  readonly since?: TimeInput | undefined
  /** Exclusive; default now. */
  readonly until?: TimeInput | undefined
}

/** Where access logs are: a local file or folder, or a prefix of this service's store. */
export type AccessLogSource = { readonly path: string } | { readonly prefix: string }

export type AccessLogOptions = Omit<LogAnalysis.AnalysisOptions, "since" | "until"> & TimeWindowOptions

/** S3 metrics of a bucket: default the store's bucket (settings or LOCALEX_STORAGE_BUCKET). */
export interface MetricsOptions extends TimeWindowOptions {
  readonly bucket?: string
}

/** The guide's alarms (their options) or explicit specs. */
export type AlarmsInput = Alarms.GuideAlarmOptions | ReadonlyArray<Alarms.AlarmSpec>

/** The guide's dashboard (its options) or an explicit spec (one with `widgets`). */
export type DashboardInput = Dashboard.GuideDashboardOptions | Dashboard.DashboardSpec

export interface PerformanceOptions extends Perf.PerfOptions {
  /** Measures the thumbnail line with this (e.g. image-processing's `processImage`); skipped without it. */
  readonly thumbnail?: (image: Uint8Array) => Promise<unknown>
  /** Measures cached CDN responses by fetching `<cdnBaseUrl>/<key>`; skipped without it. */
  readonly cdnBaseUrl?: string
}

/** The store's settings, and the region/profile of the CloudWatch client (its endpoint: AWS_ENDPOINT_URL_CLOUDWATCH). */
export interface MonitoringServiceSettings extends StorageOverrides {
  readonly cloudWatch?: { readonly region?: string; readonly profile?: string }
}

export interface MonitoringService extends AsyncDisposable {
  /** Lists the bucket (or a prefix) once: totals, classes, prefixes, sizes, ages, largest, uploads, versions. */
  readonly getStorageStats: (options?: StatsOptions & CallOptions) => Promise<StorageStatsSummary>
  /** The same statistics (the guide's `fileService.getStorageStatistics()`). */
  readonly getStorageStatistics: (options?: StatsOptions & CallOptions) => Promise<StorageStatsSummary>
  /** The statistics from an S3 Inventory report (its manifest.json key) instead of a listing. */
  readonly getStorageStatsFromInventory: (
    manifestKey: string,
    options?: InventoryStatsOptions & CallOptions
  ) => Promise<StorageStatsSummary>
  /** Collects statistics for the policy's prefixes and judges them against its limits. */
  readonly checkQuota: (
    policy: QuotaPolicy,
    options?: StatsOptions & CallOptions
  ) => Promise<{ readonly stats: StorageStats; readonly verdict: QuotaVerdict }>
  /** The guide's access-log review: status classes, errors, 403s, failed deletes, top keys, latency, per hour. */
  readonly analyzeAccessLogs: (
    source: AccessLogSource,
    options?: AccessLogOptions & CallOptions
  ) => Promise<LogAnalysis.LogReport>
  /** The analysis as one self-contained HTML page with charts. */
  readonly renderAccessLogReport: (report: LogAnalysis.LogReport, title?: string) => Promise<string>
  /** S3's daily storage metrics (`BucketSizeBytes` per storage type, `NumberOfObjects`) from CloudWatch. */
  readonly getStorageMetrics: (
    options?: MetricsOptions & { readonly storageTypes?: ReadonlyArray<string> } & CallOptions
  ) => Promise<S3Metrics.StorageMetrics>
  /** S3's request metrics (5-minute sums and totals) of a metrics configuration (default `EntireBucket`). */
  readonly getRequestMetrics: (
    options?: MetricsOptions & { readonly filterId?: string } & CallOptions
  ) => Promise<S3Metrics.RequestMetrics>
  /** What applying the alarms would add, change and (with `prunePrefix`) remove. */
  readonly planAlarms: (alarms: AlarmsInput, options?: Alarms.PlanOptions & CallOptions) => Promise<Alarms.AlarmsPlan>
  /** Writes what differs, then plans again (`AlarmsNotApplied` when something still differs). */
  readonly applyAlarms: (
    alarms: AlarmsInput,
    options?: Alarms.PlanOptions & CallOptions
  ) => Promise<Alarms.AlarmsApplied>
  readonly planDashboard: (dashboard: DashboardInput, options?: CallOptions) => Promise<Dashboard.DashboardPlan>
  readonly applyDashboard: (dashboard: DashboardInput, options?: CallOptions) => Promise<Dashboard.DashboardApplied>
  /** The guide's daily checks from CloudWatch; with `accessLogs` (an analysis), the access-log review too. */
  readonly dailyCheck: (
    options: DailyCheck.DailyOptions & { readonly accessLogs?: LogAnalysis.LogReport } & CallOptions
  ) => Promise<DailyCheck.DailyReport>
  /** The newest checklist report a cron job (`daily`, `weekly`, …) stored, or null when none ran. */
  readonly latestReport: (job: string, options?: CallOptions) => Promise<Report.ChecklistReport | null>
  /** The guide's "Expected Performance" against the store; what it writes is removed. */
  readonly checkPerformance: (options?: PerformanceOptions & CallOptions) => Promise<Perf.PerfResult>
  /** Releases the store and, when one was used, the CloudWatch client. */
  readonly close: () => Promise<void>
}

/** The bucket of the store's settings; an fs store has none, so the call must name one. */
const bucketOf = (storage: StorageOverrides) =>
  Effect.flatMap(loadSettings(storage), (settings) =>
    "bucket" in settings
      ? Effect.succeed(settings.bucket)
      : Effect.fail(
          new StorageConfigError({
            setting: "bucket",
            reason: "the store is a folder: name the bucket whose metrics to read"
          })
        )
  )

const summary = (stats: StorageStats): StorageStatsSummary => ({
  totalSize: stats.totals.bytes,
  objectCount: stats.totals.objects,
  byStorageClass: Object.fromEntries(stats.byStorageClass.map((c) => [c.storageClass, c.bytes])),
  stats
})

const asText = (time: TimeInput | undefined): string | undefined =>
  time === undefined ? undefined : typeof time === "string" ? time : new Date(time).toISOString()

/** The window in epoch ms, by TimeWindow's rules (the CLI's flags); `until` defaults to now. */
const timeWindow = ({ since, until }: TimeWindowOptions) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const parsed = TimeWindow.parseWindow(asText(since), asText(until), now)
    if (parsed instanceof TimeWindow.InvalidTime) return yield* parsed
    return { since: parsed.since, until: parsed.until ?? now }
  })

export const createMonitoringService = (settings: MonitoringServiceSettings = {}): MonitoringService => {
  const { cloudWatch: cloudWatchOverrides, ...storage } = settings
  const storeBucket = bucketOf(storage)
  const { run, close: closeStore } = serviceRuntime(Layer.provideMerge(statsLayer, Storage.layerConfig(storage)))
  // CloudWatch gets a runtime of its own; a runtime builds its layer on first use, so creating
  // the service and reading statistics needs no AWS settings.
  const { run: onCloudWatch, close: closeCloudWatch } = serviceRuntime(CloudWatch.layerConfig(cloudWatchOverrides))
  const collect = ({ signal, ...options }: StatsOptions & CallOptions = {}) =>
    run(Effect.flatMap(StorageStatistics, (s) => s.collect(options)).pipe(Effect.map(summary)), { signal })
  /** The bucket and the window of a metrics query; the window defaults to `defaultDays` back. */
  const metricsQuery = async ({ bucket, since, until }: MetricsOptions, defaultDays: number, signal?: AbortSignal) =>
    run(
      Effect.gen(function* () {
        const window = yield* timeWindow({ since: since ?? `${defaultDays}d`, until })
        return {
          bucket: bucket ?? (yield* storeBucket),
          window: { since: new Date(window.since ?? 0), until: new Date(window.until) }
        }
      }),
      { signal }
    )
  const alarmSpecs = (alarms: AlarmsInput) =>
    Array.isArray(alarms) ? alarms : Alarms.guideAlarms(alarms as Alarms.GuideAlarmOptions)
  const dashboardSpec = (dashboard: DashboardInput) =>
    "widgets" in dashboard ? dashboard : Dashboard.guideDashboard(dashboard)
  const close = async () => {
    await Promise.all([closeStore(), closeCloudWatch()])
  }
  return {
    getStorageStats: collect,
    getStorageStatistics: collect,
    getStorageStatsFromInventory: (manifestKey, { signal, ...options } = {}) =>
      run(Effect.flatMap(StorageStatistics, (s) => s.fromInventory(manifestKey, options)).pipe(Effect.map(summary)), {
        signal
      }),
    checkQuota: (policy, { signal, ...options } = {}) => run(checkQuota(policy, options), { signal }),
    analyzeAccessLogs: (source, { signal, since, until, ...options } = {}) =>
      run(
        Effect.gen(function* () {
          const window = since === undefined && until === undefined ? {} : yield* timeWindow({ since, until })
          const analysis = { ...options, ...window }
          return "path" in source
            ? yield* LogAnalysis.analyzePath(source.path, analysis)
            : yield* LogAnalysis.analyzeStore(yield* ObjectStore, source.prefix, analysis)
        }),
        { signal }
      ),
    renderAccessLogReport: (report, title) => run(LogReportHtml.render(report, title)),
    getStorageMetrics: async ({ signal, storageTypes, ...options } = {}) => {
      const { bucket, window } = await metricsQuery(options, 3, signal)
      return onCloudWatch(S3Metrics.storage(bucket, window, storageTypes), { signal })
    },
    getRequestMetrics: async ({ signal, filterId, ...options } = {}) => {
      const { bucket, window } = await metricsQuery(options, 1, signal)
      return onCloudWatch(S3Metrics.requests(bucket, window, filterId), { signal })
    },
    planAlarms: (alarms, { signal, ...options } = {}) =>
      onCloudWatch(Alarms.plan(alarmSpecs(alarms), options), { signal }),
    applyAlarms: (alarms, { signal, ...options } = {}) =>
      onCloudWatch(Alarms.apply(alarmSpecs(alarms), options), { signal }),
    planDashboard: (dashboard, options) => onCloudWatch(Dashboard.plan(dashboardSpec(dashboard)), options),
    applyDashboard: (dashboard, options) => onCloudWatch(Dashboard.apply(dashboardSpec(dashboard)), options),
    dailyCheck: ({ signal, accessLogs, ...options }) => onCloudWatch(DailyCheck.daily(options, accessLogs), { signal }),
    latestReport: (job, options) =>
      run(
        Effect.flatMap(ObjectStore, (store) => Report.latest(store, job)).pipe(Effect.map(Option.getOrNull)),
        options
      ),
    checkPerformance: ({ signal, thumbnail, cdnBaseUrl, ...options } = {}) =>
      run(
        Perf.check<unknown>(
          {
            ...(thumbnail === undefined
              ? {}
              : {
                  thumbnail: (image: Uint8Array) => Effect.tryPromise({ try: () => thumbnail(image), catch: (e) => e })
                }),
            ...(cdnBaseUrl === undefined ? {} : { cdnFetch: Perf.fetchThroughCdn(cdnBaseUrl) })
          },
          options
        ),
        { signal }
      ),
    close,
    [Symbol.asyncDispose]: close
  }
}
