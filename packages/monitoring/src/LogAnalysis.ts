/**
 * Access-log analysis: the operations guide's "review error logs" and security review, over S3
 * server access logs streamed from local files or a store prefix. One pass, flat memory: every
 * table is bounded (`maxTrackedKeys`), latency percentiles come from a fixed histogram.
 */
import type { InvalidKey, ObjectStore, StoreError } from "@localex/storage-core"
import { Effect, Stream } from "effect"
import {
  AccessLogSourceError,
  decodeKey,
  F,
  type LogFile,
  localFiles,
  type MalformedReason,
  MIN_FIELDS,
  storeFiles
} from "./AccessLog.js"
import { ByteMap } from "./internal/byteMap.js"
import { lendChunks } from "./internal/lentChunks.js"
import { LineSplitter, MAX_FIELDS, parseCount, parseLogTime, sameBytes, scanFields } from "./internal/logScan.js"
import { BoundedTally, ByteTally, MillisHistogram, type Percentiles } from "./internal/tally.js"

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

/** Index of a status in CLASSES (-1, S3's `-`, and 1xx are "other"; statuses are checked ≤ 599). */
const classIndex = (status: number): number => (status >= 200 ? ((status / 100) | 0) - 2 : 4)

const HOUR_MS = 3_600_000

const latin1 = (bytes: Buffer, start: number, end: number) => bytes.toString("latin1", start, end)
const keyName = (bytes: Buffer, start: number, end: number) => decodeKey(bytes.toString("utf8", start, end))

/** Requests of one operation by status class (indexed like CLASSES). */
interface OperationTally {
  readonly name: string
  readonly classes: Float64Array
  readonly isDelete: boolean
  readonly isObjectRead: boolean
}

interface HourTally {
  requests: number
  "4xx": number
  "5xx": number
}

/**
 * Folds lines into a report. Feed it with `file(name)` then `push(chunk)`…, `endFile()`; read `report()`.
 *
 * The hot path reads a line's bytes in place: the fields up to the user agent are located
 * (`scanFields`), numbers are parsed from their digits, and names (operations, keys, error
 * codes, …) are counted by their bytes (`ByteMap`, `ByteTally`): a string is made once per
 * distinct name, not once per line, and a line allocates nothing.
 */
export class LogAnalyzer {
  private readonly offsets = new Int32Array(2 * MAX_FIELDS)
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
  private readonly classes = new Float64Array(CLASSES.length)
  private readonly operations = new Map<string, OperationTally>()
  private readonly operationBytes = new ByteMap<OperationTally>(1024)
  /** Requests per status; index 0 counts `-` (no status). */
  private readonly statuses = new Float64Array(600)
  private readonly errorCodes: ByteTally
  private forbidden = 0
  private readonly forbiddenRequesters: ByteTally
  private readonly forbiddenIps: ByteTally
  private readonly forbiddenOperations: BoundedTally
  private failedDeletes = 0
  private readonly failedDeleteKeys: ByteTally
  private readonly failedDeleteCodes: ByteTally
  private readonly keys: ByteTally
  private bytesSent = 0
  private readonly totalTime = new MillisHistogram()
  private readonly turnAround = new MillisHistogram()
  private readonly hours = new Map<number, HourTally>()
  private hourStart = Number.NaN
  private hour: HourTally = { requests: 0, "4xx": 0, "5xx": 0 }

  constructor(options: AnalysisOptions = {}) {
    this.since = options.since ?? Number.NEGATIVE_INFINITY
    this.until = options.until ?? Number.POSITIVE_INFINITY
    this.top = options.top ?? 20
    this.samplesWanted = options.malformedSamples ?? 10
    const cap = options.maxTrackedKeys ?? 100_000
    this.errorCodes = new ByteTally(cap, latin1)
    this.forbiddenRequesters = new ByteTally(cap, latin1)
    this.forbiddenIps = new ByteTally(cap, latin1)
    this.forbiddenOperations = new BoundedTally(cap)
    this.failedDeleteKeys = new ByteTally(cap, keyName)
    this.failedDeleteCodes = new ByteTally(cap, latin1)
    this.keys = new ByteTally(cap, keyName)
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

  private operation(bytes: Buffer, start: number, end: number): OperationTally {
    let tally = this.operationBytes.get(bytes, start, end)
    if (tally === undefined) {
      const name = latin1(bytes, start, end)
      tally = this.operations.get(name)
      if (tally === undefined) {
        tally = {
          name,
          classes: new Float64Array(CLASSES.length),
          isDelete: name.includes(".DELETE."),
          isObjectRead: name === "REST.GET.OBJECT" || name === "REST.HEAD.OBJECT" || name === "WEBSITE.GET.OBJECT"
        }
        this.operations.set(name, tally)
      }
      this.operationBytes.set(bytes, start, end, tally)
    }
    return tally
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

    const statusClass = status === -1 ? 4 : classIndex(status)
    this.classes[statusClass]!++
    this.statuses[status === -1 ? 0 : status]!++
    const operation = this.operation(bytes, offsets[2 * F.operation]!, offsets[2 * F.operation + 1]!)
    operation.classes[statusClass]!++

    const hourStart = Math.floor(time / HOUR_MS) * HOUR_MS
    if (hourStart !== this.hourStart) {
      let hour = this.hours.get(hourStart)
      if (hour === undefined) {
        hour = { requests: 0, "4xx": 0, "5xx": 0 }
        this.hours.set(hourStart, hour)
      }
      this.hourStart = hourStart
      this.hour = hour
    }
    const hour = this.hour
    hour.requests++

    this.bytesSent += sent
    if (total >= 0) this.totalTime.add(total)
    if (turn >= 0) this.turnAround.add(turn)

    if (statusClass === 2 || statusClass === 3) {
      if (statusClass === 2) hour["4xx"]++
      else hour["5xx"]++
      const codeStart = offsets[2 * F.errorCode]!
      const codeEnd = offsets[2 * F.errorCode + 1]!
      this.errorCodes.addBytes(bytes, codeStart, codeEnd)
      if (status === 403) {
        this.forbidden++
        this.forbiddenRequesters.addBytes(bytes, offsets[2 * F.requester]!, offsets[2 * F.requester + 1]!)
        this.forbiddenIps.addBytes(bytes, offsets[2 * F.remoteIp]!, offsets[2 * F.remoteIp + 1]!)
        this.forbiddenOperations.add(operation.name)
      }
      if (operation.isDelete) {
        this.failedDeletes++
        this.failedDeleteKeys.addBytes(bytes, offsets[2 * F.key]!, offsets[2 * F.key + 1]!)
        this.failedDeleteCodes.addBytes(bytes, codeStart, codeEnd)
      }
    } else if ((statusClass === 0 || status === 304) && operation.isObjectRead) {
      this.keys.addBytes(bytes, offsets[2 * F.key]!, offsets[2 * F.key + 1]!, sent)
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
    const byClass = (counts: Float64Array) =>
      Object.fromEntries(CLASSES.map((c, i) => [c, counts[i]!])) as Record<StatusClass, number>
    const classes = byClass(this.classes)
    const tallies = [
      this.errorCodes,
      this.forbiddenRequesters,
      this.forbiddenIps,
      this.forbiddenOperations,
      this.failedDeleteKeys,
      this.failedDeleteCodes,
      this.keys
    ]
    const byStatus: Array<{ status: string; count: number }> = []
    this.statuses.forEach((count, index) => {
      if (count > 0) byStatus.push({ status: index === 0 ? "-" : String(index), count })
    })
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
      byStatusClass: classes,
      errorRates: { "4xx": rate(classes["4xx"]), "5xx": rate(classes["5xx"]) },
      byOperation: [...this.operations.values()]
        .map(({ name, classes }) => ({
          operation: name,
          requests: classes.reduce((sum, n) => sum + n, 0),
          ...byClass(classes)
        }))
        .sort((a, b) => b.requests - a.requests || (a.operation < b.operation ? -1 : 1)),
      byStatus,
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
    const push = (chunk: Buffer) => analyzer.push(chunk)
    const streamed = (file: LogFile<E>) => Stream.runForEach(file.bytes, (chunk) => Effect.sync(() => push(chunk)))
    // A plain local file is read into reused buffers (`lendChunks`); a gzipped one, or an object, streams.
    const read = (file: LogFile<E>) =>
      file.path === undefined
        ? streamed(file)
        : Effect.tryPromise({
            try: () => lendChunks(file.path!, push),
            catch: (cause) => new AccessLogSourceError({ source: file.name, reason: String(cause) })
          }).pipe(Effect.flatMap((lent) => (lent ? Effect.void : streamed(file))))
    return files.pipe(
      Stream.runForEach((file) =>
        Effect.suspend(() => {
          analyzer.file(file.name)
          return read(file).pipe(Effect.andThen(Effect.sync(() => analyzer.endFile())))
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
