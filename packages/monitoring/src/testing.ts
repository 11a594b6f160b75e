/**
 * Fixtures for tests and benchmarks: S3 server access log lines, one at a time or as a seeded
 * generated log with the awkward cases real logs have (`-` request URIs, HTTP/2 and HTTP/1.0,
 * quotes in user agents, keys with spaces and non-ASCII characters, 403s, failed deletes).
 */

export interface LogLineFields {
  readonly bucketOwner?: string
  readonly bucket?: string
  /** Epoch ms, written as `[dd/Mon/yyyy:HH:MM:SS +0000]`. */
  readonly time: number
  readonly remoteIp?: string
  readonly requester?: string
  readonly requestId?: string
  readonly operation: string
  /** As logged (URL-encoded), or "-". */
  readonly key?: string
  /** The quoted request line, without its quotes, or "-". */
  readonly requestUri?: string
  readonly status: number | "-"
  readonly errorCode?: string
  readonly bytesSent?: number | "-"
  readonly objectSize?: number | "-"
  readonly totalTimeMs?: number | "-"
  readonly turnAroundTimeMs?: number | "-"
  readonly referer?: string
  readonly userAgent?: string
  /** Fields after the user agent (version id … source region); default: the 27-field format. */
  readonly tail?: ReadonlyArray<string>
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
const pad = (n: number) => String(n).padStart(2, "0")

export const formatLogTime = (ms: number): string => {
  const d = new Date(ms)
  return `[${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes()
  )}:${pad(d.getUTCSeconds())} +0000]`
}

const OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
const DEFAULT_TAIL = [
  "-",
  "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=",
  "SigV4",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "AuthHeader",
  "localex-storage.s3.us-east-1.amazonaws.com",
  "TLSv1.2",
  "-",
  "-",
  "us-east-1"
]

const quote = (value: string) => (value === "-" ? `"-"` : `"${value.replace(/"/g, '\\"')}"`)

/** One log line (no newline). */
export const logLine = (f: LogLineFields): string =>
  [
    f.bucketOwner ?? OWNER,
    f.bucket ?? "localex-storage",
    formatLogTime(f.time),
    f.remoteIp ?? "192.0.2.3",
    f.requester ?? OWNER,
    f.requestId ?? "3E57427F3EXAMPLE",
    f.operation,
    f.key ?? "-",
    f.requestUri === "-" ? "-" : quote(f.requestUri ?? `GET /localex-storage/${f.key ?? ""} HTTP/1.1`),
    String(f.status),
    f.errorCode ?? "-",
    String(f.bytesSent ?? "-"),
    String(f.objectSize ?? "-"),
    String(f.totalTimeMs ?? "-"),
    String(f.turnAroundTimeMs ?? "-"),
    quote(f.referer ?? "-"),
    quote(f.userAgent ?? "aws-sdk-js/3.0 ua/2.1 os/linux lang/js"),
    ...(f.tail ?? DEFAULT_TAIL)
  ].join(" ")

/** A small seeded PRNG (mulberry32), so generated logs are the same on every run. */
export const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const OPERATIONS = [
  ["REST.GET.OBJECT", "GET", 60],
  ["REST.PUT.OBJECT", "PUT", 15],
  ["REST.HEAD.OBJECT", "HEAD", 10],
  ["REST.DELETE.OBJECT", "DELETE", 5],
  ["REST.GET.BUCKET", "GET", 5],
  ["BATCH.DELETE.OBJECT", "POST", 5]
] as const

/**
 * A generated log line (with its status and operation, for checking counts): mostly the shape
 * of LocalEx's traffic, with the cases a naive field split or grep gets wrong mixed in.
 */
export const generatedLine = (
  random: () => number,
  time: number
): { readonly line: string; readonly status: number; readonly operation: string } => {
  let pick = random() * 100
  let chosen: (typeof OPERATIONS)[number] = OPERATIONS[0]
  for (const op of OPERATIONS) {
    pick -= op[2]
    if (pick < 0) {
      chosen = op
      break
    }
  }
  const [operation, method] = chosen
  const r = random()
  const status =
    r < 0.85
      ? method === "PUT"
        ? 200
        : method === "DELETE"
          ? 204
          : 200
      : r < 0.9
        ? 304
        : r < 0.94
          ? 404
          : r < 0.97
            ? 403
            : r < 0.99
              ? 500
              : 503
  const errorCode =
    status === 404
      ? "NoSuchKey"
      : status === 403
        ? "AccessDenied"
        : status === 500
          ? "InternalError"
          : status === 503
            ? "SlowDown"
            : "-"
  const item = Math.floor(random() ** 3 * 5000)
  const rawKey = random() < 0.05 ? `items/${item}/caf%C3%A9%20photo%202.jpg` : `items/${item}/photo-${item % 7}.jpg`
  const protocol = random() < 0.1 ? "HTTP/2.0" : random() < 0.02 ? "HTTP/1.0" : "HTTP/1.1"
  // Some records carry "-" as the request line (a request S3 could not read fully): one field, not three.
  const requestUri = random() < 0.03 ? "-" : `${method} /localex-storage/${rawKey} ${protocol}`
  const size = 20_000 + Math.floor(random() * 400_000)
  const line = logLine({
    time,
    remoteIp: `198.51.100.${Math.floor(random() * 40)}`,
    requester: random() < 0.3 ? "-" : `arn:aws:iam::123456789012:user/app-${Math.floor(random() * 5)}`,
    requestId: Math.floor(random() * 2 ** 48)
      .toString(16)
      .toUpperCase(),
    operation,
    key: operation === "REST.GET.BUCKET" ? "-" : rawKey,
    requestUri,
    status,
    errorCode,
    bytesSent: method === "GET" && status === 200 ? size : status >= 400 ? 243 : "-",
    objectSize: method === "PUT" || method === "GET" ? size : "-",
    totalTimeMs: Math.floor(random() ** 2 * 400) + 1,
    turnAroundTimeMs: Math.floor(random() * 30),
    referer: random() < 0.1 ? 'https://localex.example/items?q="bike"' : "-",
    userAgent: random() < 0.2 ? 'Mozilla/5.0 (X11; Linux x86_64) "quoted" ua' : "aws-sdk-js/3.1 ua/2.1 os/linux lang/js"
  })
  return { line, status, operation }
}

/** When the sample corpus starts. */
export const SAMPLE_T0 = Date.UTC(2026, 11, 1, 10, 0, 0)
const min = (n: number) => SAMPLE_T0 + n * 60_000

/**
 * A small log whose every number is known by hand (the tests assert them): 12 records, 2 malformed
 * lines, 1 blank line; 4xx on HTTP/2 and on a "-" request line, 403s, failed deletes, a 400 s request.
 */
export const sampleCorpus = (): Array<string> => [
  logLine({
    time: min(0),
    operation: "REST.GET.OBJECT",
    key: "items/1/a.jpg",
    status: 200,
    bytesSent: 1000,
    totalTimeMs: 10,
    turnAroundTimeMs: 2
  }),
  logLine({
    time: min(1),
    operation: "REST.GET.OBJECT",
    key: "items/1/a.jpg",
    status: 200,
    bytesSent: 1000,
    totalTimeMs: 20,
    turnAroundTimeMs: 3
  }),
  logLine({ time: min(2), operation: "REST.GET.OBJECT", key: "items/1/a.jpg", status: 304, totalTimeMs: 30 }),
  logLine({
    time: min(3),
    operation: "REST.GET.OBJECT",
    key: "items/2/b%20c.jpg",
    status: 200,
    bytesSent: 5000,
    totalTimeMs: 40
  }),
  logLine({ time: min(4), operation: "REST.HEAD.OBJECT", key: "items/2/b%20c.jpg", status: 200, totalTimeMs: 50 }),
  // A 404 on HTTP/2: the guide's grep for `HTTP/1.1" 4` misses it.
  logLine({
    time: min(5),
    operation: "REST.GET.OBJECT",
    key: "items/9/gone.jpg",
    requestUri: "GET /localex-storage/items/9/gone.jpg HTTP/2.0",
    status: 404,
    errorCode: "NoSuchKey",
    bytesSent: 243,
    totalTimeMs: 60
  }),
  logLine({
    time: min(6),
    operation: "REST.GET.OBJECT",
    key: "items/3/x.jpg",
    requestUri: "-",
    status: 403,
    errorCode: "AccessDenied",
    remoteIp: "203.0.113.9",
    requester: "-",
    totalTimeMs: 70
  }),
  logLine({
    time: min(7),
    operation: "REST.PUT.OBJECT",
    key: "items/3/x.jpg",
    status: 403,
    errorCode: "AccessDenied",
    remoteIp: "203.0.113.9",
    requester: "arn:aws:iam::1:user/mallory",
    totalTimeMs: 80
  }),
  logLine({
    time: min(8),
    operation: "REST.DELETE.OBJECT",
    key: "items/4/y.jpg",
    status: 403,
    errorCode: "AccessDenied",
    remoteIp: "203.0.113.10",
    requester: "arn:aws:iam::1:user/mallory",
    totalTimeMs: 90
  }),
  logLine({ time: min(9), operation: "REST.DELETE.OBJECT", key: "items/5/z.jpg", status: 204, totalTimeMs: 100 }),
  logLine({
    time: min(70),
    operation: "BATCH.DELETE.OBJECT",
    key: "items/6/w.jpg",
    status: 500,
    errorCode: "InternalError",
    totalTimeMs: 110
  }),
  logLine({
    time: min(71),
    operation: "REST.PUT.OBJECT",
    key: "items/7/v.jpg",
    status: 503,
    errorCode: "SlowDown",
    totalTimeMs: 400_000
  }),
  "this is not an access log line",
  "",
  logLine({ time: min(72), operation: "REST.GET.OBJECT", key: "k", status: 200 }).replace(" 200 ", " 2OO ")
]
