import { Schema } from "effect"

/** Nothing is stored under this key (or this version). */
export class ObjectNotFound extends Schema.TaggedError<ObjectNotFound>()("ObjectNotFound", {
  key: Schema.String
}) {
  override get message() {
    return `No object at "${this.key}"`
  }
}

/** The bucket (or fs root) does not exist. */
export class BucketNotFound extends Schema.TaggedError<BucketNotFound>()("BucketNotFound", {
  bucket: Schema.String
}) {
  override get message() {
    return `Bucket "${this.bucket}" does not exist: create it or check LOCALEX_STORAGE_BUCKET`
  }
}

/** The credentials in use may not do this. */
export class AccessDenied extends Schema.TaggedError<AccessDenied>()("AccessDenied", {
  operation: Schema.String,
  key: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.String)
}) {
  override get message() {
    return `Access denied for ${this.operation}${this.key ? ` on "${this.key}"` : ""}: check the credentials and the bucket policy${this.detail ? ` (${this.detail})` : ""}`
  }
}

/** A conditional request's condition did not hold (If-None-Match: * on an existing key, If-Match on a changed one). */
export class PreconditionFailed extends Schema.TaggedError<PreconditionFailed>()("PreconditionFailed", {
  key: Schema.String,
  condition: Schema.String
}) {
  override get message() {
    return `Precondition ${this.condition} failed for "${this.key}": the object changed or already exists`
  }
}

/** A conditional GET found the caller's copy current (HTTP 304). */
export class NotModified extends Schema.TaggedError<NotModified>()("NotModified", {
  key: Schema.String,
  etag: Schema.optional(Schema.String)
}) {
  override get message() {
    return `"${this.key}" has not been modified`
  }
}

/** The store asked us to slow down (S3 503 SlowDown) and retries did not get through. */
export class Throttled extends Schema.TaggedError<Throttled>()("Throttled", {
  operation: Schema.String,
  attempts: Schema.Number
}) {
  override get message() {
    return `${this.operation} was throttled after ${this.attempts} attempts: lower the concurrency or spread keys across prefixes`
  }
}

/** A key that is not a valid LocalEx object key; refused before any I/O. */
export class InvalidKey extends Schema.TaggedError<InvalidKey>()("InvalidKey", {
  key: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Invalid key ${JSON.stringify(this.key)}: ${this.reason}`
  }
}

/** User metadata or tags that the store cannot keep as given; refused before any I/O. */
export class InvalidMetadata extends Schema.TaggedError<InvalidMetadata>()("InvalidMetadata", {
  key: Schema.String,
  /** `metadata` (a user metadata name or value) or `tag` (an object tag). */
  field: Schema.Literals(["metadata", "tag"]),
  name: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    const what = this.field === "tag" ? "tag" : "metadata"
    return `Invalid ${what} ${JSON.stringify(this.name)} for "${this.key}": ${this.reason}`
  }
}

/** A copy that S3 refuses: onto itself without any change. Refused before any I/O. */
export class InvalidCopy extends Schema.TaggedError<InvalidCopy>()("InvalidCopy", {
  from: Schema.String,
  to: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Cannot copy "${this.from}" to "${this.to}": ${this.reason}`
  }
}

/** The object (or upload) is larger than a limit allows. */
export class ObjectTooLarge extends Schema.TaggedError<ObjectTooLarge>()("ObjectTooLarge", {
  key: Schema.String,
  size: Schema.Number,
  limit: Schema.Number
}) {
  override get message() {
    return `"${this.key}" is ${this.size} bytes, over the limit of ${this.limit} bytes`
  }
}

/** The requested range lies outside the object. */
export class RangeNotSatisfiable extends Schema.TaggedError<RangeNotSatisfiable>()("RangeNotSatisfiable", {
  key: Schema.String,
  size: Schema.Number
}) {
  override get message() {
    return `The requested range is outside "${this.key}" (${this.size} bytes)`
  }
}

/** This driver cannot do this (e.g. bucket administration on the fs driver). */
export class UnsupportedByDriver extends Schema.TaggedError<UnsupportedByDriver>()("UnsupportedByDriver", {
  driver: Schema.String,
  operation: Schema.String
}) {
  override get message() {
    return `The ${this.driver} driver does not support ${this.operation}: use the s3 driver for this`
  }
}

/** What an attempt was doing when it stalled (see `TransportError.stalled`). */
export const StallPhase = Schema.Literals(["connect", "send", "first-byte", "receive"])
export type StallPhase = typeof StallPhase.Type

/** A multipart upload a failed write could not abort (the endpoint was out of reach). */
export const LeftUpload = Schema.Struct({ key: Schema.String, uploadId: Schema.String })
export type LeftUpload = typeof LeftUpload.Type

/**
 * The store could not be reached, stalled, or answered with an unexpected error (after retries
 * where retrying is safe). `unreachable` is set when no answer came at all (refused, reset,
 * stalled): the store is unavailable rather than wrong. A stall says what stalled (`stalled`:
 * connect, send, first-byte, receive) and for how long (`stalledForMs`, the last attempt's).
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  operation: Schema.String,
  detail: Schema.String,
  status: Schema.optional(Schema.Number),
  /** The S3 endpoint the request went to. */
  endpoint: Schema.optional(Schema.String),
  unreachable: Schema.optional(Schema.Boolean),
  stalled: Schema.optional(StallPhase),
  stalledForMs: Schema.optional(Schema.Number),
  attempts: Schema.optional(Schema.Number),
  /** A multipart upload left behind because its abort could not reach the endpoint either. */
  leftUpload: Schema.optional(LeftUpload),
  cause: Schema.optional(Schema.Defect())
}) {
  override get message() {
    const left =
      this.leftUpload === undefined
        ? ""
        : `; multipart upload ${this.leftUpload.uploadId} of "${this.leftUpload.key}" could not be aborted and was left: \`localex-storage cleanup uploads\` aborts it (so does an abort-incomplete-uploads lifecycle rule)`
    return `${this.operation} failed: ${this.detail}${this.status ? ` (HTTP ${this.status})` : ""}${left}`
  }
}

/** Configuration that cannot work (unknown driver, missing bucket name, bad number). */
export class StorageConfigError extends Schema.TaggedError<StorageConfigError>()("StorageConfigError", {
  setting: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Invalid storage setting ${this.setting}: ${this.reason}`
  }
}

/** Errors any store operation may fail with, besides its specific ones. */
export type StoreError = AccessDenied | BucketNotFound | Throttled | TransportError

/** The S3 endpoint answered that it does not implement this (Ceph RGW and intelligent tiering, e.g.). */
export class NotImplementedByEndpoint extends Schema.TaggedError<NotImplementedByEndpoint>()(
  "NotImplementedByEndpoint",
  { operation: Schema.String, endpoint: Schema.String, detail: Schema.String }
) {
  override get message() {
    return `The S3 endpoint ${this.endpoint} does not implement ${this.operation} (${this.detail}): use AWS S3 for this`
  }
}

/** No such version of the key (or it is not what the operation needs, e.g. not a delete marker). */
export class VersionNotFound extends Schema.TaggedError<VersionNotFound>()("VersionNotFound", {
  key: Schema.String,
  versionId: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Version ${this.versionId} of "${this.key}" ${this.reason}: list the key's versions to pick one`
  }
}
