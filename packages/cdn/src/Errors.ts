/** The errors of @localex/cdn: one class per thing a caller handles differently. */
import { Schema } from "effect"

/** A LOCALEX_CDN_* setting that cannot work. */
export class CdnConfigError extends Schema.TaggedError<CdnConfigError>()("CdnConfigError", {
  setting: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Invalid CDN setting ${this.setting}: ${this.reason}`
  }
}

/** The operation needs a CloudFront distribution, and none is configured (local mode). */
export class CdnNotConfigured extends Schema.TaggedError<CdnNotConfigured>()("CdnNotConfigured", {
  operation: Schema.String,
  setting: Schema.String
}) {
  override get message() {
    return `${this.operation} needs ${this.setting}: set it (local mode has no CDN to ask)`
  }
}

/** A path CloudFront would refuse in an invalidation (nothing was submitted). */
export class InvalidInvalidationPath extends Schema.TaggedError<InvalidInvalidationPath>()("InvalidInvalidationPath", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Cannot invalidate ${JSON.stringify(this.path)}: ${this.reason}`
  }
}

/** CloudFront or CloudWatch failed (SDK errors are wrapped here, once). */
export class CdnAwsError extends Schema.TaggedError<CdnAwsError>()("CdnAwsError", {
  operation: Schema.String,
  code: Schema.String,
  detail: Schema.String,
  status: Schema.optional(Schema.Number)
}) {
  override get message() {
    const status = this.status === undefined ? "" : `, HTTP ${this.status}`
    return `${this.operation} failed (${this.code}${status}): ${this.detail}`
  }
}

/** CloudFront kept answering TooManyInvalidationsInProgress until the deadline (the batches listed were not submitted). */
export class InvalidationsThrottled extends Schema.TaggedError<InvalidationsThrottled>()("InvalidationsThrottled", {
  submitted: Schema.Array(Schema.String),
  pending: Schema.Number,
  waitedMs: Schema.Number
}) {
  override get message() {
    return `CloudFront had too many invalidations in progress for ${Math.round(this.waitedMs / 1000)} s: ${this.pending} batch(es) not submitted (submitted: ${this.submitted.join(", ") || "none"}); retry later or invalidate fewer paths (wildcards)`
  }
}

/** An invalidation was still in progress at the deadline (it goes on at CloudFront). */
export class InvalidationWaitTimedOut extends Schema.TaggedError<InvalidationWaitTimedOut>()(
  "InvalidationWaitTimedOut",
  { invalidationId: Schema.String, status: Schema.String, waitedMs: Schema.Number }
) {
  override get message() {
    return `Invalidation ${this.invalidationId} is still ${this.status} after ${Math.round(this.waitedMs / 1000)} s; it goes on at CloudFront (check it later)`
  }
}

/** Cache warming was asked for a URL outside the configured CDN domains (never fetched: no SSRF). */
export class WarmTargetRefused extends Schema.TaggedError<WarmTargetRefused>()("WarmTargetRefused", {
  target: Schema.String,
  allowed: Schema.Array(Schema.String)
}) {
  override get message() {
    return `Refusing to warm ${JSON.stringify(this.target)}: its host is not a CDN domain (${this.allowed.join(", ") || "none configured"}); set LOCALEX_CDN_DOMAINS`
  }
}

/** Signed URLs or cookies need a key pair id and a readable private key. */
export class SigningKeyError extends Schema.TaggedError<SigningKeyError>()("SigningKeyError", {
  reason: Schema.String
}) {
  override get message() {
    return `Cannot sign for CloudFront: ${this.reason} (LOCALEX_CDN_KEY_PAIR_ID, LOCALEX_CDN_PRIVATE_KEY_FILE)`
  }
}
