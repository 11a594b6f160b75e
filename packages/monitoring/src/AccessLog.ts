/**
 * S3 server access logs: the record format, a line parser, and the sources a day of logs is
 * read from (local files or directories, plain or gzipped; a store prefix with date-partitioned
 * keys). Everything streams: bytes → lines → fields, one chunk at a time.
 */
import { createReadStream } from "node:fs"
import { open, readdir, stat } from "node:fs/promises"
import { join } from "node:path"
import type { InvalidKey, ObjectStore, StoreError } from "@localex/storage-core"
import { Effect, Schema, Stream } from "effect"
import { gunzip } from "./internal/gunzip.js"
import { isDash, LineSplitter, MAX_FIELDS, parseCount, parseLogTime, scanFields } from "./internal/logScan.js"

/** The fields of a record, in log order (S3 appends new ones at the end; older logs stop early). */
export const FIELDS = [
  "bucketOwner",
  "bucket",
  "time",
  "remoteIp",
  "requester",
  "requestId",
  "operation",
  "key",
  "requestUri",
  "httpStatus",
  "errorCode",
  "bytesSent",
  "objectSize",
  "totalTimeMs",
  "turnAroundTimeMs",
  "referer",
  "userAgent",
  "versionId",
  "hostId",
  "signatureVersion",
  "cipherSuite",
  "authenticationType",
  "hostHeader",
  "tlsVersion",
  "accessPointArn",
  "aclRequired",
  "sourceRegion"
] as const

/** Field positions, for the analysis' fast path. */
export const F = Object.fromEntries(FIELDS.map((name, index) => [name, index])) as {
  readonly [K in (typeof FIELDS)[number]]: number
}

/** Records end at the user agent at the earliest (logs before 2013 had no version id and later fields). */
export const MIN_FIELDS = F.userAgent + 1

/**
 * One request. `-` (S3's "unknown / not applicable") is `null`; `bytesSent` is 0 for `-` (S3
 * writes `-` for zero bytes). `key` is URL-decoded (`rawKey` as logged).
 */
export interface AccessLogRecord {
  readonly bucketOwner: string | null
  readonly bucket: string | null
  /** Epoch milliseconds. */
  readonly time: number
  readonly remoteIp: string | null
  readonly requester: string | null
  readonly requestId: string | null
  readonly operation: string | null
  readonly key: string | null
  readonly rawKey: string | null
  readonly requestUri: string | null
  readonly httpStatus: number | null
  readonly errorCode: string | null
  readonly bytesSent: number
  readonly objectSize: number | null
  readonly totalTimeMs: number | null
  readonly turnAroundTimeMs: number | null
  readonly referer: string | null
  readonly userAgent: string | null
  readonly versionId: string | null
  readonly hostId: string | null
  readonly signatureVersion: string | null
  readonly cipherSuite: string | null
  readonly authenticationType: string | null
  readonly hostHeader: string | null
  readonly tlsVersion: string | null
  readonly accessPointArn: string | null
  readonly aclRequired: string | null
  readonly sourceRegion: string | null
  /** Fields after the known ones (fields S3 adds in the future). */
  readonly extra: ReadonlyArray<string>
}

/** Why a line is not a record. */
export type MalformedReason =
  | "unterminated quote"
  | "unterminated bracket"
  | "too many fields"
  | "too few fields"
  | "bad time"
  | "bad status"
  | "bad number"

export type ParsedLine =
  | { readonly _tag: "Record"; readonly record: AccessLogRecord }
  | { readonly _tag: "Malformed"; readonly reason: MalformedReason }

/**
 * Checks the fields every report needs: enough of them, a time, a status, numbers where numbers
 * go. Returns the failure, or undefined when the line is usable.
 */
export const validateFields = (
  bytes: Uint8Array,
  offsets: Int32Array,
  count: number
): { readonly reason: MalformedReason } | { readonly time: number; readonly status: number } => {
  if (count < MIN_FIELDS) return { reason: "too few fields" }
  const time = parseLogTime(bytes, offsets[2 * F.time]!, offsets[2 * F.time + 1]!)
  if (Number.isNaN(time)) return { reason: "bad time" }
  const status = parseCount(bytes, offsets[2 * F.httpStatus]!, offsets[2 * F.httpStatus + 1]!, -1)
  if (Number.isNaN(status) || (status !== -1 && (status < 100 || status > 599))) return { reason: "bad status" }
  for (const field of [F.bytesSent, F.objectSize, F.totalTimeMs, F.turnAroundTimeMs]) {
    if (Number.isNaN(parseCount(bytes, offsets[2 * field]!, offsets[2 * field + 1]!, 0)))
      return { reason: "bad number" }
  }
  return { time, status }
}

const QUOTED_FIELDS = new Set<number>([F.requestUri, F.referer, F.userAgent])

const text = (bytes: Buffer, offsets: Int32Array, index: number, count: number): string | null => {
  if (index >= count) return null
  const start = offsets[2 * index]!
  const end = offsets[2 * index + 1]!
  if (isDash(bytes, start, end)) return null
  const value = bytes.toString("utf8", start, end)
  return QUOTED_FIELDS.has(index) && value.includes("\\") ? value.replace(/\\(.)/g, "$1") : value
}

const count = (bytes: Buffer, offsets: Int32Array, index: number, dash: number | null): number | null => {
  const start = offsets[2 * index]!
  const end = offsets[2 * index + 1]!
  return isDash(bytes, start, end) ? dash : parseCount(bytes, start, end, 0)
}

/** S3 logs keys URL-encoded; a key that does not decode is kept as logged. */
export const decodeKey = (raw: string): string => {
  if (!raw.includes("%") && !raw.includes("+")) return raw
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/** The whole record of a split line (the analysis reads single fields instead). */
export const decodeRecord = (bytes: Buffer, offsets: Int32Array, fieldCount: number, time: number): AccessLogRecord => {
  const field = (name: (typeof FIELDS)[number]) => text(bytes, offsets, F[name], fieldCount)
  const rawKey = field("key")
  const extra: Array<string> = []
  for (let i = FIELDS.length; i < fieldCount; i++)
    extra.push(bytes.toString("utf8", offsets[2 * i]!, offsets[2 * i + 1]!))
  return {
    bucketOwner: field("bucketOwner"),
    bucket: field("bucket"),
    time,
    remoteIp: field("remoteIp"),
    requester: field("requester"),
    requestId: field("requestId"),
    operation: field("operation"),
    key: rawKey === null ? null : decodeKey(rawKey),
    rawKey,
    requestUri: field("requestUri"),
    httpStatus: count(bytes, offsets, F.httpStatus, null),
    errorCode: field("errorCode"),
    bytesSent: count(bytes, offsets, F.bytesSent, 0) ?? 0,
    objectSize: count(bytes, offsets, F.objectSize, null),
    totalTimeMs: count(bytes, offsets, F.totalTimeMs, null),
    turnAroundTimeMs: count(bytes, offsets, F.turnAroundTimeMs, null),
    referer: field("referer"),
    userAgent: field("userAgent"),
    versionId: field("versionId"),
    hostId: field("hostId"),
    signatureVersion: field("signatureVersion"),
    cipherSuite: field("cipherSuite"),
    authenticationType: field("authenticationType"),
    hostHeader: field("hostHeader"),
    tlsVersion: field("tlsVersion"),
    accessPointArn: field("accessPointArn"),
    aclRequired: field("aclRequired"),
    sourceRegion: field("sourceRegion"),
    extra
  }
}

/** Parses `bytes[start, end)`, one line, with `offsets` as scratch space. */
const parseBytes = (bytes: Buffer, start: number, end: number, offsets: Int32Array): ParsedLine => {
  const line = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)
  const fieldCount = scanFields(line, 0, line.length, offsets)
  if (typeof fieldCount === "string") return { _tag: "Malformed", reason: fieldCount }
  const checked = validateFields(line, offsets, fieldCount)
  if ("reason" in checked) return { _tag: "Malformed", reason: checked.reason }
  return { _tag: "Record", record: decodeRecord(line, offsets, fieldCount, checked.time) }
}

/** Parses one line of a server access log. */
export const parseLine = (line: string): ParsedLine => {
  const bytes = Buffer.from(line, "utf8")
  return parseBytes(bytes, 0, bytes.length, new Int32Array(2 * MAX_FIELDS))
}

/**
 * The lines of a log file, parsed, in order (blank lines skipped), a chunk at a time: for
 * reports that need whole records (the security report) rather than the analysis' few fields.
 */
export const parseLines = <E>(file: LogFile<E>): Stream.Stream<ParsedLine, E | AccessLogSourceError> =>
  Stream.suspend(() => {
    const offsets = new Int32Array(2 * MAX_FIELDS)
    let parsed: Array<ParsedLine> = []
    const splitter = new LineSplitter((bytes, start, end) => {
      if (end > start) parsed.push(parseBytes(bytes, start, end, offsets))
    })
    const drain = () => {
      const out = parsed
      parsed = []
      return out
    }
    return file.bytes.pipe(
      Stream.map((chunk) => {
        splitter.push(chunk)
        return drain()
      }),
      Stream.concat(
        Stream.sync(() => {
          splitter.end()
          return drain()
        })
      ),
      Stream.flattenIterable
    )
  })

// ── sources ────────────────────────────────────────────────────────────────────────────────

/** A log source cannot be read (a missing path, an unreadable file, corrupt gzip). */
export class AccessLogSourceError extends Schema.TaggedError<AccessLogSourceError>()("AccessLogSourceError", {
  source: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Cannot read access logs from "${this.source}": ${this.reason}`
  }
}

/** One file or object of logs: its name (for reports) and its bytes, gunzipped when gzipped. */
export interface LogFile<E = never> {
  readonly name: string
  readonly bytes: Stream.Stream<Buffer, E | AccessLogSourceError>
  /**
   * Set for a local file: a reader that is done with each chunk before the next (the analysis)
   * may read it into reused buffers instead of `bytes`.
   */
  readonly path?: string
}

const asBuffer = (chunk: Uint8Array): Buffer =>
  Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)

const inflate = <E>(
  name: string,
  bytes: Stream.Stream<Uint8Array, E>
): Stream.Stream<Buffer, E | AccessLogSourceError> =>
  gunzip(
    bytes,
    (cause) => new AccessLogSourceError({ source: name, reason: `not a valid gzip file: ${String(cause)}` })
  ).pipe(Stream.map(asBuffer))

/** True when the file starts with the gzip magic bytes. */
const isGzipFile = async (path: string): Promise<boolean> => {
  const handle = await open(path, "r")
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0)
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b
  } finally {
    await handle.close()
  }
}

/** The files at a local path: the file itself, or every file below a directory (sorted by path). */
export const localFiles = (path: string): Effect.Effect<ReadonlyArray<LogFile>, AccessLogSourceError> =>
  Effect.gen(function* () {
    const fail = (cause: unknown) => new AccessLogSourceError({ source: path, reason: String(cause) })
    const info = yield* Effect.tryPromise({ try: () => stat(path), catch: fail })
    const paths = info.isDirectory()
      ? yield* Effect.tryPromise({
          try: async () =>
            (await readdir(path, { recursive: true, withFileTypes: true }))
              .filter((entry) => entry.isFile())
              .map((entry) => join(entry.parentPath, entry.name))
              .sort(),
          catch: fail
        })
      : [path]
    return paths.map((file): LogFile => {
      const failed = (cause: unknown) => new AccessLogSourceError({ source: file, reason: String(cause) })
      const raw = Stream.fromAsyncIterable(
        createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>,
        failed
      )
      return {
        name: file,
        path: file,
        bytes: Stream.unwrap(
          Effect.tryPromise({ try: () => isGzipFile(file), catch: failed }).pipe(
            Effect.map((gzipped) => (gzipped ? inflate(file, raw) : raw))
          )
        )
      }
    })
  })

const DAY_MS = 86_400_000

const pad = (n: number) => String(n).padStart(2, "0")

/**
 * The key prefixes that hold a window's logs under `prefix`: per day, `prefix/YYYY/MM/DD/` (the
 * operations guide's layout, and S3's date-partitioned format ends the same way) and
 * `prefix/YYYY-MM-DD-` (S3's simple format). The day after the window is included: S3 delivers
 * logs up to some hours late and names them by delivery time; records are filtered by their own time.
 */
export const dayPrefixes = (prefix: string, since: number, until: number): ReadonlyArray<string> => {
  const base = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`
  const out: Array<string> = []
  const first = Math.floor(since / DAY_MS) * DAY_MS
  for (let day = first; day < until + DAY_MS; day += DAY_MS) {
    const d = new Date(day)
    const [y, m, dd] = [d.getUTCFullYear(), pad(d.getUTCMonth() + 1), pad(d.getUTCDate())]
    out.push(`${base}${y}/${m}/${dd}/`, `${base}${y}-${m}-${dd}-`)
  }
  return out
}

/**
 * The log objects under a store prefix: every object below it, or — given a window — those
 * under the window's day prefixes (`dayPrefixes`). Listed lazily, read one at a time.
 */
export const storeFiles = (
  store: ObjectStore["Service"],
  prefix: string,
  window?: { readonly since: number; readonly until: number }
): Stream.Stream<LogFile<StoreError | InvalidKey>, StoreError | InvalidKey> => {
  const prefixes = window === undefined ? [prefix] : dayPrefixes(prefix, window.since, window.until)
  return Stream.fromIterable(prefixes).pipe(
    Stream.flatMap((p) => store.list({ prefix: p }), { concurrency: 1 }),
    Stream.filter((entry) => entry._tag === "Object"),
    Stream.map((entry): LogFile<StoreError | InvalidKey> => {
      const body = Stream.unwrap(
        store.get(entry.key).pipe(
          Effect.map((got) => got.body),
          // Deleted between the listing and the read (a log rotated away): nothing to read.
          Effect.catchTag("ObjectNotFound", () => Effect.succeed(Stream.empty)),
          Effect.catchTags({
            NotModified: (e) => Effect.fail(new AccessLogSourceError({ source: entry.key, reason: e.message })),
            RangeNotSatisfiable: (e) => Effect.fail(new AccessLogSourceError({ source: entry.key, reason: e.message }))
          })
        )
      )
      return {
        name: entry.key,
        bytes: entry.key.endsWith(".gz") ? inflate(entry.key, body) : Stream.map(body, asBuffer)
      }
    })
  )
}
