/**
 * `put` for the s3 driver: one PutObject below the multipart threshold, a multipart upload
 * above it. Bytes and files have a known size; a stream is buffered up to the threshold
 * first, so a short stream is still a single PutObject and a long one becomes a multipart
 * upload whose first part already holds what was buffered.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs"
import { readFile } from "node:fs/promises"
import { Effect, Pull, Stream } from "effect"
import * as ContentChecksum from "../../ContentChecksum.js"
import { ObjectTooLarge, PreconditionFailed, type StoreError, TransportError } from "../../Errors.js"
import { DEFAULT_STORAGE_CLASS } from "../../internal/objectRules.js"
import type { ObjectInfo, PutBody, PutOptions } from "../../ObjectStore.js"
import type { Attempt, Send } from "./client.js"
import { asObjectError, asStoreError, asWriteError, type S3Failure } from "./errors.js"
import {
  bytesParts,
  fileParts,
  MAX_OBJECT_SIZE,
  type MultipartTarget,
  type Part,
  partSizeFor,
  runMultipart,
  streamParts,
  uploadParts
} from "./multipart.js"
import { decodeMetadata, objectInfo, unquote, writeHeaders } from "./objects.js"
import type { PutSmall } from "./putObject.js"
import { GetObjectTaggingCommand, HeadObjectCommand, PutObjectTaggingCommand } from "./sdk.js"

export interface UploadSettings {
  readonly send: Send
  /** For the signed requests: `send` without the SDK. */
  readonly attempt: Attempt
  /** Single-part puts go as signed requests over node:http (putObject.ts). */
  readonly putSmall: PutSmall
  readonly bucket: string
  readonly multipartThreshold: number
  readonly partSize: number
  readonly concurrency: number
  readonly checksums: "when_supported" | "when_required"
  /** The abort of a failed multipart upload gets this long. */
  readonly abortDeadlineMs: number
}

type PutError = PreconditionFailed | ObjectTooLarge | StoreError

/** How the caller's condition reads in errors. */
const conditionOf = (options: PutOptions): string | undefined =>
  options.ifNoneMatch !== undefined
    ? `If-None-Match: ${options.ifNoneMatch}`
    : options.ifMatch !== undefined
      ? `If-Match: ${options.ifMatch}`
      : undefined

/**
 * Conditional headers. The If-Match ETag goes unquoted: AWS accepts both forms, and Ceph RGW
 * (and engines built on it) compare the raw header with the stored, unquoted ETag.
 */
const conditionHeaders = (options: PutOptions) => ({
  ...(options.ifNoneMatch === undefined ? {} : { IfNoneMatch: options.ifNoneMatch }),
  ...(options.ifMatch === undefined ? {} : { IfMatch: unquote(options.ifMatch) })
})

export const headObject = (send: Send, bucket: string, key: string) =>
  send("HeadObject", (client, abortSignal) =>
    client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal })
  ).pipe(
    Effect.map((out) => objectInfo(key, out)),
    Effect.mapError(asObjectError(bucket, key))
  )

/**
 * Makes sure a multipart-written object carries `tags`: AWS applies the tags given to
 * CreateMultipartUpload, Ceph RGW (Pacific) drops them, so they are checked and, when missing, set.
 */
export const ensureTags = (
  send: Send,
  bucket: string,
  key: string,
  tags: Readonly<Record<string, string>> | undefined
): Effect.Effect<void, StoreError> => {
  const wanted = Object.entries(tags ?? {})
  if (wanted.length === 0) return Effect.void
  const same = (set: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }>) =>
    set.length === wanted.length &&
    wanted.every(([name, value]) => set.some((tag) => tag.Key === name && tag.Value === value))
  return send("GetObjectTagging", (client, abortSignal) =>
    client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }), { abortSignal })
  ).pipe(
    Effect.flatMap((out) =>
      same(out.TagSet ?? [])
        ? Effect.void
        : send("PutObjectTagging", (client, abortSignal) =>
            client.send(
              new PutObjectTaggingCommand({
                Bucket: bucket,
                Key: key,
                Tagging: { TagSet: wanted.map(([Key, Value]) => ({ Key, Value })) }
              }),
              { abortSignal }
            )
          )
    ),
    Effect.asVoid,
    Effect.mapError(asStoreError(bucket, key))
  )
}

export const put = (
  settings: UploadSettings,
  key: string,
  body: PutBody,
  options: PutOptions
): Effect.Effect<ObjectInfo, PutError> =>
  options.ifMatch !== undefined && unquote(options.ifMatch.trim()) === "*"
    ? // "If-Match: *" is "any existing object", but engines disagree (RGW honours it, others compare
      // "*" literally): pin the write to the ETag of the object that exists now.
      headObject(settings.send, settings.bucket, key).pipe(
        Effect.catchTag("ObjectNotFound", () => Effect.fail(new PreconditionFailed({ key, condition: "If-Match: *" }))),
        Effect.flatMap((current) => putObject(settings, key, body, { ...options, ifMatch: current.etag }))
      )
    : putObject(settings, key, body, options)

const putObject = (
  settings: UploadSettings,
  key: string,
  body: PutBody,
  options: PutOptions
): Effect.Effect<ObjectInfo, PutError> => {
  const { send, bucket } = settings
  const condition = conditionOf(options)
  const writeError = (failure: S3Failure): PreconditionFailed | StoreError =>
    // If-Match on a key that does not exist: S3 answers 404; the condition did not hold.
    failure.kind === "NotFound" && options.ifMatch !== undefined
      ? new PreconditionFailed({ key, condition: condition ?? "If-Match" })
      : asWriteError(bucket, key, condition)(failure)
  const progress = (loaded: number, total: number | undefined) => options.onProgress?.({ key, loaded, total })
  const checkSize = (size: number): Effect.Effect<void, ObjectTooLarge> => {
    const limit = Math.min(options.maxBytes ?? MAX_OBJECT_SIZE, MAX_OBJECT_SIZE)
    return size > limit ? Effect.fail(new ObjectTooLarge({ key, size, limit })) : Effect.void
  }

  const sent = writeHeaders(options)
  const sentWithCondition = { ...sent, ...conditionHeaders(options) }
  // The content checksum is the payload hash too: the body is hashed once (or not at all).
  const sha256 = ContentChecksum.of({ metadata: sent.Metadata ?? {} })
  const putSingle = (bytes: Uint8Array) =>
    // A signed PUT (putObject.ts), not the SDK's command: same door (retries, errors), less CPU.
    settings
      .attempt("PutObject", (abortSignal) =>
        settings.putSmall(key, bytes, sentWithCondition, {
          crc32: settings.checksums === "when_supported",
          sha256,
          abortSignal
        })
      )
      .pipe(
        Effect.mapError(writeError),
        Effect.flatMap((out) => {
          progress(bytes.length, bytes.length)
          // The object is what was sent: no HeadObject needed (it would double the requests of small puts).
          if (out.etag === undefined)
            return headObject(send, bucket, key).pipe(Effect.catchTag("ObjectNotFound", () => transportGone(key)))
          return Effect.succeed<ObjectInfo>({
            key,
            size: bytes.length,
            etag: out.etag,
            lastModified: out.date ?? new Date(Math.floor(Date.now() / 1000) * 1000),
            contentType: sent.ContentType,
            cacheControl: options.cacheControl,
            contentDisposition: options.contentDisposition,
            metadata: decodeMetadata(sent.Metadata),
            storageClass: DEFAULT_STORAGE_CLASS,
            versionId: out.versionId === "null" ? undefined : out.versionId
          })
        })
      )

  /** The current object must satisfy the caller's condition (RGW ignores conditions on complete). */
  const checkCondition: Effect.Effect<void, PreconditionFailed | StoreError> =
    options.ifNoneMatch === undefined && options.ifMatch === undefined
      ? Effect.void
      : headObject(send, bucket, key).pipe(
          Effect.map((info): ObjectInfo | undefined => info),
          Effect.catchTag("ObjectNotFound", () => Effect.succeed(undefined)),
          Effect.flatMap((current) => {
            const holds =
              options.ifNoneMatch !== undefined
                ? current === undefined
                : current !== undefined && current.etag === unquote(options.ifMatch)
            return holds ? Effect.void : Effect.fail(new PreconditionFailed({ key, condition: condition ?? "" }))
          })
        )

  /**
   * The parts, hashed as they go when the put carries a `localex-sha256`: bytes that contradict it
   * fail the stream after its last part, so the upload is aborted and nothing is stored (a single
   * PutObject has the server check it instead).
   */
  const checked = <E>(parts: Stream.Stream<Part, E>): Stream.Stream<Part, E | TransportError> =>
    sha256 === undefined
      ? parts
      : Stream.suspend(() =>
          ContentChecksum.checked(parts, ContentChecksum.putCheck(key, sent.Metadata), (part) => part.bytes)
        )

  const putMultipart = (parts: Stream.Stream<Part, TransportError | ObjectTooLarge>, total: number | undefined) =>
    Effect.gen(function* () {
      yield* checkCondition
      const target: MultipartTarget = {
        send,
        bucket,
        key,
        concurrency: settings.concurrency,
        checksum: settings.checksums === "when_supported" ? "CRC32" : undefined,
        abortDeadlineMs: settings.abortDeadlineMs
      }
      let loaded = 0
      const onPart = (bytes: number) => {
        loaded += bytes
        progress(loaded, total)
      }
      yield* runMultipart(
        target,
        sent,
        uploadParts(target, checked(parts), onPart),
        conditionHeaders(options),
        checkCondition
      ).pipe(Effect.catchTag("S3Failure", (failure) => Effect.fail(writeError(failure))))
      yield* ensureTags(send, bucket, key, options.tags)
      // RGW answers CompleteMultipartUpload with an empty ETag: HeadObject has the real one.
      return yield* headObject(send, bucket, key).pipe(Effect.catchTag("ObjectNotFound", () => transportGone(key)))
    })

  if (body instanceof Uint8Array) {
    return Effect.gen(function* () {
      yield* checkSize(body.length)
      if (body.length < settings.multipartThreshold) return yield* putSingle(body)
      return yield* putMultipart(bytesParts(body, partSizeFor(body.length, settings.partSize)), body.length)
    })
  }

  if ("_tag" in body && body._tag === "File") {
    return Effect.gen(function* () {
      // One synchronous open, fstat and read for a small file (no thread-pool round trip).
      const { size, bytes } = yield* openFile(body.path)
      yield* checkSize(size)
      if (bytes !== undefined) return yield* putSingle(bytes)
      if (size < settings.multipartThreshold) {
        const read = yield* readSmallFile(body.path)
        yield* checkSize(read.length) // the file may have grown since fstat
        return yield* putSingle(read)
      }
      return yield* putMultipart(fileParts(body.path, size, partSizeFor(size, settings.partSize)), size)
    })
  }

  return putStream(body as Stream.Stream<Uint8Array, unknown>)

  function putStream(stream: Stream.Stream<Uint8Array, unknown>) {
    return Effect.scoped(
      Effect.gen(function* () {
        if (options.contentLength !== undefined) yield* checkSize(options.contentLength)
        const pull = yield* Stream.toPull(Stream.mapError(stream, (cause) => bodyFailed(key, cause)))
        // Buffer up to the threshold: a short stream is one PutObject.
        const head: Array<Uint8Array> = []
        let size = 0
        let ended = false
        while (size < settings.multipartThreshold) {
          const chunks = yield* Pull.catchDone(pull, () => Effect.succeed(undefined))
          if (chunks === undefined) {
            ended = true
            break
          }
          for (const chunk of chunks) {
            head.push(chunk)
            size += chunk.length
          }
          if (options.maxBytes !== undefined && size > options.maxBytes) {
            return yield* new ObjectTooLarge({ key, size, limit: options.maxBytes })
          }
        }
        if (ended) return yield* putSingle(head.length === 1 ? head[0]! : Buffer.concat(head, size))
        const rest = Stream.fromArray(head).pipe(Stream.concat(Stream.fromPull(Effect.succeed(pull))))
        const partSize = partSizeFor(options.contentLength, settings.partSize)
        return yield* putMultipart(
          streamParts(rest, partSize, { key, maxBytes: options.maxBytes }),
          options.contentLength
        )
      })
    )
  }
}

const readFailed = (path: string) => (cause: unknown) =>
  new TransportError({ operation: "read file", detail: `could not read ${path}: ${String(cause)}`, cause })

const readSmallFile = (path: string) => Effect.tryPromise({ try: () => readFile(path), catch: readFailed(path) })

/**
 * Files up to this size are read in one synchronous call: microseconds, where the four
 * thread-pool round trips of an asynchronous read cost more client CPU than the PUT itself.
 */
const SYNC_READ_BYTES = 64 * 1024

/** The size of a file and, when it is at most SYNC_READ_BYTES, its bytes (as of the fstat). */
const openFile = (path: string) =>
  Effect.try({
    try: (): { readonly size: number; readonly bytes: Buffer | undefined } => {
      const fd = openSync(path, "r")
      try {
        const { size } = fstatSync(fd)
        if (size > SYNC_READ_BYTES) return { size, bytes: undefined }
        const bytes = Buffer.allocUnsafe(size)
        let read = 0
        while (read < size) {
          const n = readSync(fd, bytes, read, size - read, read)
          if (n === 0) break // shrunk since the fstat
          read += n
        }
        return { size, bytes: read === size ? bytes : bytes.subarray(0, read) }
      } finally {
        closeSync(fd)
      }
    },
    catch: readFailed(path)
  })

const bodyFailed = (key: string, cause: unknown) =>
  new TransportError({
    operation: "put",
    detail: `the body stream of "${key}" failed: ${cause instanceof Error ? cause.message : String(cause)}`,
    cause
  })

/** The object vanished between our write and our read of it (a concurrent delete). */
const transportGone = (key: string) =>
  Effect.fail(
    new TransportError({
      operation: "HeadObject",
      detail: `"${key}" was written but is gone already (deleted concurrently?)`,
      status: 404
    })
  )
