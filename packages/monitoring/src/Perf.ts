/**
 * The operations guide's performance review as a check ("Expected Performance"): against the
 * configured store (and CDN, when one is given) it measures
 *
 * | line       | what                                    | target   |
 * | ---------- | --------------------------------------- | -------- |
 * | upload     | put of a 5 MB object                    | < 2 s    |
 * | download   | get of a 1 MB object, whole body read   | < 500 ms |
 * | thumbnail  | photo variants of a 1600×1200 image     | < 3 s    |
 * | cdn        | a cached CDN response (second fetch)    | < 100 ms |
 * | signed-url | generating a signed GET URL             | < 50 ms  |
 *
 * with a few samples each (p50 and p95; a line passes when its p50 is under the target — the
 * typical request — and the p95 is reported beside it), and removes what it wrote (under
 * `_localex/perf/{run}/`) whatever happens. The image and CDN operations are arguments: this
 * package knows neither sharp nor a CDN; the apps compose them (image-processing's pipeline,
 * an HTTP fetch of the CDN URL).
 */
import { deflateSync } from "node:zlib"
import { Keys, ObjectStore, readBody, writeObject } from "@localex/storage-core"
import { Clock, Effect, Random, Schema, Stream } from "effect"

export type PerfLineId = "upload" | "download" | "thumbnail" | "cdn" | "signed-url"

export interface PerfOperations<E = never> {
  /** Makes the photo variants (the thumbnail among them) of an image, e.g. image-processing's `process`. */
  readonly thumbnail?: (image: Uint8Array) => Effect.Effect<unknown, E>
  /** Fetches a stored key through the CDN, body included; measured on the second fetch (the cached one). */
  readonly cdnFetch?: (key: string) => Effect.Effect<unknown, E>
}

export interface PerfOptions {
  /** Samples per line (default 5). */
  readonly samples?: number
  /** Targets in milliseconds, to override the guide's. */
  readonly targetsMs?: Partial<Record<PerfLineId, number>>
}

export interface PerfLine {
  readonly id: PerfLineId
  readonly title: string
  readonly targetMs: number
  readonly status: "pass" | "fail" | "skip"
  /** Measured milliseconds, in order. */
  readonly samplesMs: ReadonlyArray<number>
  readonly p50Ms: number | null
  readonly p95Ms: number | null
  /** The troubleshooting hint that applies (a failed line), or why it was skipped. */
  readonly hint: string | null
}

export interface PerfResult {
  readonly status: "pass" | "fail"
  readonly location: string
  readonly lines: ReadonlyArray<PerfLine>
}

export const TARGETS_MS: Record<PerfLineId, number> = {
  upload: 2000,
  download: 500,
  thumbnail: 3000,
  cdn: 100,
  "signed-url": 50
}

const TITLES: Record<PerfLineId, string> = {
  upload: "Upload a 5 MB file",
  download: "Download a 1 MB file",
  thumbnail: "Generate a thumbnail",
  cdn: "Cached CDN response",
  "signed-url": "Generate a signed URL"
}

/** The guide's troubleshooting advice for each line. */
export const HINTS: Record<PerfLineId, string> = {
  upload:
    "slow uploads: large files should go multipart (LOCALEX_STORAGE_MULTIPART_THRESHOLD, LOCALEX_STORAGE_PART_SIZE, LOCALEX_STORAGE_CONCURRENCY); far from the bucket's region turn on S3 Transfer Acceleration (LOCALEX_STORAGE_S3_ACCELERATE)",
  download:
    "slow downloads: serve photos through the CDN rather than from the bucket, check the network path to the store's region, and compress images before upload (smaller variants)",
  thumbnail:
    "slow thumbnails: compress and resize large originals (IMAGE_* limits), give the image pipeline more CPU, or process uploads asynchronously",
  cdn: "slow cached CDN responses: the object is not cached — check Cache-Control max-age and the CloudFront cache policy TTLs, avoid needless invalidations, and check the hit ratio",
  "signed-url":
    "slow signed URLs: signing is local work — reuse one client, and cache credentials (a profile or role that resolves on every call is slow)"
}

const MB = 1000 * 1000

/** The `p`th percentile (nearest rank) of `values`. */
export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1] ?? Number.NaN
}

const round = (ms: number) => Math.round(ms * 10) / 10

/** Milliseconds `effect` takes, by the live clock. */
const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeNanos
    yield* effect
    return Number((yield* Clock.currentTimeNanos) - start) / 1e6
  })

const judge = (id: PerfLineId, targetMs: number, samplesMs: ReadonlyArray<number>): PerfLine => {
  const p50 = percentile(samplesMs, 50)
  const status = p50 < targetMs ? "pass" : "fail"
  return {
    id,
    title: TITLES[id],
    targetMs,
    status,
    samplesMs: samplesMs.map(round),
    p50Ms: round(p50),
    p95Ms: round(percentile(samplesMs, 95)),
    hint: status === "fail" ? HINTS[id] : null
  }
}

const skipped = (id: PerfLineId, targetMs: number, why: string): PerfLine => ({
  id,
  title: TITLES[id],
  targetMs,
  status: "skip",
  samplesMs: [],
  p50Ms: null,
  p95Ms: null,
  hint: why
})

/** Incompressible bytes (a photo's bytes are, too): xorshift32 from a seed of the `Random`. */
const noise = (size: number) =>
  Effect.map(Random.nextIntBetween(1, 0x7fffffff), (seed) => {
    const out = new Uint8Array(size)
    let x = seed
    for (let i = 0; i < size; i++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      out[i] = x & 0xff
    }
    return out
  })

// --- a sample photo (PNG), so the check needs no fixture file --------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (bytes: Uint8Array) => {
  let c = 0xffffffff
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
const chunk = (type: string, data: Uint8Array) => {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  out.set(new TextEncoder().encode(type), 4)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}

/** A `width`×`height` RGB PNG with gradients and texture (something like a photo to resize). */
export const samplePng = (width = 1600, height = 1200): Uint8Array => {
  const raw = new Uint8Array((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1)
    for (let x = 0; x < width; x++) {
      const i = row + 1 + x * 3
      raw[i] = (x * 255) / width
      raw[i + 1] = (y * 255) / height
      raw[i + 2] = ((x ^ y) * 7) & 0xff
    }
  }
  const header = new Uint8Array(13)
  const view = new DataView(header.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 1 })),
    chunk("IEND", new Uint8Array())
  ]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

let cachedSample: Uint8Array | undefined
/** The sample photo, made once per process (it takes a moment of CPU). */
const sample = () => {
  cachedSample ??= samplePng()
  return cachedSample
}

/** Runs the performance review; what it stores is removed at the end, even on failure. */
export const check = <E = never>(operations: PerfOperations<E> = {}, options: PerfOptions = {}) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const samples = Math.max(1, options.samples ?? 5)
    const target = (id: PerfLineId) => options.targetsMs?.[id] ?? TARGETS_MS[id]
    const run = (yield* Random.nextIntBetween(0, 0x7fffffff)).toString(36)
    const prefix = `${Keys.RESERVED_PREFIX}perf/${(yield* Clock.currentTimeMillis).toString(36)}-${run}/`
    const written: Array<string> = []
    const put = (key: string, bytes: Uint8Array) =>
      Effect.suspend(() => {
        written.push(key)
        return writeObject(store, key, bytes)
      })
    const repeat = <E2>(measure: (i: number) => Effect.Effect<number, E2>) =>
      Effect.forEach(
        Array.from({ length: samples }, (_, i) => i),
        measure
      )
    const get = (key: string) => Effect.flatMap(readBody(store, key), Stream.runDrain)

    const lines = yield* Effect.gen(function* () {
      const fiveMb = yield* noise(5 * MB)
      const upload = yield* repeat((i) => timed(put(`${prefix}upload-${i}.bin`, fiveMb)))
      const oneMbKey = `${prefix}download.bin`
      yield* put(oneMbKey, yield* noise(1 * MB))
      const download = yield* repeat(() => timed(get(oneMbKey)))
      const signed = yield* repeat(() => timed(store.presign(oneMbKey, { method: "GET", expiresIn: 300 })))

      const thumbnailOp = operations.thumbnail
      const thumbnail =
        thumbnailOp === undefined
          ? skipped("thumbnail", target("thumbnail"), "no image pipeline given")
          : judge(
              "thumbnail",
              target("thumbnail"),
              yield* Effect.flatMap(Effect.sync(sample), (image) => repeat(() => timed(thumbnailOp(image))))
            )
      const cdnFetch = operations.cdnFetch
      const cdn =
        cdnFetch === undefined
          ? skipped("cdn", target("cdn"), "no CDN configured")
          : judge(
              "cdn",
              target("cdn"),
              // The first fetch fills the cache; the samples measure cached responses.
              yield* Effect.andThen(
                cdnFetch(oneMbKey),
                repeat(() => timed(cdnFetch(oneMbKey)))
              )
            )
      return [
        judge("upload", target("upload"), upload),
        judge("download", target("download"), download),
        thumbnail,
        cdn,
        judge("signed-url", target("signed-url"), signed)
      ]
    }).pipe(Effect.ensuring(Effect.ignore(Effect.suspend(() => store.deleteMany(written)))))

    const result: PerfResult = {
      status: lines.some((line) => line.status === "fail") ? "fail" : "pass",
      location: store.location,
      lines
    }
    return result
  }).pipe(Effect.withSpan("Perf.check"))

/** One line per measurement, for people. */
export const formatPerf = (result: PerfResult): Array<string> =>
  result.lines.map((line) =>
    line.status === "skip"
      ? `skip  ${line.title}: ${line.hint}`
      : `${line.status === "pass" ? "pass" : "FAIL"}  ${line.title}: p50 ${line.p50Ms} ms, p95 ${line.p95Ms} ms (target < ${line.targetMs} ms)${line.hint === null ? "" : ` — ${line.hint}`}`
  )

/** Fetching took longer than its deadline or answered with an error status. */
export class CdnFetchFailed extends Schema.TaggedError<CdnFetchFailed>()("CdnFetchFailed", {
  url: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Fetching ${this.url} through the CDN failed: ${this.reason}`
  }
}

/**
 * The CDN operation for `check`: a GET of `<baseUrl>/<key>`, body read, within `timeoutMs`
 * (default 10 s).
 */
export const fetchThroughCdn =
  (baseUrl: string, timeoutMs = 10_000) =>
  (key: string): Effect.Effect<void, CdnFetchFailed> => {
    const url = `${baseUrl.replace(/\/+$/, "")}/${key.split("/").map(encodeURIComponent).join("/")}`
    return Effect.tryPromise({
      try: async (signal) => {
        const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) })
        await response.arrayBuffer()
        if (!response.ok) throw new Error(`HTTP ${response.status}`)
      },
      catch: (error) => new CdnFetchFailed({ url, reason: error instanceof Error ? error.message : String(error) })
    })
  }
