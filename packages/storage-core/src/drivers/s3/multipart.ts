/**
 * Multipart uploads and copies, on Effect with explicit part buffers.
 *
 * - Part size: the configured size, raised (in whole MiB) so a known size fits in 10,000 parts.
 * - Parts go up concurrently (at most `concurrency` in flight); a stream is cut into parts as
 *   it arrives, so at most about `concurrency × partSize` bytes are held.
 * - Whatever ends the upload other than a successful CompleteMultipartUpload (a failed part,
 *   a failed body, `maxBytes` exceeded, a refused condition, interruption) aborts it, and the
 *   abort is checked with ListParts: no in-progress upload and no object are left behind.
 * - CreateMultipartUpload is not idempotent: when an attempt's answer is lost (a reset, a
 *   timeout) and it is retried, the engine may have created an upload nobody knows the id of.
 *   After such a retry, the uploads of the same key initiated while the create was being tried
 *   (other than the one in use) are aborted (`abortLostCreates`).
 */
import { createHash } from "node:crypto"
import { open } from "node:fs/promises"
import type { CompletedPart, CreateMultipartUploadRequest } from "@aws-sdk/client-s3"
import { Cause, Effect, Exit, Pull, Stream } from "effect"
import { ObjectTooLarge, TransportError } from "../../Errors.js"
import type { Send } from "./client.js"
import { type S3Failure, withFields } from "./errors.js"
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
  UploadPartCopyCommand
} from "./sdk.js"

export const MiB = 1024 * 1024
export const MAX_PARTS = 10_000
export const MIN_PART_SIZE = 5 * MiB
export const MAX_PART_SIZE = 5 * 1024 * MiB
/** The largest object S3 stores: 5 TiB. */
export const MAX_OBJECT_SIZE = 5 * 1024 * 1024 * MiB
/** The largest source a single CopyObject accepts: 5 GiB. */
export const MAX_COPY_OBJECT_SIZE = 5 * 1024 * MiB

/**
 * The part size for an object of `size` bytes (`undefined` when unknown): the preferred size,
 * raised to a whole number of MiB so that the object fits in 10,000 parts.
 */
export const partSizeFor = (size: number | undefined, preferred: number): number => {
  if (size === undefined) return preferred
  const needed = Math.ceil(Math.ceil(size / MAX_PARTS) / MiB) * MiB
  return Math.min(MAX_PART_SIZE, Math.max(preferred, needed))
}

/** One part to upload: its number (from 1) and its bytes. */
export interface Part {
  readonly partNumber: number
  readonly bytes: Uint8Array
}

/** The parts of bytes already in memory (views, no copy). */
export const bytesParts = (bytes: Uint8Array, partSize: number): Stream.Stream<Part> =>
  Stream.fromIterable({
    *[Symbol.iterator]() {
      for (let offset = 0, partNumber = 1; offset < bytes.length; offset += partSize, partNumber++) {
        yield { partNumber, bytes: bytes.subarray(offset, Math.min(bytes.length, offset + partSize)) }
      }
    }
  })

/** The parts of a file of known size, each read straight into its own buffer. */
export const fileParts = (path: string, size: number, partSize: number): Stream.Stream<Part, TransportError> => {
  const readFailed = (cause: unknown) =>
    new TransportError({ operation: "read file", detail: `could not read ${path}: ${String(cause)}`, cause })
  return Stream.unwrap(
    Effect.map(
      Effect.acquireRelease(Effect.tryPromise({ try: () => open(path, "r"), catch: readFailed }), (handle) =>
        Effect.promise(() => handle.close())
      ),
      (handle) =>
        Stream.range(1, Math.ceil(size / partSize)).pipe(
          Stream.mapEffect((partNumber) =>
            Effect.tryPromise({
              try: async () => {
                const offset = (partNumber - 1) * partSize
                const length = Math.min(partSize, size - offset)
                const buffer = Buffer.allocUnsafe(length)
                let filled = 0
                while (filled < length) {
                  const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled)
                  if (bytesRead === 0) throw new Error(`the file ended at ${offset + filled} bytes, expected ${size}`)
                  filled += bytesRead
                }
                return { partNumber, bytes: buffer } satisfies Part
              },
              catch: readFailed
            })
          )
        )
    )
  )
}

export interface PartLimits {
  readonly key: string
  /** Refuse more bytes than this with ObjectTooLarge. */
  readonly maxBytes?: number | undefined
}

/**
 * Cuts a stream of chunks into parts of `partSize` bytes (the last may be shorter), copying
 * each byte once into its part's buffer. Fails with ObjectTooLarge past `maxBytes`, or before
 * a 10,001st part would be needed (S3's limit: give `contentLength` or a larger part size).
 */
export const streamParts = <E>(
  body: Stream.Stream<Uint8Array, E>,
  partSize: number,
  limits: PartLimits
): Stream.Stream<Part, E | ObjectTooLarge> =>
  Stream.transformPull(body, (pull) =>
    Effect.sync(() => {
      const pending: Array<Uint8Array> = []
      let offset = 0 // into pending[0]
      let ended = false
      let total = 0
      let partNumber = 0
      const tooLarge = (limit: number) => new ObjectTooLarge({ key: limits.key, size: total, limit })

      const fill = Effect.gen(function* () {
        let part: Buffer | undefined
        let filled = 0
        while (filled < partSize) {
          const head = pending[0]
          if (head !== undefined) {
            part ??= Buffer.allocUnsafe(partSize)
            const take = Math.min(head.length - offset, partSize - filled)
            part.set(head.subarray(offset, offset + take), filled)
            filled += take
            offset += take
            if (offset === head.length) {
              pending.shift()
              offset = 0
            }
            continue
          }
          if (ended) break
          const chunks = yield* Pull.catchDone(pull, () => Effect.succeed(undefined))
          if (chunks === undefined) {
            ended = true
            continue
          }
          for (const chunk of chunks) {
            if (chunk.length === 0) continue
            total += chunk.length
            pending.push(chunk)
          }
          if (limits.maxBytes !== undefined && total > limits.maxBytes) return yield* tooLarge(limits.maxBytes)
        }
        if (part === undefined) return yield* Cause.done()
        partNumber++
        if (partNumber > MAX_PARTS) return yield* tooLarge(partSize * MAX_PARTS)
        return [{ partNumber, bytes: filled === partSize ? part : part.subarray(0, filled) }] as const
      })
      return fill
    })
  )

export interface MultipartTarget {
  readonly send: Send
  readonly bucket: string
  readonly key: string
  readonly concurrency: number
  /**
   * With flexible checksums (`when_supported`, AWS) the upload announces CRC32, each part
   * carries its CRC32 and the complete lists them, as AWS requires when parts have checksums.
   */
  readonly checksum?: "CRC32" | undefined
  /** How long the abort of a failed upload may take in all (default ABORT_DEADLINE_MS). */
  readonly abortDeadlineMs?: number | undefined
}

/** The abort of a failed upload gets this long of its own, whatever the retry budget: it must not hang too. */
export const ABORT_DEADLINE_MS = 15_000

/**
 * Aborts an upload and checks with ListParts that it is gone; a part that was still in flight
 * can land after an abort, so the abort is repeated (S3's advice) up to three times. All of it
 * within its own short deadline. Never fails: true when the upload is gone, false when it was
 * left (logged; the caller names it in its error, and `cleanup uploads` or an
 * abort-incomplete-uploads lifecycle rule removes it later).
 */
export const abortUpload = (target: MultipartTarget, uploadId: string): Effect.Effect<boolean> => {
  const { send, bucket, key } = target
  const once = send("AbortMultipartUpload", (client, abortSignal) =>
    client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), { abortSignal })
  ).pipe(
    Effect.catchIf(
      (failure: S3Failure) => failure.kind === "NotFound",
      () => Effect.void
    )
  )
  const gone = send("ListParts", (client, abortSignal) =>
    client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MaxParts: 1 }), { abortSignal })
  ).pipe(
    Effect.as(false),
    Effect.catchIf(
      (failure: S3Failure) => failure.kind === "NotFound",
      () => Effect.succeed(true)
    )
  )
  const loop = (round: number): Effect.Effect<boolean, S3Failure> =>
    Effect.flatMap(Effect.andThen(once, gone), (isGone) =>
      isGone || round >= 3 ? Effect.succeed(isGone) : loop(round + 1)
    )
  const deadline = target.abortDeadlineMs ?? ABORT_DEADLINE_MS
  const left = (why: string) =>
    Effect.as(Effect.logWarning(`could not abort multipart upload ${uploadId} of "${key}": ${why}`), false)
  return loop(1).pipe(
    Effect.timeoutOption(deadline),
    Effect.flatMap((done) =>
      done._tag === "None"
        ? left(`no answer within ${deadline} ms`)
        : done.value
          ? Effect.succeed(true)
          : left("parts were still listed after three aborts")
    ),
    Effect.catch((failure) => left(`${failure.code} ${failure.detail}`))
  )
}

/** How far the engine's clock may be from ours when telling which uploads a retried create made. */
export const CREATE_CLOCK_MARGIN_MS = 5_000

/**
 * Aborts the uploads of `key` that a retried CreateMultipartUpload may have made without our
 * knowing their ids: those initiated between `from` and `to` (our clock, widened by
 * CREATE_CLOCK_MARGIN_MS), except `keep`. An upload of the same key that another writer started
 * in that window would be aborted too: it raced this one for the key anyway. Never fails
 * (best effort, within the abort deadline; what is left, `cleanup uploads` removes).
 */
export const abortLostCreates = (
  target: MultipartTarget,
  window: { readonly from: number; readonly to: number },
  keep: string | undefined
): Effect.Effect<void> => {
  const { send, bucket, key } = target
  const listed = send("ListMultipartUploads", (client, abortSignal) =>
    client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }), { abortSignal })
  )
  const inWindow = (initiated: Date | undefined) =>
    initiated !== undefined &&
    initiated.getTime() >= window.from - CREATE_CLOCK_MARGIN_MS &&
    initiated.getTime() <= window.to + CREATE_CLOCK_MARGIN_MS
  const deadline = target.abortDeadlineMs ?? ABORT_DEADLINE_MS
  return listed.pipe(
    Effect.map((out) =>
      (out.Uploads ?? []).filter(
        (u) => u.Key === key && u.UploadId !== undefined && u.UploadId !== keep && inWindow(u.Initiated)
      )
    ),
    Effect.flatMap((lost) =>
      Effect.forEach(lost, (u) => abortUpload(target, u.UploadId!), { concurrency: 4, discard: true })
    ),
    Effect.timeoutOption(deadline),
    Effect.asVoid,
    Effect.catch((failure) =>
      Effect.logWarning(`could not look for uploads a retried create left of "${key}": ${failure.detail}`)
    )
  )
}

/** The ETag S3 gives an object completed from `parts`: MD5 of the parts' binary MD5s, "-", their count. */
export const multipartEtag = (parts: ReadonlyArray<CompletedPart>): string | undefined => {
  const digests = parts.map((p) => p.ETag?.replace(/"/g, "") ?? "")
  if (digests.some((d) => !/^[0-9a-f]{32}$/i.test(d))) return undefined
  const md5 = createHash("md5")
  for (const d of digests) md5.update(Buffer.from(d, "hex"))
  return `${md5.digest("hex")}-${parts.length}`
}

/** Whether `key` now holds the object these parts complete to (a complete whose answer was lost). */
const completedEarlier = (target: MultipartTarget, parts: ReadonlyArray<CompletedPart>): Effect.Effect<boolean> => {
  const expected = multipartEtag(parts)
  if (expected === undefined) return Effect.succeed(false)
  return target
    .send("HeadObject", (client, abortSignal) =>
      client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key }), { abortSignal })
    )
    .pipe(
      Effect.map((out) => out.ETag?.replace(/"/g, "") === expected),
      Effect.catch(() => Effect.succeed(false))
    )
}

/** A failure of a write, naming the upload it left behind. */
const namingLeftUpload =
  (key: string, uploadId: string) =>
  <E>(error: E): E => {
    const tag = typeof error === "object" && error !== null ? (error as { readonly _tag?: unknown })._tag : undefined
    if (tag === "S3Failure") return withFields(error as S3Failure, { leftUpload: { key, uploadId } }) as E
    if (tag === "TransportError") {
      const t = error as TransportError
      return new TransportError({
        operation: t.operation,
        detail: t.detail,
        ...(t.status === undefined ? {} : { status: t.status }),
        ...(t.endpoint === undefined ? {} : { endpoint: t.endpoint }),
        ...(t.unreachable === undefined ? {} : { unreachable: t.unreachable }),
        ...(t.stalled === undefined ? {} : { stalled: t.stalled }),
        ...(t.stalledForMs === undefined ? {} : { stalledForMs: t.stalledForMs }),
        ...(t.attempts === undefined ? {} : { attempts: t.attempts }),
        leftUpload: { key, uploadId },
        cause: t.cause
      }) as E
    }
    return error
  }

/**
 * Runs one multipart upload: create, `upload` the parts, complete; aborts on any other outcome.
 * `beforeComplete` runs after the last part and before CompleteMultipartUpload (a last check of
 * a condition, for engines that ignore conditions on complete).
 */
export const runMultipart = <E, E2 = never, R = never>(
  target: MultipartTarget,
  create: Omit<CreateMultipartUploadRequest, "Bucket" | "Key">,
  upload: (uploadId: string) => Effect.Effect<ReadonlyArray<CompletedPart>, E, R>,
  conditions: { readonly IfMatch?: string; readonly IfNoneMatch?: string },
  beforeComplete: Effect.Effect<void, E2, R> = Effect.void
): Effect.Effect<void, E | E2 | S3Failure, R> => {
  const { send, bucket, key } = target
  return Effect.suspend(() => {
    let left: string | undefined
    let createAttempts = 0
    const createFrom = Date.now()
    /** After a retried create: abort the uploads its lost answers may have made. */
    const sweep = (keep: string | undefined) =>
      createAttempts > 1 ? abortLostCreates(target, { from: createFrom, to: Date.now() }, keep) : Effect.void
    const started = send("CreateMultipartUpload", (client, abortSignal) => {
      createAttempts++
      return client.send(
        new CreateMultipartUploadCommand({
          ...create,
          Bucket: bucket,
          Key: key,
          ...(target.checksum === undefined ? {} : { ChecksumAlgorithm: target.checksum })
        }),
        { abortSignal }
      )
    }).pipe(
      Effect.flatMap((out) =>
        out.UploadId === undefined
          ? Effect.die(new Error("CreateMultipartUpload answered without an UploadId"))
          : Effect.succeed(out.UploadId)
      ),
      Effect.tap((uploadId) => sweep(uploadId)),
      Effect.tapError(() => sweep(undefined))
    )
    return Effect.acquireUseRelease(
      started,
      (uploadId) =>
        Effect.gen(function* () {
          const parts = [...(yield* upload(uploadId))].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0))
          yield* beforeComplete
          let completeAttempts = 0
          yield* send("CompleteMultipartUpload", (client, abortSignal) => {
            completeAttempts++
            return client.send(
              new CompleteMultipartUploadCommand({
                Bucket: bucket,
                Key: key,
                UploadId: uploadId,
                MultipartUpload: { Parts: parts },
                ...conditions
              }),
              { abortSignal }
            )
          }).pipe(
            // A retried complete that finds no upload: the lost answer of an earlier attempt may
            // have been its success. The object says so by its multipart ETag.
            Effect.catchIf(
              (failure: S3Failure) => failure.kind === "NotFound" && completeAttempts > 1,
              (failure) =>
                Effect.flatMap(completedEarlier(target, parts), (done) => (done ? Effect.void : Effect.fail(failure)))
            )
          )
        }),
      (uploadId, exit) =>
        Exit.isSuccess(exit)
          ? Effect.void
          : Effect.map(abortUpload(target, uploadId), (gone) => {
              if (!gone) left = uploadId
            })
    ).pipe(Effect.mapError((error) => (left === undefined ? error : namingLeftUpload(key, left)(error))))
  })
}

/** Uploads parts concurrently (at most `concurrency` in flight, so at most that many buffers besides the one filling). */
export const uploadParts =
  <E>(target: MultipartTarget, parts: Stream.Stream<Part, E>, onPart: (bytes: number) => void) =>
  (uploadId: string): Effect.Effect<ReadonlyArray<CompletedPart>, E | S3Failure> =>
    parts.pipe(
      Stream.mapEffect(
        ({ partNumber, bytes }) =>
          target
            .send("UploadPart", (client, abortSignal) =>
              client.send(
                new UploadPartCommand({
                  Bucket: target.bucket,
                  Key: target.key,
                  UploadId: uploadId,
                  PartNumber: partNumber,
                  Body: bytes,
                  ContentLength: bytes.length,
                  ...(target.checksum === undefined ? {} : { ChecksumAlgorithm: target.checksum })
                }),
                { abortSignal }
              )
            )
            .pipe(
              Effect.map((out): CompletedPart => {
                onPart(bytes.length)
                return {
                  PartNumber: partNumber,
                  ETag: out.ETag,
                  ...(out.ChecksumCRC32 === undefined ? {} : { ChecksumCRC32: out.ChecksumCRC32 })
                }
              })
            ),
        { concurrency: target.concurrency, unordered: true }
      ),
      Stream.runCollect
    )

/** Copies `size` bytes of `copySource` into an upload, in ranges copied server-side and concurrently. */
export const copyParts =
  (target: MultipartTarget, copySource: string, sourceEtag: string, size: number, partSize: number) =>
  (uploadId: string): Effect.Effect<ReadonlyArray<CompletedPart>, S3Failure> =>
    Effect.forEach(
      Array.from({ length: Math.ceil(size / partSize) }, (_, index) => index),
      (index) => {
        const start = index * partSize
        const end = Math.min(size, start + partSize) - 1
        return target
          .send("UploadPartCopy", (client, abortSignal) =>
            client.send(
              new UploadPartCopyCommand({
                Bucket: target.bucket,
                Key: target.key,
                UploadId: uploadId,
                PartNumber: index + 1,
                CopySource: copySource,
                CopySourceRange: `bytes=${start}-${end}`,
                // The source must not change under the copy.
                CopySourceIfMatch: `"${sourceEtag}"`
              }),
              { abortSignal }
            )
          )
          .pipe(Effect.map((out): CompletedPart => ({ PartNumber: index + 1, ETag: out.CopyPartResult?.ETag })))
      },
      { concurrency: target.concurrency }
    )
