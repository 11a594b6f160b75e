/** The errors of the posture audit, policy drift and IAM review: one class per thing a caller handles differently. */
import { Schema } from "effect"

/** An AWS call failed after its retries (SDK errors are wrapped here, once). */
export class SecurityAwsError extends Schema.TaggedError<SecurityAwsError>()("SecurityAwsError", {
  operation: Schema.String,
  code: Schema.String,
  detail: Schema.String,
  status: Schema.optional(Schema.Number)
}) {
  override get message() {
    const status = this.status === undefined ? "" : `, HTTP ${this.status}`
    const hint =
      this.code === "NoSuchBucket"
        ? ": check the bucket name (--bucket / LOCALEX_STORAGE_BUCKET)"
        : /AccessDenied|Forbidden|InvalidAccessKeyId|SignatureDoesNotMatch/.test(this.code)
          ? ": the credentials in use may not read this (see the README for the permissions the audit needs)"
          : ""
    return `${this.operation} failed (${this.code}${status}): ${this.detail}${hint}`
  }
}

/** The audit needs an S3 bucket, and the settings name none (or name the fs driver). */
export class AuditTargetMissing extends Schema.TaggedError<AuditTargetMissing>()("AuditTargetMissing", {
  reason: Schema.String
}) {
  override get message() {
    return `Nothing to audit: ${this.reason} (give --bucket NAME or set LOCALEX_STORAGE_BUCKET)`
  }
}

/** A baseline file that cannot be read, parsed or written (nothing was changed). */
export class BaselineError extends Schema.TaggedError<BaselineError>()("BaselineError", {
  path: Schema.String,
  operation: Schema.Literals(["read", "parse", "write"]),
  reason: Schema.String
}) {
  override get message() {
    const what =
      this.operation === "parse"
        ? "is not a baseline file"
        : this.operation === "read"
          ? "cannot be read"
          : "cannot be written (the previous file, if any, is unchanged)"
    return `The baseline ${JSON.stringify(this.path)} ${what}: ${this.reason}${this.operation === "read" ? "; write one with --save-baseline" : ""}`
  }
}

/** A review setting out of range (e.g. a negative key age). */
export class ReviewSettingInvalid extends Schema.TaggedError<ReviewSettingInvalid>()("ReviewSettingInvalid", {
  setting: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Invalid ${this.setting}: ${this.reason}`
  }
}
