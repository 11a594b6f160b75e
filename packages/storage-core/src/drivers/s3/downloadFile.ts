/**
 * `download` for the s3 driver: ranged GETs (rangeGet.ts) on up to `streams`
 * connections, each range written at its offset into a temporary file renamed over the target
 * at the end (saveToFile.ts). The first range's answer gives the size and the ETag; every other
 * range — and any retry, of the first one too — is pinned to that ETag with If-Match, so a
 * concurrent overwrite fails the download (TransportError, nothing left) instead of mixing two
 * versions. Each range is retried on its own by the driver's policy.
 */
import type { FileHandle } from "node:fs/promises"
import type { StorageClass } from "@aws-sdk/client-s3"
import { Effect } from "effect"
import type { ObjectNotFound, StoreError } from "../../Errors.js"
import { intoFile, localFileError } from "../../internal/saveToFile.js"
import type { DownloadOptions, ObjectInfo } from "../../ObjectStore.js"
import { asObjectError, asStoreError, classify, S3Failure } from "./errors.js"
import { objectInfo, parseContentRange, quote, unquote } from "./objects.js"
import {
  BufferPool,
  LocalWriteError,
  type RangeAnswer,
  type RangeGetSettings,
  type RangeRequest,
  rangeGet
} from "./rangeGet.js"
import { withRetry } from "./retry.js"

export interface FileDownloadSettings extends RangeGetSettings {
  readonly bucket: string
  readonly maxAttempts: number
  /** Bytes per ranged GET. */
  readonly rangeBytes: number
  /** Ranged GETs at once. */
  readonly streams: number
}

/** ObjectInfo from the raw headers of a GET. */
const infoOf = (key: string, headers: Record<string, string>, size: number): ObjectInfo => {
  const metadata: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith("x-amz-meta-")) metadata[name.slice("x-amz-meta-".length)] = value
  }
  const lastModified = headers["last-modified"]
  return objectInfo(
    key,
    {
      ETag: headers.etag,
      LastModified: lastModified === undefined ? undefined : new Date(lastModified),
      ContentType: headers["content-type"],
      CacheControl: headers["cache-control"],
      ContentDisposition: headers["content-disposition"],
      Metadata: metadata,
      StorageClass: headers["x-amz-storage-class"] as StorageClass | undefined,
      VersionId: headers["x-amz-version-id"]
    },
    size
  )
}

/** The object as the first answer described it. */
interface Pinned {
  readonly size: number
  readonly etag: string
  readonly headers: Record<string, string>
}

export const downloadFile = (
  settings: FileDownloadSettings,
  key: string,
  path: string,
  options: DownloadOptions
): Effect.Effect<ObjectInfo, ObjectNotFound | StoreError> => {
  const { bucket, rangeBytes } = settings
  const replaced = (failure: S3Failure) =>
    withFailure(failure, "the object was replaced or deleted during the download")

  return intoFile(path, (file, temp) => {
    let pinned: Pinned | undefined
    let announce: (pinned: Pinned) => void = () => {}
    const known = new Promise<Pinned>((resolve) => {
      announce = resolve
    })
    // Progress: what landed in the file, less what a failed attempt of a range had written.
    let loaded = 0
    const pool = new BufferPool()
    const report = (bytes: number) => {
      loaded += bytes
      options.onProgress?.({ key, loaded, total: pinned?.size })
    }

    /** One range under the retry policy; a retry starts the range over. */
    const range = (start: number, end: number | undefined): Effect.Effect<RangeAnswer, S3Failure> =>
      withRetry(settings.maxAttempts)(
        Effect.suspend(() => {
          let written = 0
          const request: RangeRequest = {
            key,
            start,
            end,
            ifMatch: pinned === undefined ? undefined : quote(pinned.etag)
          }
          return Effect.tryPromise({
            try: (signal) =>
              rangeGet(settings, file, request, signal, pool, onHead, (bytes) => {
                written += bytes
                report(bytes)
              }),
            catch: (error) => {
              loaded -= written
              return error instanceof LocalWriteError
                ? new S3Failure({
                    operation: "GetObject",
                    kind: "Other",
                    code: "LocalWrite",
                    detail: localFileError(temp, error.cause ?? error).detail,
                    retryable: false,
                    attempts: 1
                  })
                : classify("GetObject", error, settings.endpoint)
            }
          })
        })
      )
    const onHead = (answer: RangeAnswer) => {
      if (pinned !== undefined) return
      const served = parseContentRange(answer.headers["content-range"])
      pinned = { size: served?.size ?? answer.length, etag: unquote(answer.headers.etag), headers: answer.headers }
      announce(pinned)
    }

    // The first range; an empty object has no byte 0, so it answers 416 and is read whole.
    const first = range(0, rangeBytes - 1).pipe(
      Effect.catchIf(
        (failure: S3Failure) => failure.kind === "InvalidRange" && pinned === undefined,
        () => range(0, undefined)
      ),
      Effect.mapError((failure) =>
        pinned !== undefined && (failure.kind === "PreconditionFailed" || failure.kind === "NotFound")
          ? replaced(failure)
          : asObjectError(bucket, key)(failure)
      )
    )
    const rest = Effect.promise(() => known).pipe(
      Effect.flatMap(({ size }) => {
        const starts: Array<number> = []
        for (let start = rangeBytes; start < size; start += rangeBytes) starts.push(start)
        return Effect.forEach(
          starts,
          (start) =>
            range(start, Math.min(size, start + rangeBytes) - 1).pipe(
              Effect.mapError((failure) =>
                failure.kind === "PreconditionFailed" || failure.kind === "NotFound"
                  ? replaced(failure)
                  : asStoreError(bucket, key)(failure)
              )
            ),
          { concurrency: Math.max(1, settings.streams - 1), discard: true }
        )
      })
    )
    return Effect.all([first, rest], { concurrency: 2, discard: true }).pipe(
      Effect.flatMap(() => checkSize(file, temp, pinned)),
      Effect.map((object) => infoOf(key, object.headers, object.size))
    )
  })
}

const withFailure = (failure: S3Failure, detail: string) =>
  asStoreError(
    "",
    undefined
  )(
    new S3Failure({
      operation: failure.operation,
      kind: "Other",
      ...(failure.status === undefined ? {} : { status: failure.status }),
      code: failure.code,
      detail,
      retryable: false,
      attempts: failure.attempts
    })
  )

/** Every range was checked as it came; the file's size is the last word. */
const checkSize = (file: FileHandle, temp: string, pinned: Pinned | undefined) =>
  Effect.tryPromise({ try: () => file.stat(), catch: (cause) => localFileError(temp, cause) }).pipe(
    Effect.flatMap((stat) =>
      pinned !== undefined && stat.size === pinned.size
        ? Effect.succeed(pinned)
        : Effect.fail(localFileError(temp, new Error(`${stat.size} bytes written of ${pinned?.size ?? "?"}`)))
    )
  )
