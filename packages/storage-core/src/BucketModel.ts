/**
 * Bucket configuration as LocalEx models it: lifecycle rules and intelligent-tiering
 * configurations, independent of the SDK's shapes. BucketAdmin converts at the boundary;
 * LifecyclePolicy and Tiering re-export these.
 */
import { Effect, Schema } from "effect"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const Days = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Tags = Schema.Record(Schema.String, Schema.String)
const enabledByDefault = Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(true)))
const wholeBucketByDefault = Schema.String.pipe(Schema.withDecodingDefaultKey(Effect.succeed("")))

export const StorageTransition = Schema.Struct({
  days: Days,
  /** GLACIER, DEEP_ARCHIVE, STANDARD_IA, INTELLIGENT_TIERING, … (or a class the engine defines, e.g. Ceph's COLD). */
  storageClass: Schema.NonEmptyString
})
export type StorageTransition = typeof StorageTransition.Type

/** One lifecycle rule. `prefix` "" means the whole bucket; `tags` narrows it further. */
export const LifecycleRule = Schema.Struct({
  id: Schema.NonEmptyString.check(Schema.isMaxLength(255)),
  enabled: enabledByDefault,
  prefix: wholeBucketByDefault,
  tags: Schema.optionalKey(Tags),
  /** Delete current versions this many days after creation. */
  expirationDays: Schema.optionalKey(PositiveInt),
  /** Remove delete markers that no longer hide any version. */
  expiredObjectDeleteMarker: Schema.optionalKey(Schema.Boolean),
  transitions: Schema.optionalKey(Schema.Array(StorageTransition)),
  /** Delete versions this many days after they became noncurrent (versioned buckets). */
  noncurrentVersionExpirationDays: Schema.optionalKey(PositiveInt),
  noncurrentVersionTransitions: Schema.optionalKey(Schema.Array(StorageTransition)),
  abortIncompleteMultipartUploadDays: Schema.optionalKey(PositiveInt),
  /**
   * Set only on rules read from a bucket: S3 settings this model does not express (dates,
   * object-size filters, …). Such a rule never equals a policy rule, so `apply` replaces it.
   */
  unsupported: Schema.optionalKey(Schema.Array(Schema.String))
}).check(
  Schema.makeFilter((rule) => {
    const hasAction =
      rule.expirationDays !== undefined ||
      rule.expiredObjectDeleteMarker === true ||
      (rule.transitions?.length ?? 0) > 0 ||
      rule.noncurrentVersionExpirationDays !== undefined ||
      (rule.noncurrentVersionTransitions?.length ?? 0) > 0 ||
      rule.abortIncompleteMultipartUploadDays !== undefined ||
      (rule.unsupported?.length ?? 0) > 0
    if (!hasAction)
      return `rule "${rule.id}" has no action: give it an expiration, a transition or an abort of incomplete uploads`
    if (rule.expirationDays !== undefined && rule.expiredObjectDeleteMarker === true)
      return `rule "${rule.id}": S3 does not accept expirationDays and expiredObjectDeleteMarker in one rule`
    const lastTransition = Math.max(-1, ...(rule.transitions ?? []).map((t) => t.days))
    if (rule.expirationDays !== undefined && rule.expirationDays <= lastTransition)
      return `rule "${rule.id}": objects must expire after their last transition (day ${lastTransition})`
    return undefined
  })
)
export type LifecycleRule = typeof LifecycleRule.Type

/**
 * One intelligent-tiering configuration: objects stored in the INTELLIGENT_TIERING class that
 * nobody read for this many days move to the Archive (≥ 90) or Deep Archive (≥ 180) access tier.
 */
export const TieringConfiguration = Schema.Struct({
  id: Schema.NonEmptyString.check(Schema.isMaxLength(64)),
  enabled: enabledByDefault,
  prefix: wholeBucketByDefault,
  tags: Schema.optionalKey(Tags),
  archiveAccessDays: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 90, maximum: 730 }))),
  deepArchiveAccessDays: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 180, maximum: 730 })))
}).check(
  Schema.makeFilter((config) => {
    if (config.archiveAccessDays === undefined && config.deepArchiveAccessDays === undefined)
      return `tiering "${config.id}" needs archiveAccessDays (90–730) or deepArchiveAccessDays (180–730)`
    if (
      config.archiveAccessDays !== undefined &&
      config.deepArchiveAccessDays !== undefined &&
      config.deepArchiveAccessDays <= config.archiveAccessDays
    )
      return `tiering "${config.id}": deepArchiveAccessDays must be greater than archiveAccessDays`
    return undefined
  })
)
export type TieringConfiguration = typeof TieringConfiguration.Type

/**
 * A bucket metrics configuration: what turns on S3's CloudWatch request metrics (AllRequests,
 * 4xxErrors, FirstByteLatency, …) for the whole bucket or a prefix. `id` is the `FilterId`
 * dimension the metrics carry (the guide's dashboard and alarms read `EntireBucket`).
 */
export const MetricsConfiguration = Schema.Struct({
  id: Schema.NonEmptyString.check(Schema.isMaxLength(64)),
  /** Only keys below this prefix; the whole bucket when omitted or empty. */
  prefix: Schema.optionalKey(Schema.String)
})
export type MetricsConfiguration = typeof MetricsConfiguration.Type

/** The bucket's versioning state; "Disabled" when versioning was never enabled. */
export type VersioningStatus = "Enabled" | "Suspended" | "Disabled"

/** One version (or delete marker) of a versioned bucket's listing. */
export interface ObjectVersion {
  readonly key: string
  readonly versionId: string
  readonly isLatest: boolean
  readonly isDeleteMarker: boolean
  /** 0 for delete markers. */
  readonly size: number
  /** The version's ETag without quotes; undefined for delete markers. */
  readonly etag: string | undefined
  readonly lastModified: Date
  readonly storageClass: string | undefined
}

/** A multipart upload that was started and neither completed nor aborted. */
export interface IncompleteUpload {
  readonly key: string
  readonly uploadId: string
  readonly initiated: Date
  /** Bytes of the parts uploaded so far (they are billed like stored objects). */
  readonly bytes: number
  readonly parts: number
}

/** Whether deleting a version or changing versioning needs an MFA code (set only by the root account, with its MFA device). */
export type MfaDeleteStatus = "Enabled" | "Disabled"

/** The versioning state and its MFA-delete flag. */
export interface VersioningConfiguration {
  readonly status: VersioningStatus
  readonly mfaDelete: MfaDeleteStatus
}

/**
 * One replication rule: objects under `prefix` are copied to `destinationBucket` (a bucket name
 * or its ARN) by S3 itself, asynchronously. `priority` orders overlapping rules (S3 requires it
 * when a configuration has several rules; it is set from the rule's position when omitted).
 */
export const ReplicationRule = Schema.Struct({
  id: Schema.NonEmptyString.check(Schema.isMaxLength(255)),
  enabled: enabledByDefault,
  priority: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  prefix: wholeBucketByDefault,
  destinationBucket: Schema.NonEmptyString,
  /** The destination's storage class (STANDARD_IA, GLACIER, …); the source object's class when omitted. */
  storageClass: Schema.optionalKey(Schema.NonEmptyString),
  /** The destination account, when it is another one (ownership of the replicas moves to it). */
  destinationAccount: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^\d{12}$/))),
  deleteMarkerReplication: Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(false))),
  /** S3 Replication Time Control: 99.99 % of objects within 15 minutes, with replication metrics. */
  replicationTimeControl: Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(false))),
  /** Set only on rules read from a bucket: S3 settings this model does not express. */
  unsupported: Schema.optionalKey(Schema.Array(Schema.String))
})
export type ReplicationRule = typeof ReplicationRule.Type

/** A bucket's replication: the IAM role S3 assumes to copy, and the rules. */
export const ReplicationConfiguration = Schema.Struct({
  role: Schema.String.check(Schema.isPattern(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/)),
  rules: Schema.Array(ReplicationRule).check(Schema.isMinLength(1))
})
export type ReplicationConfiguration = typeof ReplicationConfiguration.Type
