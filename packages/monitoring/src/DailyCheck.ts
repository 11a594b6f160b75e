/**
 * The operations guide's daily review as functions the cron app calls, each a pass/warn/fail
 * with its evidence: storage usage against the alarm threshold and the previous day, error
 * rates, failed requests in the last hour, and (from an access-log report) errors, 403s and
 * failed deletes. `daily` runs them all at once and returns a `DailyReport` (what
 * `localex-storage monitor daily` prints); the cron app calls the checks one by one and stores
 * its runs as `Report.ChecklistReport`, which is what the HTTP dashboard reads.
 */
import { Clock, Effect, Schema } from "effect"
import type { CloudWatch, CloudWatchError } from "./CloudWatch.js"
import type { LogReport } from "./LogAnalysis.js"
import { ReportStatus } from "./Report.js"
import * as S3Metrics from "./S3Metrics.js"

/** The daily checks never skip: a missing datum is itself a warning. Same literals as `Report.ReportStatus`. */
export const CheckStatus = ReportStatus
export type CheckStatus = ReportStatus

export const CheckResult = Schema.Struct({
  id: Schema.String,
  title: Schema.String,
  status: CheckStatus,
  /** One sentence a person acts on. */
  summary: Schema.String,
  /** The numbers the verdict was drawn from. */
  evidence: Schema.Record(Schema.String, Schema.Unknown)
})
export type CheckResult = typeof CheckResult.Type

/** One `daily` run: its checks and the worst of their statuses. */
export const DailyReport = Schema.Struct({
  schemaVersion: Schema.Literal(1),
  job: Schema.String,
  startedAt: Schema.String,
  finishedAt: Schema.String,
  /** The worst status of the checks. */
  status: CheckStatus,
  checks: Schema.Array(CheckResult)
})
export type DailyReport = typeof DailyReport.Type

export const decodeDailyReport = Schema.decodeUnknownEffect(DailyReport)

/** @deprecated The old name of `DailyReport` (not the stored `Report.ChecklistReport`). */
export const ChecklistReport = DailyReport
/** @deprecated The old name of `DailyReport` (not the stored `Report.ChecklistReport`). */
export type ChecklistReport = DailyReport
/** @deprecated Use `decodeDailyReport`. */
export const decodeChecklistReport = decodeDailyReport

const RANK: Record<CheckStatus, number> = { pass: 0, warn: 1, fail: 2 }
export const worst = (statuses: ReadonlyArray<CheckStatus>): CheckStatus =>
  statuses.reduce<CheckStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), "pass")

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`
const pct = (n: number) => `${n.toFixed(2)} %`

export interface DailyOptions {
  readonly bucket: string
  readonly filterId?: string
  /** The `high-storage-usage` alarm's threshold (default 1 TiB). */
  readonly maxStorageBytes?: number
  /** Warn from this share of the threshold (default 0.8). */
  readonly warnAt?: number
  /** Warn when the total grew by more than this share since the previous day (default 0.1). */
  readonly maxDailyGrowth?: number
  /** 4xx as a percentage of requests over the last day: warn above (default 5, the alarm's). */
  readonly max4xxPercent?: number
  /** 5xx as a percentage over the last day: fail above (default 1). */
  readonly max5xxPercent?: number
  /** Failed requests (4xx + 5xx) in the last hour: warn above (default 100). */
  readonly maxFailedLastHour?: number
}

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** Storage usage: the latest daily total against the threshold and against the day before. */
export const storageUsage = (storage: S3Metrics.StorageMetrics, options: DailyOptions): CheckResult => {
  const limit = options.maxStorageBytes ?? 1024 ** 4
  const warnAt = options.warnAt ?? 0.8
  const [previous, latest] =
    storage.totalBytes.slice(-2).length === 2 ? storage.totalBytes.slice(-2) : [undefined, storage.totalBytes.at(-1)]
  const base = { id: "storage-usage", title: "Storage usage" }
  if (latest === undefined)
    return {
      ...base,
      status: "warn",
      summary: `No BucketSizeBytes data for ${options.bucket} in the last days: is the bucket new, or the name wrong?`,
      evidence: { bucket: options.bucket }
    }
  const growth =
    previous === undefined || previous.value === 0 ? null : (latest.value - previous.value) / previous.value
  const evidence = {
    bucket: options.bucket,
    bytes: latest.value,
    at: latest.time,
    limit,
    share: latest.value / limit,
    previousBytes: previous?.value ?? null,
    growth,
    byStorageType: Object.fromEntries(
      storage.bytesByStorageType.map((t) => [t.storageType, t.points.at(-1)?.value ?? 0])
    ),
    objects: storage.objects.at(-1)?.value ?? null
  }
  if (latest.value > limit)
    return {
      ...base,
      status: "fail",
      summary: `${gib(latest.value)} stored: above the ${gib(limit)} limit of the high-storage-usage alarm`,
      evidence
    }
  if (latest.value >= warnAt * limit)
    return {
      ...base,
      status: "warn",
      summary: `${gib(latest.value)} stored: ${pct((latest.value / limit) * 100)} of the ${gib(limit)} limit`,
      evidence
    }
  if (growth !== null && growth > (options.maxDailyGrowth ?? 0.1))
    return {
      ...base,
      status: "warn",
      summary: `${gib(latest.value)} stored: grew ${pct(growth * 100)} since the day before`,
      evidence
    }
  return {
    ...base,
    status: "pass",
    summary: `${gib(latest.value)} stored (${pct((latest.value / limit) * 100)} of the limit)`,
    evidence
  }
}

/** Error rates over a window of request metrics. */
export const errorRates = (requests: S3Metrics.RequestMetrics, options: DailyOptions): CheckResult => {
  const { AllRequests: all } = requests.totals
  const e4 = requests.totals["4xxErrors"]
  const e5 = requests.totals["5xxErrors"]
  const rate4 = all === 0 ? 0 : (e4 / all) * 100
  const rate5 = all === 0 ? 0 : (e5 / all) * 100
  const evidence = {
    requests: all,
    "4xx": e4,
    "5xx": e5,
    rate4xxPercent: rate4,
    rate5xxPercent: rate5,
    filterId: requests.filterId
  }
  const base = { id: "error-rates", title: "Error rates (last 24 hours)" }
  if (rate5 > (options.max5xxPercent ?? 1))
    return {
      ...base,
      status: "fail",
      summary: `5xx at ${pct(rate5)} of ${all} requests: the store is failing requests`,
      evidence
    }
  if (rate4 > (options.max4xxPercent ?? 5))
    return {
      ...base,
      status: "warn",
      summary: `4xx at ${pct(rate4)} of ${all} requests (limit ${options.max4xxPercent ?? 5} %): review the access logs`,
      evidence
    }
  return { ...base, status: "pass", summary: `4xx ${pct(rate4)}, 5xx ${pct(rate5)} of ${all} requests`, evidence }
}

/** Failed requests (4xx + 5xx) in the last hour. */
export const failedRequests = (lastHour: S3Metrics.RequestMetrics, options: DailyOptions): CheckResult => {
  const failed = lastHour.totals["4xxErrors"] + lastHour.totals["5xxErrors"]
  const limit = options.maxFailedLastHour ?? 100
  const evidence = {
    "4xx": lastHour.totals["4xxErrors"],
    "5xx": lastHour.totals["5xxErrors"],
    requests: lastHour.totals.AllRequests,
    limit
  }
  const base = { id: "failed-requests", title: "Failed requests (last hour)" }
  return failed > limit
    ? { ...base, status: "warn", summary: `${failed} failed requests in the last hour (limit ${limit})`, evidence }
    : { ...base, status: "pass", summary: `${failed} failed requests in the last hour`, evidence }
}

/** The access-log review: error rates, 403s (who and from where), failed deletes, unreadable lines. */
export const accessLogReview = (
  report: LogReport,
  options: Pick<DailyOptions, "max4xxPercent" | "max5xxPercent"> = {}
): CheckResult => {
  const evidence = {
    records: report.records,
    byStatusClass: report.byStatusClass,
    errorRates: report.errorRates,
    forbidden: report.forbidden.count,
    forbiddenTopRequesters: report.forbidden.byRequester.slice(0, 5),
    forbiddenTopIps: report.forbidden.byIp.slice(0, 5),
    failedDeletes: report.failedDeletes.count,
    malformed: report.malformed.count
  }
  const base = { id: "access-logs", title: "Access-log review" }
  if (report.errorRates["5xx"] > (options.max5xxPercent ?? 1))
    return {
      ...base,
      status: "fail",
      summary: `5xx in ${pct(report.errorRates["5xx"])} of ${report.records} logged requests`,
      evidence
    }
  const notes: Array<string> = []
  if (report.errorRates["4xx"] > (options.max4xxPercent ?? 5))
    notes.push(`4xx in ${pct(report.errorRates["4xx"])} of requests`)
  if (report.forbidden.count > 0) notes.push(`${report.forbidden.count} requests refused (403)`)
  if (report.failedDeletes.count > 0) notes.push(`${report.failedDeletes.count} failed deletes`)
  if (report.malformed.count > 0) notes.push(`${report.malformed.count} unreadable log lines`)
  if (report.records === 0) notes.push("no logged requests in the window")
  return notes.length > 0
    ? { ...base, status: "warn", summary: `${notes.join("; ")}: see the report`, evidence }
    : { ...base, status: "pass", summary: `${report.records} logged requests, no 403s or failed deletes`, evidence }
}

/**
 * The daily checks from CloudWatch: storage usage (the last 3 days), error rates (last 24 h),
 * failed requests (last hour). `accessLogs`, when given, adds the access-log review.
 */
export const daily = Effect.fn("DailyCheck.daily")(function* (options: DailyOptions, accessLogs?: LogReport) {
  const startedAt = yield* Clock.currentTimeMillis
  const now = new Date(startedAt)
  const filterId = options.filterId ?? "EntireBucket"
  const storage = yield* S3Metrics.storage(options.bucket, { since: new Date(startedAt - 3 * DAY), until: now })
  const lastDay = yield* S3Metrics.requests(options.bucket, { since: new Date(startedAt - DAY), until: now }, filterId)
  const lastHour = yield* S3Metrics.requests(
    options.bucket,
    { since: new Date(startedAt - HOUR), until: now },
    filterId
  )
  const checks = [
    storageUsage(storage, options),
    errorRates(lastDay, options),
    failedRequests(lastHour, options),
    ...(accessLogs === undefined ? [] : [accessLogReview(accessLogs, options)])
  ]
  return {
    schemaVersion: 1,
    job: "daily",
    startedAt: now.toISOString(),
    finishedAt: new Date(yield* Clock.currentTimeMillis).toISOString(),
    status: worst(checks.map((c) => c.status)),
    checks
  } satisfies DailyReport
}) as (options: DailyOptions, accessLogs?: LogReport) => Effect.Effect<DailyReport, CloudWatchError, CloudWatch>

/** The report as lines: one per check, `PASS|WARN|FAIL  title: summary`. */
export const formatReport = (report: DailyReport): Array<string> => [
  `${report.job} checks (${report.startedAt}): ${report.status.toUpperCase()}`,
  ...report.checks.map((c) => `  ${c.status.toUpperCase().padEnd(4)}  ${c.title}: ${c.summary}`)
]
