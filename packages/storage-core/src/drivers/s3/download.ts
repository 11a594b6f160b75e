/**
 * `get` for the s3 driver. A whole-object read asks for its first part with a ranged GET;
 * when the object is larger than one part, the other parts are fetched concurrently with
 * ranged GETs pinned to the first answer's ETag (If-Match, so a concurrent overwrite fails the
 * read instead of mixing two versions) and emitted in order. At most `concurrency` parts are
 * held. A requested range is one GET.
 */
import type { GetObjectCommandInput, GetObjectCommandOutput } from "@aws-sdk/client-s3"
import { Cause, Effect, type Pull, Stream } from "effect"
import {
  NotModified,
  type ObjectNotFound,
  type RangeNotSatisfiable,
  type StoreError,
  TransportError
} from "../../Errors.js"
import type { GetOptions, GetResult } from "../../ObjectStore.js"
import type { Send } from "./client.js"
import { asGetError, asStoreError, rangeNotSatisfiable, type S3Failure } from "./errors.js"
import { objectInfo, parseContentRange, quote, unquote } from "./objects.js"
import { GetObjectCommand } from "./sdk.js"
import { headObject } from "./upload.js"
import { stallOf } from "./watchdog.js"

export interface DownloadSettings {
  readonly send: Send
  readonly bucket: string
  readonly partSize: number
  readonly concurrency: number
}

type GetError = ObjectNotFound | NotModified | RangeNotSatisfiable | StoreError

const broken = (key: string, cause: unknown) => {
  const stall = stallOf(cause)
  return new TransportError({
    operation: "GetObject",
    detail: `the download of "${key}" ${stall === undefined ? "broke" : "stalled"}: ${cause instanceof Error ? cause.message : String(cause)}`,
    ...(stall === undefined
      ? {}
      : { endpoint: stall.endpoint, unreachable: true, stalled: stall.phase, stalledForMs: stall.afterMs }),
    cause
  })
}

/** What the SDK returns as a body on Node: an http.IncomingMessage. */
interface Body {
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown
  on(event: "end" | "close", listener: () => void): unknown
  on(event: "error", listener: (error: unknown) => void): unknown
  pause(): unknown
  resume(): unknown
  destroy(): unknown
  readonly readableEnded?: boolean
}

/** Bytes a body may buffer before its socket is paused until the consumer pulls. */
export const BODY_HIGH_WATER = 1024 * 1024

/**
 * A response body as a stream. It reads in flowing mode: chunks are taken as the socket
 * delivers them (an async iterator over a 16 KiB-high-water IncomingMessage would pause and
 * resume the socket constantly and concatenate chunks), the socket is paused past
 * BODY_HIGH_WATER, and each pull hands over everything buffered. The connection is released
 * however the stream ends.
 */
const bodyStream = (key: string, body: unknown): Stream.Stream<Uint8Array, TransportError> => {
  if (body === undefined || body === null) return Stream.empty
  const readable = body as Body
  return Stream.fromPull(
    Effect.sync(() => {
      let chunks: Array<Uint8Array> = []
      let buffered = 0
      let ended = false
      let failure: { readonly cause: unknown } | undefined
      let wake: (() => void) | undefined
      readable.on("data", (chunk) => {
        chunks.push(chunk)
        buffered += chunk.length
        if (buffered >= BODY_HIGH_WATER) readable.pause()
        wake?.()
      })
      readable.on("end", () => {
        ended = true
        wake?.()
      })
      readable.on("error", (cause) => {
        failure = { cause }
        wake?.()
      })
      readable.on("close", () => {
        if (!ended && failure === undefined) failure = { cause: new Error("the connection closed early") }
        wake?.()
      })
      const pull: Pull.Pull<readonly [Uint8Array, ...Array<Uint8Array>], TransportError> = Effect.suspend(() => {
        const [first, ...rest] = chunks
        if (first !== undefined) {
          chunks = []
          buffered = 0
          readable.resume()
          return Effect.succeed([first, ...rest] as const)
        }
        if (failure !== undefined) return Effect.fail(broken(key, failure.cause))
        if (ended) return Cause.done()
        return Effect.callback<readonly [Uint8Array, ...Array<Uint8Array>], TransportError | Cause.Done>((resume) => {
          wake = () => {
            wake = undefined
            resume(pull)
          }
          return Effect.sync(() => {
            wake = undefined
          })
        })
      })
      return pull
    })
  ).pipe(Stream.ensuring(Effect.sync(() => readable.destroy())))
}

/** A whole response body, as the chunks it arrived in (no copy), checked against the announced length. */
const readAll = (
  key: string,
  body: unknown,
  length: number
): Effect.Effect<readonly [Uint8Array, ...Array<Uint8Array>], TransportError> =>
  Effect.callback<readonly [Uint8Array, ...Array<Uint8Array>], TransportError>((resume) => {
    const readable = body as Body
    const chunks: Array<Uint8Array> = []
    let received = 0
    let done = false
    const finish = (error?: unknown) => {
      if (done) return
      done = true
      const [first, ...rest] = chunks
      if (error !== undefined) resume(Effect.fail(broken(key, error)))
      else if (received !== length || first === undefined)
        resume(Effect.fail(broken(key, new Error(`${received} bytes of the ${length} announced`))))
      else resume(Effect.succeed([first, ...rest] as const))
    }
    readable.on("data", (chunk) => {
      received += chunk.length
      chunks.push(chunk)
    })
    readable.on("end", () => finish())
    readable.on("error", (error) => finish(error))
    readable.on("close", () => finish(received === length ? undefined : new Error("the connection closed early")))
    return Effect.sync(() => {
      done = true
      readable.destroy()
    })
  })

const withProgress = <E>(
  key: string,
  stream: Stream.Stream<Uint8Array, E>,
  total: number,
  options: GetOptions
): Stream.Stream<Uint8Array, E> => {
  const onProgress = options.onProgress
  if (onProgress === undefined) return stream
  let loaded = 0
  return Stream.map(stream, (chunk) => {
    loaded += chunk.length
    onProgress({ key, loaded, total })
    return chunk
  })
}

export const get = (
  settings: DownloadSettings,
  key: string,
  options: GetOptions
): Effect.Effect<GetResult, GetError> => {
  const { send, bucket, partSize } = settings
  const request = (input: Omit<GetObjectCommandInput, "Bucket" | "Key">) =>
    send("GetObject", (client, abortSignal) =>
      client.send(new GetObjectCommand({ ...input, Bucket: bucket, Key: key }), { abortSignal })
    )
  // If-None-Match compares weakly: W/"abc" is sent as "abc", which S3 engines compare.
  const ifNoneMatch = options.ifNoneMatch === undefined ? undefined : unquote(options.ifNoneMatch.trim())
  if (ifNoneMatch === "*") {
    // "*" matches any object: the answer is NotModified or ObjectNotFound, never a body (RGW would send one).
    return Effect.flatMap(headObject(send, bucket, key), (info) =>
      Effect.fail(new NotModified({ key, etag: info.etag }))
    )
  }
  const conditions = {
    ...(ifNoneMatch === undefined ? {} : { IfNoneMatch: quote(ifNoneMatch) }),
    ...(options.ifModifiedSince === undefined ? {} : { IfModifiedSince: options.ifModifiedSince })
  }
  const getError = (failure: S3Failure) => asGetError(bucket, key, ifNoneMatch)(failure)
  /** 416: the range starts past the end; the error carries the object's size. */
  const outsideRange = Effect.flatMap(headObject(send, bucket, key), (info) =>
    Effect.fail(rangeNotSatisfiable(key, info.size))
  )

  const range = options.range
  if (range !== undefined) {
    return Effect.gen(function* () {
      const bad =
        !Number.isSafeInteger(range.start) ||
        range.start < 0 ||
        (range.end !== undefined && (!Number.isSafeInteger(range.end) || range.end < range.start))
      // S3 ignores a malformed Range and sends everything: refuse it here instead.
      if (bad) return yield* outsideRange
      const out = yield* request({ Range: `bytes=${range.start}-${range.end ?? ""}`, ...conditions }).pipe(
        Effect.catchIf(
          (failure: S3Failure) => failure.kind === "InvalidRange",
          () => outsideRange
        ),
        Effect.mapError((error) => (error._tag === "S3Failure" ? getError(error) : error))
      )
      const served = parseContentRange(out.ContentRange)
      const info = objectInfo(key, out, served?.size ?? out.ContentLength ?? 0)
      const length = served === undefined ? info.size : served.end - served.start + 1
      return {
        info,
        body: withProgress(key, bodyStream(key, out.Body), length, options),
        range: served ?? { start: 0, end: Math.max(0, info.size - 1), size: info.size }
      } satisfies GetResult
    })
  }

  return Effect.gen(function* () {
    // The first part; an empty object has no byte 0, so it answers 416 and is read whole.
    const first: GetObjectCommandOutput = yield* request({ Range: `bytes=0-${partSize - 1}`, ...conditions }).pipe(
      Effect.catchIf(
        (failure: S3Failure) => failure.kind === "InvalidRange",
        () => request(conditions)
      ),
      Effect.mapError(getError)
    )
    const served = parseContentRange(first.ContentRange)
    const size = served?.size ?? first.ContentLength ?? 0
    const info = objectInfo(key, first, size)
    if (served === undefined || served.end + 1 >= size) {
      return { info, body: withProgress(key, bodyStream(key, first.Body), size, options), range: undefined }
    }
    const etag = unquote(first.ETag)
    const parts = Math.ceil(size / partSize)
    const part = (index: number): Effect.Effect<readonly [Uint8Array, ...Array<Uint8Array>], StoreError> => {
      if (index === 0) return readAll(key, first.Body, served.end + 1)
      const start = index * partSize
      const end = Math.min(size, start + partSize) - 1
      return request({ Range: `bytes=${start}-${end}`, IfMatch: etag }).pipe(
        Effect.mapError((failure) =>
          failure.kind === "PreconditionFailed" || failure.kind === "NotFound"
            ? broken(key, new Error("the object was replaced or deleted during the download"))
            : asStoreError(bucket, key)(failure)
        ),
        Effect.flatMap((out) => readAll(key, out.Body, end - start + 1))
      )
    }
    const body = Stream.range(0, parts - 1).pipe(
      Stream.mapEffect(part, { concurrency: settings.concurrency }),
      Stream.flattenArray,
      Stream.ensuring(Effect.sync(() => (first.Body as Body | undefined)?.destroy()))
    )
    return { info, body: withProgress(key, body, size, options), range: undefined }
  })
}
