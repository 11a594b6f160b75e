/**
 * Access-log analysis: the operations guide's "review error logs" and security review, over S3
 * server access logs streamed from local files or a store prefix. One pass, flat memory: every
 * table is bounded (`maxTrackedKeys`), latency percentiles come from a fixed histogram.
 */
import type { InvalidKey, ObjectStore, StoreError } from "@localex/storage-core"
import { Effect, Stream } from "effect"
import {
  type AccessLogSourceError,
  decodeKey,
  F,
  type LogFile,
  localFiles,
  type MalformedReason,
  MIN_FIELDS,
  storeFiles
} from "./AccessLog.js"
import {
  Interner,
  LineSplitter,
  MAX_FIELDS,
  parseCount,
  parseLogTime,
  sameBytes,
  scanFields
} from "./internal/logScan.js"
import { BoundedTally, MillisHistogram, type Percentiles } from "./internal/tally.js"

export interface AnalysisOptions {
  /** Only records at or after this time (epoch ms). */
  readonly since?: number
  /** Only records before this time (epoch ms). */
  readonly until?: number
  /** Rows in each "top" table (default 20). */
  readonly top?: number
  /** Distinct names (keys, requesters, IPs, …) each table tracks before counting the rest as untracked (default 100,000). */
  readonly maxTrackedKeys?: number
  /** Malformed lines quoted in the report (default 10). */
  readonly malformedSamples?: number
}

export type StatusClass = "2xx" | "3xx" | "4xx" | "5xx" | "other"
const CLASSES: ReadonlyArray<StatusClass> = ["2xx", "3xx", "4xx", "5xx", "other"]

export interface Counted {
  readonly name: string
  readonly count: number
  readonly bytes: number
}

export interface LogReport {
  readonly window: { readonly since: string | null; readonly until: string | null }
  readonly sources: number
  readonly lines: number
  readonly blankLines: number
  /** Records inside the window (every number below counts only these). */
  readonly records: number
  readonly outsideWindow: number
  readonly firstTime: string | null
  readonly lastTime: string | null
  readonly malformed: {
    readonly count: number
    readonly byReason: Readonly<Partial<Record<MalformedReason, number>>>
    readonly samples: ReadonlyArray<{
      readonly source: string
      readonly line: number
      readonly reason: MalformedReason
      readonly text: string
    }>
  }
  readonly byStatusClass: Readonly<Record<StatusClass, number>>
  readonly errorRates: { readonly "4xx": number; readonly "5xx": number }
  readonly byOperation: ReadonlyArray<
    { readonly operation: string; readonly requests: number } & Record<StatusClass, number>
  >
  readonly byStatus: ReadonlyArray<{ readonly status: string; readonly count: number }>
  readonly byErrorCode: ReadonlyArray<Counted>
  readonly forbidden: {
    readonly count: number
    readonly byRequester: ReadonlyArray<Counted>
    readonly byIp: ReadonlyArray<Counted>
    readonly byOperation: ReadonlyArray<Counted>
  }
  readonly failedDeletes: {
    readonly count: number
    readonly byKey: ReadonlyArray<Counted>
    readonly byErrorCode: ReadonlyArray<Counted>
  }
  /** Successful object reads (GET/HEAD, 2xx/304) per key: the popular keys, for cache warming. */
  readonly topKeys: ReadonlyArray<Counted>
  readonly topKeysByBytes: ReadonlyArray<Counted>
  readonly bytesSent: number
  readonly latency: { readonly totalTimeMs: Percentiles; readonly turnAroundTimeMs: Percentiles }
  /** Requests per UTC hour (ISO hour), with their 4xx and 5xx. */
  readonly byHour: ReadonlyArray<{
    readonly hour: string
    readonly requests: number
    readonly "4xx": number
    readonly "5xx": number
  }>
  /** True when a table met `maxTrackedKeys` names: its rows are then a lower bound. */
  readonly truncated: boolean
}

const classOf = (status: number): StatusClass =>
  status >= 200 && status < 300
    ? "2xx"
    : status >= 300 && status < 400
      ? "3xx"
      : status >= 400 && status < 500
        ? "4xx"
        : status >= 500 && status < 600
          ? "5xx"
          : "other"

const zeroClasses = (): Record<StatusClass, number> => ({ "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, other: 0 })

const HOUR_MS = 3_600_000

/** Folds lines into a report. Feed it with `file(name)` then `push(chunk)`…, `endFile()`; read `report()`. */
export class LogAnalyzer {
  private readonly offsets = new Int32Array(2 * MAX_FIELDS)
  private readonly operationNames = new Interner()
  private readonly since: number
  private readonly until: number
  private readonly top: number
  private readonly samplesWanted: number
  private readonly splitter = new LineSplitter((bytes, start, end) => this.line(bytes, start, end))
  private source = ""
  private lineInFile = 0

  private sources = 0
  private lines = 0
  private blank = 0
  private records = 0
  private outside = 0
  private first = Number.POSITIVE_INFINITY
  private last = Number.NEGATIVE_INFINITY
  private malformed = 0
  private readonly malformedByReason: Partial<Record<MalformedReason, number>> = {}
  private readonly samples: Array<LogReport["malformed"]["samples"][number]> = []
  private readonly classes = zeroClasses()
  private readonly operations = new Map<string, Record<StatusClass, number>>()
  private readonly statuses = new Map<number, number>()
  private readonly errorCodes: BoundedTally
  private forbidden = 0
  private readonly forbiddenRequesters: BoundedTally
  private readonly forbiddenIps: BoundedTally
  private readonly forbiddenOperations: BoundedTally
  private failedDeletes = 0
  private readonly failedDeleteKeys: BoundedTally
  private readonly failedDeleteCodes: BoundedTally
  private readonly keys: BoundedTally
  private bytesSent = 0
  private readonly totalTime = new MillisHistogram()
  private readonly turnAround = new MillisHistogram()
  private readonly hours = new Map<number, { requests: number; "4xx": number; "5xx": number }>()

  constructor(options: AnalysisOptions = {}) {
    this.since = options.since ?? Number.NEGATIVE_INFINITY
    this.until = options.until ?? Number.POSITIVE_INFINITY
    this.top = options.top ?? 20
    this.samplesWanted = options.malformedSamples ?? 10
    const cap = options.maxTrackedKeys ?? 100_000
    this.errorCodes = new BoundedTally(cap)
    this.forbiddenRequesters = new BoundedTally(cap)
    this.forbiddenIps = new BoundedTally(cap)
    this.forbiddenOperations = new BoundedTally(cap)
    this.failedDeleteKeys = new BoundedTally(cap)
    this.failedDeleteCodes = new BoundedTally(cap)
    this.keys = new BoundedTally(cap)
  }

  file(name: string): void {
    this.source = name
    this.lineInFile = 0
    this.sources++
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk)
  }

  endFile(): void {
    this.splitter.end()
  }

  private text(bytes: Buffer, field: number): string {
    return bytes.toString("latin1", this.offsets[2 * field]!, this.offsets[2 * field + 1]!)
  }

  /** Log times repeat (many requests a second): the last one parsed is reused. */
  private readonly lastTime = Buffer.alloc(26)
  private lastTimeMs = Number.NaN

  private time(bytes: Buffer, start: number, end: number): number {
    if (end - start === 26 && sameBytes(this.lastTime, bytes, start, 26)) return this.lastTimeMs
    const ms = parseLogTime(bytes, start, end)
    if (end - start === 26) {
      bytes.copy(this.lastTime, 0, start, end)
      this.lastTimeMs = ms
    }
    return ms
  }

  private line(bytes: Buffer, start: number, end: number): undefined {
    this.lineInFile++
    this.lines++
    if (end === start) {
      this.blank++
      return
    }
    const offsets = this.offsets
    const fieldCount = scanFields(bytes, start, end, offsets, MIN_FIELDS)
    if (typeof fieldCount === "string") return this.bad(bytes, start, end, fieldCount)
    if (fieldCount < MIN_FIELDS) return this.bad(bytes, start, end, "too few fields")
    const time = this.time(bytes, offsets[2 * F.time]!, offsets[2 * F.time + 1]!)
    if (Number.isNaN(time)) return this.bad(bytes, start, end, "bad time")
    const status = parseCount(bytes, offsets[2 * F.httpStatus]!, offsets[2 * F.httpStatus + 1]!, -1)
    if (Number.isNaN(status) || (status !== -1 && (status < 100 || status > 599)))
      return this.bad(bytes, start, end, "bad status")
    const sent = parseCount(bytes, offsets[2 * F.bytesSent]!, offsets[2 * F.bytesSent + 1]!, 0)
    const size = parseCount(bytes, offsets[2 * F.objectSize]!, offsets[2 * F.objectSize + 1]!, 0)
    const total = parseCount(bytes, offsets[2 * F.totalTimeMs]!, offsets[2 * F.totalTimeMs + 1]!, -1)
    const turn = parseCount(bytes, offsets[2 * F.turnAroundTimeMs]!, offsets[2 * F.turnAroundTimeMs + 1]!, -1)
    if (Number.isNaN(sent + size + total + turn)) return this.bad(bytes, start, end, "bad number")
    if (time < this.since || time >= this.until) {
      this.outside++
      return
    }
    this.records++
    if (time < this.first) this.first = time
    if (time > this.last) this.last = time

    const statusClass = status === -1 ? "other" : classOf(status)
    this.classes[statusClass]++
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1)
    const operation = this.operationNames.get(bytes, offsets[2 * F.operation]!, offsets[2 * F.operation + 1]!)
    let perOperation = this.operations.get(operation)
    if (perOperation === undefined) {
      perOperation = zeroClasses()
      this.operations.set(operation, perOperation)
    }
    perOperation[statusClass]++

    const hourStart = Math.floor(time / HOUR_MS) * HOUR_MS
    let hour = this.hours.get(hourStart)
    if (hour === undefined) {
      hour = { requests: 0, "4xx": 0, "5xx": 0 }
      this.hours.set(hourStart, hour)
    }
    hour.requests++

    this.bytesSent += sent
    if (total >= 0) this.totalTime.add(total)
    if (turn >= 0) this.turnAround.add(turn)

    if (statusClass === "4xx" || statusClass === "5xx") {
      hour[statusClass]++
      this.errorCodes.add(this.text(bytes, F.errorCode))
      if (status === 403) {
        this.forbidden++
        this.forbiddenRequesters.add(this.text(bytes, F.requester))
        this.forbiddenIps.add(this.text(bytes, F.remoteIp))
        this.forbiddenOperations.add(operation)
      }
      if (operation.includes(".DELETE.")) {
        this.failedDeletes++
        this.failedDeleteKeys.add(decodeKey(this.text(bytes, F.key)))
        this.failedDeleteCodes.add(this.text(bytes, F.errorCode))
      }
    } else if (
      (statusClass === "2xx" || status === 304) &&
      (operation === "REST.GET.OBJECT" || operation === "REST.HEAD.OBJECT" || operation === "WEBSITE.GET.OBJECT")
    ) {
      this.keys.add(decodeKey(bytes.toString("utf8", offsets[2 * F.key]!, offsets[2 * F.key + 1]!)), sent)
    }
  }

  private bad(bytes: Buffer, start: number, end: number, reason: MalformedReason): undefined {
    this.malformed++
    this.malformedByReason[reason] = (this.malformedByReason[reason] ?? 0) + 1
    if (this.samples.length < this.samplesWanted)
      this.samples.push({
        source: this.source,
        line: this.lineInFile,
        reason,
        text: bytes.toString("utf8", start, Math.min(end, start + 500))
      })
  }

  report(): LogReport {
    const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null)
    const counted = (tally: BoundedTally, by: "count" | "bytes" = "count") =>
      tally.top(this.top, by).map(({ name, count, bytes }) => ({ name: name === "-" ? "(none)" : name, count, bytes }))
    const rate = (n: number) => (this.records === 0 ? 0 : Math.round((n / this.records) * 1e6) / 1e4)
    const tallies = [
      this.errorCodes,
      this.forbiddenRequesters,
      this.forbiddenIps,
      this.forbiddenOperations,
      this.failedDeleteKeys,
      this.failedDeleteCodes,
      this.keys
    ]
    return {
      window: { since: iso(this.since), until: iso(this.until) },
      sources: this.sources,
      lines: this.lines,
      blankLines: this.blank,
      records: this.records,
      outsideWindow: this.outside,
      firstTime: iso(this.first),
      lastTime: iso(this.last),
      malformed: { count: this.malformed, byReason: { ...this.malformedByReason }, samples: [...this.samples] },
      byStatusClass: { ...this.classes },
      errorRates: { "4xx": rate(this.classes["4xx"]), "5xx": rate(this.classes["5xx"]) },
      byOperation: [...this.operations]
        .map(([operation, classes]) => ({
          operation,
          requests: CLASSES.reduce((sum, c) => sum + classes[c], 0),
          ...classes
        }))
        .sort((a, b) => b.requests - a.requests || (a.operation < b.operation ? -1 : 1)),
      byStatus: [...this.statuses]
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => ({ status: status === -1 ? "-" : String(status), count })),
      byErrorCode: counted(this.errorCodes),
      forbidden: {
        count: this.forbidden,
        byRequester: counted(this.forbiddenRequesters),
        byIp: counted(this.forbiddenIps),
        byOperation: counted(this.forbiddenOperations)
      },
      failedDeletes: {
        count: this.failedDeletes,
        byKey: counted(this.failedDeleteKeys),
        byErrorCode: counted(this.failedDeleteCodes)
      },
      topKeys: counted(this.keys),
      topKeysByBytes: counted(this.keys, "bytes"),
      bytesSent: this.bytesSent,
      latency: { totalTimeMs: this.totalTime.summary(), turnAroundTimeMs: this.turnAround.summary() },
      byHour: [...this.hours]
        .sort(([a], [b]) => a - b)
        .map(([hour, counts]) => ({ hour: new Date(hour).toISOString(), ...counts })),
      truncated: tallies.some((tally) => tally.truncated)
    }
  }
}

/** Runs files through an analyzer, one after another. */
export const analyzeFiles = <E, R>(
  files: Stream.Stream<LogFile<E>, E, R>,
  options: AnalysisOptions = {}
): Effect.Effect<LogReport, E | AccessLogSourceError, R> =>
  Effect.suspend(() => {
    const analyzer = new LogAnalyzer(options)
    return files.pipe(
      Stream.runForEach((file) =>
        Effect.suspend(() => {
          analyzer.file(file.name)
          return file.bytes.pipe(
            Stream.runForEach((chunk) => Effect.sync(() => analyzer.push(chunk))),
            Effect.andThen(Effect.sync(() => analyzer.endFile()))
          )
        })
      ),
      Effect.map(() => analyzer.report())
    )
  })

/** Analyzes a local file, or every file below a local directory (gzipped or not). */
export const analyzePath = (
  path: string,
  options: AnalysisOptions = {}
): Effect.Effect<LogReport, AccessLogSourceError> =>
  Effect.flatMap(localFiles(path), (files) => analyzeFiles(Stream.fromIterable(files), options))

/**
 * Analyzes the logs under a store prefix. With `since` and `until`, only the window's day
 * prefixes are read (`AccessLog.dayPrefixes`); without them, every object below the prefix.
 */
export const analyzeStore = (
  store: ObjectStore["Service"],
  prefix: string,
  options: AnalysisOptions = {}
): Effect.Effect<LogReport, AccessLogSourceError | StoreError | InvalidKey> =>
  analyzeFiles(
    storeFiles(
      store,
      prefix,
      options.since !== undefined && options.until !== undefined
        ? { since: options.since, until: options.until }
        : undefined
    ),
    options
  )
