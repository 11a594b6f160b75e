/**
 * The one place where what the AWS SDK throws becomes a typed error of this package.
 *
 * `classify` reads an SDK exception (or a Node network error) once and keeps only what the
 * driver needs: a kind, the HTTP status, the service's error code and whether a retry may help.
 * The `as*` functions then turn a classified failure into the typed errors a method declares.
 * Nothing above the s3 driver ever sees an AWS exception.
 */
import { Schema } from "effect"
import {
  AccessDenied,
  BucketNotFound,
  LeftUpload,
  NotModified,
  ObjectNotFound,
  PreconditionFailed,
  RangeNotSatisfiable,
  StallPhase,
  type StoreError,
  Throttled,
  TransportError
} from "../../Errors.js"
import { stallOf } from "./watchdog.js"

const FailureKind = Schema.Literals([
  "NotFound",
  "NoSuchBucket",
  "AccessDenied",
  "PreconditionFailed",
  "Conflict",
  "NotModified",
  "InvalidRange",
  "Throttling",
  "ServerError",
  "Network",
  "Other"
])
export type FailureKind = typeof FailureKind.Type

/** A failed S3 call, classified. Internal to the s3 driver: mapped to a typed error before it leaves. */
export class S3Failure extends Schema.TaggedError<S3Failure>()("S3Failure", {
  operation: Schema.String,
  kind: FailureKind,
  status: Schema.optional(Schema.Number),
  code: Schema.String,
  detail: Schema.String,
  retryable: Schema.Boolean,
  attempts: Schema.Number,
  /** The endpoint the request went to. */
  endpoint: Schema.optional(Schema.String),
  /** Set when the stall watchdog ended the attempt. */
  stall: Schema.optional(Schema.Struct({ phase: StallPhase, afterMs: Schema.Number })),
  /** A multipart upload that could not be aborted after this failure. */
  leftUpload: Schema.optional(LeftUpload),
  cause: Schema.optional(Schema.Defect())
}) {}

/** The same failure with some fields changed (attempts counted, an upload left, …). */
export const withFields = (failure: S3Failure, fields: Partial<Omit<S3Failure, "_tag">>): S3Failure =>
  new S3Failure({
    operation: failure.operation,
    kind: failure.kind,
    ...(failure.status === undefined ? {} : { status: failure.status }),
    code: failure.code,
    detail: failure.detail,
    retryable: failure.retryable,
    attempts: failure.attempts,
    ...(failure.endpoint === undefined ? {} : { endpoint: failure.endpoint }),
    ...(failure.stall === undefined ? {} : { stall: failure.stall }),
    ...(failure.leftUpload === undefined ? {} : { leftUpload: failure.leftUpload }),
    ...(failure.cause === undefined ? {} : { cause: failure.cause }),
    ...fields
  })

const THROTTLING_CODES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "ProvisionedThroughputExceededException",
  "BandwidthLimitExceeded"
])

/** Transient service errors that S3 documents as safe to retry, whatever their status. */
const TRANSIENT_CODES = new Set(["RequestTimeout", "RequestTimeoutException", "InternalError", "ServiceUnavailable"])

/** Node and SDK errors of a connection that broke or timed out (not one that was refused). */
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "ECONNABORTED",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "ERR_STREAM_PREMATURE_CLOSE"
])
const NETWORK_NAMES = new Set(["TimeoutError", "RequestTimeout"])

const field = (value: unknown, name: string): unknown =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined)

/** Reads an SDK exception or a Node error into an `S3Failure` (attempts: 1; the retry loop counts). */
export const classify = (operation: string, error: unknown, endpoint?: string): S3Failure => {
  const stall = stallOf(error)
  if (stall !== undefined) {
    return new S3Failure({
      operation,
      kind: "Network",
      code: "Stalled",
      detail: stall.message,
      retryable: true,
      attempts: 1,
      endpoint: stall.endpoint,
      stall: { phase: stall.phase, afterMs: stall.afterMs },
      cause: error
    })
  }
  const metadata = field(error, "$metadata")
  const status =
    typeof field(metadata, "httpStatusCode") === "number" ? (field(metadata, "httpStatusCode") as number) : undefined
  const name = text(field(error, "name"))
  const code = text(field(error, "Code")) ?? text(field(error, "code")) ?? name ?? "Unknown"
  const message = text(field(error, "message")) ?? String(error)
  const make = (kind: FailureKind, retryable: boolean, detail = message) =>
    new S3Failure({
      operation,
      kind,
      ...(status === undefined ? {} : { status }),
      code,
      detail,
      retryable,
      attempts: 1,
      ...(endpoint === undefined ? {} : { endpoint }),
      cause: error
    })

  // A connection that broke while the body of a 2xx answer was read (the SDK stamps the status on it).
  const errno = text(field(error, "code")) ?? text(field(field(error, "cause"), "code"))
  if (status !== undefined && status < 300 && errno !== undefined && NETWORK_CODES.has(errno)) {
    return make("Network", true, `${errno}: ${message}`)
  }
  // A 503 without an error code is S3 throttling a HEAD (whose answer has no body to say SlowDown).
  if (THROTTLING_CODES.has(code) || status === 429 || (status === 503 && (code === "SlowDown" || code === "Unknown"))) {
    return make("Throttling", true)
  }
  if (status === undefined) {
    // No HTTP answer: the connection failed before or while talking to the endpoint.
    if ((errno !== undefined && NETWORK_CODES.has(errno)) || (name !== undefined && NETWORK_NAMES.has(name))) {
      return make("Network", true, `${errno ?? name}: ${message}`)
    }
    if (errno === "ECONNREFUSED" || errno === "ENOTFOUND") {
      return make("Network", false, `cannot reach the S3 endpoint (${errno}): ${message}`)
    }
    if (name === "CredentialsProviderError") {
      return make("AccessDenied", false, `no usable AWS credentials: ${message}`)
    }
    return make("Other", false)
  }
  // 501 NotImplemented is permanent (an engine without the feature): never retried.
  if (code === "NotImplemented" || status === 501) return make("Other", false)
  if (TRANSIENT_CODES.has(code) || status >= 500) return make("ServerError", true)
  switch (status) {
    case 304:
      return make("NotModified", false)
    case 403:
      return make("AccessDenied", false)
    case 404:
      return make(code === "NoSuchBucket" ? "NoSuchBucket" : "NotFound", false)
    case 409:
      return make(code === "ConditionalRequestConflict" ? "Conflict" : "Other", false)
    case 412:
      return make("PreconditionFailed", false)
    case 416:
      return make("InvalidRange", false)
    default:
      return make(code === "NoSuchBucket" ? "NoSuchBucket" : "Other", false)
  }
}

// --- typed errors -----------------------------------------------------------------------

/** The errors every operation can meet: missing bucket, access denied, throttled, transport. */
export const asStoreError =
  (bucket: string, key?: string) =>
  (failure: S3Failure): StoreError => {
    switch (failure.kind) {
      case "NoSuchBucket":
        return new BucketNotFound({ bucket })
      case "AccessDenied":
        return new AccessDenied({
          operation: failure.operation,
          ...(key === undefined ? {} : { key }),
          detail: failure.detail
        })
      case "Throttling":
        return new Throttled({ operation: failure.operation, attempts: failure.attempts })
      default:
        return transportError(failure)
    }
  }

/** A failure that is none of the typed ones: the store is out of reach, stalled, or answered oddly. */
export const transportError = (failure: S3Failure): TransportError => {
  const what = failure.stall === undefined ? `${failure.code}: ${failure.detail}` : `stalled: ${failure.detail}`
  return new TransportError({
    operation: failure.operation,
    detail: failure.attempts > 1 ? `${what} (after ${failure.attempts} attempts)` : what,
    ...(failure.status === undefined ? {} : { status: failure.status }),
    ...(failure.endpoint === undefined ? {} : { endpoint: failure.endpoint }),
    ...(failure.kind === "Network" ? { unreachable: true } : {}),
    ...(failure.stall === undefined ? {} : { stalled: failure.stall.phase, stalledForMs: failure.stall.afterMs }),
    attempts: failure.attempts,
    ...(failure.leftUpload === undefined ? {} : { leftUpload: failure.leftUpload }),
    cause: failure.cause
  })
}

/** For reads of one object: 404 is `ObjectNotFound`. */
export const asObjectError =
  (bucket: string, key: string) =>
  (failure: S3Failure): ObjectNotFound | StoreError =>
    failure.kind === "NotFound" ? new ObjectNotFound({ key }) : asStoreError(bucket, key)(failure)

/** For conditional writes: 412, and 409 ConditionalRequestConflict (a concurrent write won), are `PreconditionFailed`. */
export const asWriteError =
  (bucket: string, key: string, condition: string | undefined) =>
  (failure: S3Failure): PreconditionFailed | StoreError =>
    failure.kind === "PreconditionFailed" || failure.kind === "Conflict"
      ? new PreconditionFailed({ key, condition: condition ?? failure.code })
      : asStoreError(bucket, key)(failure)

/** For GET: 404, 304 and 416 have their own errors. `size` is looked up by the caller for 416. */
export const asGetError =
  (bucket: string, key: string, etag: string | undefined) =>
  (failure: S3Failure): ObjectNotFound | NotModified | StoreError => {
    if (failure.kind === "NotModified") {
      return new NotModified({ key, ...(etag === undefined ? {} : { etag }) })
    }
    return asObjectError(bucket, key)(failure)
  }

export const rangeNotSatisfiable = (key: string, size: number) => new RangeNotSatisfiable({ key, size })
