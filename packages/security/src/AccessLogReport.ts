/**
 * The access-log security report: 403 bursts by IP and by requester, anonymous access attempts,
 * failed deletes and unusual deletes (requesters that do not usually delete, bulk deletes), over
 * S3 server access logs read with the monitoring package's parser and sources — a local file or
 * folder (gzipped or not), or a store prefix with date-partitioned keys. One pass, streamed.
 *
 * "Usually deletes" is learnt from the logs themselves: the records of the baseline period
 * before the window (default the 7 days before `since`) say who deleted then; `knownDeleters`
 * (the clean-up job's role, say) are always usual.
 */
import { AccessLog, type AccessLogSourceError } from "@localex/monitoring"
import {
  type InvalidKey,
  loadSettings,
  type ObjectStore,
  Storage,
  type StorageConfigError,
  type StorageOverrides,
  type StoreError
} from "@localex/storage-core"
import { Context, Effect, Layer, Schema, type Scope, Stream } from "effect"
import { type Burst, SlidingBursts, Tally } from "./accessLog/bursts.js"

export type { Burst } from "./accessLog/bursts.js"

/** Where the logs are: a local file or folder, or a prefix of a store (its day prefixes when a window is given). */
export type LogSource =
  | { readonly _tag: "Path"; readonly path: string }
  | { readonly _tag: "Store"; readonly store: ObjectStore["Service"]; readonly prefix: string }

export interface SecurityLogOptions {
  /** Window start (epoch ms); records before it only feed the baseline. */
  readonly since?: number
  /** Window end, exclusive (epoch ms). */
  readonly until?: number
  /** 403s of one IP or requester within `burstWindowMs` that make a burst (default 10). */
  readonly burstCount?: number
  /** Default 60 s. */
  readonly burstWindowMs?: number
  /** Successful object deletes of one requester within `bulkDeleteWindowMs` that make a bulk delete (default 50). */
  readonly bulkDeleteCount?: number
  /** Default 5 min. */
  readonly bulkDeleteWindowMs?: number
  /** Start of the baseline period (default 7 days before `since`; without `since`, no baseline). */
  readonly baselineSince?: number
  /** Requesters whose deletes are expected (never "unusual"). */
  readonly knownDeleters?: ReadonlyArray<string>
  /** Rows in each list (default 20). */
  readonly top?: number
  /** Distinct names each table tracks (default 100,000); past it the report says `truncated`. */
  readonly maxTracked?: number
}

export const DEFAULTS = {
  burstCount: 10,
  burstWindowMs: 60_000,
  bulkDeleteCount: 50,
  bulkDeleteWindowMs: 300_000,
  baselineMs: 7 * 86_400_000,
  top: 20,
  maxTracked: 100_000
} as const

export interface Counted {
  readonly name: string
  readonly count: number
}

export interface NewDeleter {
  readonly requester: string
  readonly deletes: number
}

export interface SecurityLogReport {
  readonly window: { readonly since: string | null; readonly until: string | null }
  /** The period that says who usually deletes (null: none, every deleter counts as new). */
  readonly baseline: { readonly since: string; readonly until: string; readonly records: number } | null
  readonly thresholds: {
    readonly burstCount: number
    readonly burstWindowMs: number
    readonly bulkDeleteCount: number
    readonly bulkDeleteWindowMs: number
  }
  readonly sources: number
  /** Records inside the window (every count below is of these). */
  readonly records: number
  readonly outsideWindow: number
  readonly malformed: number
  readonly forbidden: {
    readonly count: number
    readonly burstsByIp: ReadonlyArray<Burst>
    readonly burstsByRequester: ReadonlyArray<Burst>
  }
  /** Requests without a requester (no credentials). */
  readonly anonymous: {
    readonly count: number
    readonly denied: number
    readonly succeeded: number
    readonly byIp: ReadonlyArray<Counted>
    readonly byOperation: ReadonlyArray<Counted>
  }
  readonly deletes: {
    /** Successful object deletes (REST.DELETE.OBJECT, BATCH.DELETE.OBJECT). */
    readonly succeeded: number
    readonly byRequester: ReadonlyArray<Counted>
    readonly failed: {
      readonly count: number
      readonly byRequester: ReadonlyArray<Counted>
      readonly byKey: ReadonlyArray<Counted>
      readonly byErrorCode: ReadonlyArray<Counted>
    }
    /** Requesters that deleted in the window but not in the baseline (and are not known deleters). */
    readonly newDeleters: ReadonlyArray<NewDeleter>
    readonly bulk: ReadonlyArray<Burst>
  }
  /** True when a table met `maxTracked` names: its rows are then lower bounds. */
  readonly truncated: boolean
}

/** An option out of range: nothing is read. */
export class InvalidReportOption extends Schema.TaggedError<InvalidReportOption>()("InvalidReportOption", {
  option: Schema.String,
  value: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.option} ${this.value}: ${this.reason}`
  }
}

export type ReportError = AccessLogSourceError | StoreError | InvalidKey | InvalidReportOption

/** Anonymous requests have no requester; the name shown for them. */
export const ANONYMOUS = "(anonymous)"

const isObjectDelete = (operation: string) => operation === "REST.DELETE.OBJECT" || operation === "BATCH.DELETE.OBJECT"
const isDeleteRequest = (operation: string) =>
  operation.includes(".DELETE.") || operation === "REST.POST.MULTI_OBJECT_DELETE"

interface Settings {
  readonly since: number
  readonly until: number
  readonly baselineSince: number | undefined
  readonly burstCount: number
  readonly burstWindowMs: number
  readonly bulkDeleteCount: number
  readonly bulkDeleteWindowMs: number
  readonly top: number
  readonly maxTracked: number
  readonly knownDeleters: ReadonlySet<string>
}

const settingsOf = (options: SecurityLogOptions): Settings | InvalidReportOption => {
  const positive = [
    ["burstCount", options.burstCount],
    ["burstWindowMs", options.burstWindowMs],
    ["bulkDeleteCount", options.bulkDeleteCount],
    ["bulkDeleteWindowMs", options.bulkDeleteWindowMs],
    ["top", options.top],
    ["maxTracked", options.maxTracked]
  ] as const
  for (const [option, value] of positive)
    if (value !== undefined && !(Number.isInteger(value) && value > 0))
      return new InvalidReportOption({ option, value: String(value), reason: "must be a whole number above 0" })
  const since = options.since ?? Number.NEGATIVE_INFINITY
  const until = options.until ?? Number.POSITIVE_INFINITY
  if (since >= until)
    return new InvalidReportOption({ option: "until", value: String(options.until), reason: "must be after since" })
  const baselineSince =
    options.baselineSince ?? (options.since === undefined ? undefined : options.since - DEFAULTS.baselineMs)
  if (baselineSince !== undefined && baselineSince > since)
    return new InvalidReportOption({
      option: "baselineSince",
      value: String(baselineSince),
      reason: "must not be after since"
    })
  return {
    since,
    until,
    baselineSince,
    burstCount: options.burstCount ?? DEFAULTS.burstCount,
    burstWindowMs: options.burstWindowMs ?? DEFAULTS.burstWindowMs,
    bulkDeleteCount: options.bulkDeleteCount ?? DEFAULTS.bulkDeleteCount,
    bulkDeleteWindowMs: options.bulkDeleteWindowMs ?? DEFAULTS.bulkDeleteWindowMs,
    top: options.top ?? DEFAULTS.top,
    maxTracked: options.maxTracked ?? DEFAULTS.maxTracked,
    knownDeleters: new Set(options.knownDeleters ?? [])
  }
}

/** Folds records into the report. */
class SecurityAnalyzer {
  sources = 0
  private records = 0
  private outside = 0
  malformed = 0
  private baselineRecords = 0
  private forbidden = 0
  private readonly forbiddenIps: SlidingBursts
  private readonly forbiddenRequesters: SlidingBursts
  private anonymous = 0
  private anonymousDenied = 0
  private anonymousSucceeded = 0
  private readonly anonymousIps: Tally
  private readonly anonymousOperations: Tally
  private deleted = 0
  private readonly deleters: Tally
  private readonly baselineDeleters: Tally
  private failedDeletes = 0
  private readonly failedRequesters: Tally
  private readonly failedKeys: Tally
  private readonly failedCodes: Tally
  private readonly bulk: SlidingBursts

  constructor(private readonly s: Settings) {
    const cap = s.maxTracked
    this.forbiddenIps = new SlidingBursts(s.burstCount, s.burstWindowMs, cap)
    this.forbiddenRequesters = new SlidingBursts(s.burstCount, s.burstWindowMs, cap)
    this.anonymousIps = new Tally(cap)
    this.anonymousOperations = new Tally(cap)
    this.deleters = new Tally(cap)
    this.baselineDeleters = new Tally(cap)
    this.failedRequesters = new Tally(cap)
    this.failedKeys = new Tally(cap)
    this.failedCodes = new Tally(cap)
    this.bulk = new SlidingBursts(s.bulkDeleteCount, s.bulkDeleteWindowMs, cap)
  }

  add(record: AccessLog.AccessLogRecord): void {
    const { time } = record
    const status = record.httpStatus ?? 0
    const operation = record.operation ?? "-"
    const requester = record.requester ?? ANONYMOUS
    const succeeded = status >= 200 && status < 300
    if (time >= this.s.until || time < (this.s.baselineSince ?? this.s.since)) {
      this.outside++
      return
    }
    if (time < this.s.since) {
      this.baselineRecords++
      if (succeeded && isObjectDelete(operation)) this.baselineDeleters.add(requester)
      return
    }
    this.records++
    if (status === 403) {
      this.forbidden++
      this.forbiddenIps.add(record.remoteIp ?? "-", time)
      this.forbiddenRequesters.add(requester, time)
    }
    if (record.requester === null) {
      this.anonymous++
      if (status === 403) this.anonymousDenied++
      if (succeeded) this.anonymousSucceeded++
      this.anonymousIps.add(record.remoteIp ?? "-")
      this.anonymousOperations.add(operation)
    }
    if (isDeleteRequest(operation) && status >= 400) {
      this.failedDeletes++
      this.failedRequesters.add(requester)
      this.failedKeys.add(record.key ?? "(none)")
      this.failedCodes.add(record.errorCode ?? String(status))
    } else if (succeeded && isObjectDelete(operation)) {
      this.deleted++
      this.deleters.add(requester)
      this.bulk.add(requester, time)
    }
  }

  report(): SecurityLogReport {
    const s = this.s
    const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null)
    const usual = (name: string) => s.knownDeleters.has(name) || this.baselineDeleters.has(name)
    const newDeleters = [...this.deleters.names()]
      .filter((name) => !usual(name))
      .map((requester) => ({ requester, deletes: this.deleters.get(requester) }))
      .sort((a, b) => b.deletes - a.deletes || (a.requester < b.requester ? -1 : 1))
    const tallies = [
      this.anonymousIps,
      this.anonymousOperations,
      this.deleters,
      this.baselineDeleters,
      this.failedRequesters,
      this.failedKeys,
      this.failedCodes
    ]
    const bursts = [this.forbiddenIps, this.forbiddenRequesters, this.bulk]
    return {
      window: { since: iso(s.since), until: iso(s.until) },
      baseline:
        s.baselineSince === undefined
          ? null
          : {
              since: new Date(s.baselineSince).toISOString(),
              until: iso(s.since) ?? "",
              records: this.baselineRecords
            },
      thresholds: {
        burstCount: s.burstCount,
        burstWindowMs: s.burstWindowMs,
        bulkDeleteCount: s.bulkDeleteCount,
        bulkDeleteWindowMs: s.bulkDeleteWindowMs
      },
      sources: this.sources,
      records: this.records,
      outsideWindow: this.outside,
      malformed: this.malformed,
      forbidden: {
        count: this.forbidden,
        burstsByIp: this.forbiddenIps.report().slice(0, s.top),
        burstsByRequester: this.forbiddenRequesters.report().slice(0, s.top)
      },
      anonymous: {
        count: this.anonymous,
        denied: this.anonymousDenied,
        succeeded: this.anonymousSucceeded,
        byIp: this.anonymousIps.top(s.top),
        byOperation: this.anonymousOperations.top(s.top)
      },
      deletes: {
        succeeded: this.deleted,
        byRequester: this.deleters.top(s.top),
        failed: {
          count: this.failedDeletes,
          byRequester: this.failedRequesters.top(s.top),
          byKey: this.failedKeys.top(s.top),
          byErrorCode: this.failedCodes.top(s.top)
        },
        newDeleters: newDeleters.slice(0, s.top),
        bulk: this.bulk.report().slice(0, s.top)
      },
      truncated: tallies.some((t) => t.untracked > 0) || bursts.some((b) => b.untracked > 0)
    }
  }
}

/** The log files of a source; a store source reads only the day prefixes of `[from, until)` when both are finite. */
const filesOf = (
  source: LogSource,
  from: number,
  until: number
): Stream.Stream<AccessLog.LogFile<StoreError | InvalidKey>, AccessLogSourceError | StoreError | InvalidKey> =>
  source._tag === "Path"
    ? Stream.unwrap(Effect.map(AccessLog.localFiles(source.path), (files) => Stream.fromIterable(files)))
    : AccessLog.storeFiles(
        source.store,
        source.prefix,
        Number.isFinite(from) && Number.isFinite(until) ? { since: from, until } : undefined
      )

/**
 * Every parsed line of a source, file after file (`onFile` is told each file's name). Records are
 * not filtered by time: callers do, with the files read limited to `[from, until)`'s days.
 */
export const parsedLines = (
  source: LogSource,
  from: number,
  until: number,
  onFile: (name: string) => void = () => {}
): Stream.Stream<AccessLog.ParsedLine, AccessLogSourceError | StoreError | InvalidKey> =>
  filesOf(source, from, until).pipe(
    Stream.flatMap(
      (file) =>
        Stream.suspend(() => {
          onFile(file.name)
          return AccessLog.parseLines(file)
        }),
      { concurrency: 1 }
    )
  )

const S3_LOCATION = /^s3:\/\/([^/]+)\/?(.*)$/

/**
 * The source a user names: `s3://bucket/prefix/` (read through an s3 store of that bucket, with
 * the environment's AWS settings under `overrides`; closed with the scope), else a local path.
 */
export const openLogSource = (
  location: string,
  overrides: StorageOverrides = {}
): Effect.Effect<LogSource, StorageConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    const s3 = S3_LOCATION.exec(location)
    if (s3 === null) return { _tag: "Path", path: location } satisfies LogSource
    const settings = yield* loadSettings({ ...overrides, bucket: s3[1]!, driver: "s3" })
    const { store } = yield* Storage.makeStore(settings)
    return { _tag: "Store", store, prefix: s3[2] ?? "" } satisfies LogSource
  })

/** The security report of the logs at `source` (see the module's comment). */
export const analyze = (
  source: LogSource,
  options: SecurityLogOptions = {}
): Effect.Effect<SecurityLogReport, ReportError> =>
  Effect.suspend((): Effect.Effect<SecurityLogReport, ReportError> => {
    const settings = settingsOf(options)
    if (settings instanceof InvalidReportOption) return Effect.fail(settings)
    const analyzer = new SecurityAnalyzer(settings)
    return parsedLines(source, settings.baselineSince ?? settings.since, settings.until, () => {
      analyzer.sources++
    }).pipe(
      Stream.runForEach((line) =>
        Effect.sync(() => {
          if (line._tag === "Record") analyzer.add(line.record)
          else analyzer.malformed++
        })
      ),
      Effect.map(() => analyzer.report())
    )
  })

const list = (rows: ReadonlyArray<Counted>) => rows.map((r) => `${r.name} ${r.count}`).join(", ") || "-"
const burstLines = (rows: ReadonlyArray<Burst>) =>
  rows.map((b) => `  ${b.name}: ${b.bursts} burst(s), peak ${b.peak}, ${b.first} → ${b.last} (${b.total} in all)`)

/** The report as text lines (the CLI prints them; JSON is the report itself). */
export const formatReport = (report: SecurityLogReport): ReadonlyArray<string> => {
  const t = report.thresholds
  return [
    `${report.records} requests in ${report.sources} file(s), ${report.window.since ?? "-"} → ${report.window.until ?? "-"}` +
      ` (${report.outsideWindow} outside the window, ${report.malformed} malformed lines)`,
    report.baseline === null
      ? "baseline: none (give --since): every requester that deleted counts as new"
      : `baseline: ${report.baseline.records} requests, ${report.baseline.since} → ${report.baseline.until}`,
    `403: ${report.forbidden.count}; bursts (≥ ${t.burstCount} within ${t.burstWindowMs / 1000} s):`,
    "  by IP:",
    ...burstLines(report.forbidden.burstsByIp).map((l) => `  ${l}`),
    "  by requester:",
    ...burstLines(report.forbidden.burstsByRequester).map((l) => `  ${l}`),
    `anonymous requests: ${report.anonymous.count} (${report.anonymous.denied} denied, ${report.anonymous.succeeded} succeeded)`,
    `  by IP: ${list(report.anonymous.byIp)}`,
    `  by operation: ${list(report.anonymous.byOperation)}`,
    `deletes: ${report.deletes.succeeded} succeeded; by requester: ${list(report.deletes.byRequester)}`,
    `failed deletes: ${report.deletes.failed.count}; by requester: ${list(report.deletes.failed.byRequester)}`,
    `  by key: ${list(report.deletes.failed.byKey)}`,
    `  by error: ${list(report.deletes.failed.byErrorCode)}`,
    `new deleters (not in the baseline): ${report.deletes.newDeleters.map((d) => `${d.requester} ${d.deletes}`).join(", ") || "none"}`,
    `bulk deletes (≥ ${t.bulkDeleteCount} within ${t.bulkDeleteWindowMs / 1000} s):`,
    ...burstLines(report.deletes.bulk),
    ...(report.truncated ? ["note: a table met its size limit; its rows are lower bounds"] : [])
  ]
}

export class AccessLogReport extends Context.Service<
  AccessLogReport,
  {
    readonly analyze: (source: LogSource, options?: SecurityLogOptions) => Effect.Effect<SecurityLogReport, ReportError>
  }
>()("@localex/security/AccessLogReport") {
  static readonly layer: Layer.Layer<AccessLogReport> = Layer.succeed(
    AccessLogReport,
    AccessLogReport.of({
      analyze: (source, options) => analyze(source, options).pipe(Effect.withSpan("AccessLogReport.analyze"))
    })
  )
}
