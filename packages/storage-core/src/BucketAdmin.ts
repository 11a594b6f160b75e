/**
 * BucketAdmin: the bucket's own configuration and the S3-only views that ObjectStore does not
 * give — lifecycle rules, intelligent tiering, versioning, versions and delete markers (reading,
 * restoring and undeleting them), replication, request-metrics configurations, incomplete multipart
 * uploads, object tags.
 *
 * Every driver layer provides it beside ObjectStore: the s3 driver over its own client
 * (drivers/s3/bucketAdmin.ts); the fs driver fails every call with `UnsupportedByDriver`
 * (a folder has no lifecycle).
 */
import { Context, Effect, Stream } from "effect"
import type {
  IncompleteUpload,
  LifecycleRule,
  MetricsConfiguration,
  ObjectVersion,
  ReplicationConfiguration,
  TieringConfiguration,
  VersioningConfiguration,
  VersioningStatus
} from "./BucketModel.js"
import {
  type InvalidKey,
  type NotImplementedByEndpoint,
  type ObjectNotFound,
  type PreconditionFailed,
  type StoreError,
  UnsupportedByDriver,
  type VersionNotFound
} from "./Errors.js"
import type { GetResult, ObjectStoreDriver } from "./ObjectStore.js"

export type {
  IncompleteUpload,
  LifecycleRule,
  MetricsConfiguration,
  MfaDeleteStatus,
  ObjectVersion,
  ReplicationConfiguration,
  ReplicationRule,
  StorageTransition,
  TieringConfiguration,
  VersioningConfiguration,
  VersioningStatus
} from "./BucketModel.js"

/** What a version copy wrote: the new current version. */
export interface VersionCopied {
  readonly key: string
  readonly etag: string
  /** The new version's id (undefined when the bucket is not versioned). */
  readonly versionId: string | undefined
}

export interface CopyVersionOptions {
  /** Where the copy goes in this bucket; over the version's own key when omitted (a restore). */
  readonly to?: string
  /** Write only over this current ETag (compare-and-swap), else `PreconditionFailed`. */
  readonly ifMatch?: string
  /** `"*"`: write only where nothing is current. */
  readonly ifNoneMatch?: "*"
}

export type BucketAdminError = UnsupportedByDriver | NotImplementedByEndpoint | StoreError

export class BucketAdmin extends Context.Service<
  BucketAdmin,
  {
    readonly driver: ObjectStoreDriver
    /** `s3://bucket` or `file:///root`. */
    readonly location: string
    /** The bucket's lifecycle rules; empty when it has none. */
    readonly getLifecycleRules: () => Effect.Effect<ReadonlyArray<LifecycleRule>, BucketAdminError>
    /** Replaces the whole lifecycle configuration; an empty list removes it. */
    readonly putLifecycleRules: (rules: ReadonlyArray<LifecycleRule>) => Effect.Effect<void, BucketAdminError>
    readonly getTieringConfigurations: () => Effect.Effect<ReadonlyArray<TieringConfiguration>, BucketAdminError>
    /** Creates or replaces the configuration with this id. */
    readonly putTieringConfiguration: (configuration: TieringConfiguration) => Effect.Effect<void, BucketAdminError>
    readonly deleteTieringConfiguration: (id: string) => Effect.Effect<void, BucketAdminError>
    readonly getVersioning: () => Effect.Effect<VersioningStatus, BucketAdminError>
    /** Versioning with its MFA-delete flag (which only the root account can change, with its MFA device). */
    readonly getVersioningConfiguration: () => Effect.Effect<VersioningConfiguration, BucketAdminError>
    /** Enables or suspends versioning (a bucket can never go back to "Disabled"). */
    readonly putVersioning: (status: "Enabled" | "Suspended") => Effect.Effect<void, BucketAdminError>
    /**
     * Every version and delete marker, in key order and, for one key, newest first; memory
     * stays flat.
     */
    readonly listVersions: (options?: { readonly prefix?: string }) => Stream.Stream<ObjectVersion, BucketAdminError>
    /** One version's bytes and description. */
    readonly getVersion: (
      key: string,
      versionId: string
    ) => Effect.Effect<GetResult, InvalidKey | VersionNotFound | BucketAdminError>
    /**
     * Copies a version (server-side) over the key's current one, or to `options.to` in this
     * bucket: the bytes, content headers, metadata and tags of that version become current.
     */
    readonly copyVersion: (
      key: string,
      versionId: string,
      options?: CopyVersionOptions
    ) => Effect.Effect<VersionCopied, InvalidKey | VersionNotFound | PreconditionFailed | BucketAdminError>
    /**
     * Copies `key` of another bucket of the same endpoint (readable with these credentials) into
     * this bucket server-side (to `options.to`, else the same key): a backup whose bytes never
     * pass through this process. Headers, metadata (with `localex-sha256`) and tags are kept.
     */
    readonly copyFromBucket: (
      sourceBucket: string,
      key: string,
      options?: CopyVersionOptions
    ) => Effect.Effect<VersionCopied, InvalidKey | ObjectNotFound | PreconditionFailed | BucketAdminError>
    /**
     * Removes a delete marker (an undelete when it is the key's latest version). Refuses any
     * other version with `VersionNotFound`: deleting a real version destroys data.
     */
    readonly removeDeleteMarker: (
      key: string,
      versionId: string
    ) => Effect.Effect<void, InvalidKey | VersionNotFound | BucketAdminError>
    /** The bucket's replication configuration; undefined when it has none. */
    readonly getReplication: () => Effect.Effect<ReplicationConfiguration | undefined, BucketAdminError>
    /** Replaces the replication configuration; undefined removes it. Needs versioning enabled. */
    readonly putReplication: (
      configuration: ReplicationConfiguration | undefined
    ) => Effect.Effect<void, BucketAdminError>
    /** The bucket's metrics configurations (what S3 publishes request metrics for), every page. */
    readonly getMetricsConfigurations: () => Effect.Effect<ReadonlyArray<MetricsConfiguration>, BucketAdminError>
    /** Creates or replaces the metrics configuration with this id. */
    readonly putMetricsConfiguration: (configuration: MetricsConfiguration) => Effect.Effect<void, BucketAdminError>
    /** Removes one metrics configuration (its request metrics stop); one already gone is not an error. */
    readonly deleteMetricsConfiguration: (id: string) => Effect.Effect<void, BucketAdminError>
    /** Multipart uploads started and never completed or aborted, with the bytes of their parts. */
    readonly listIncompleteUploads: (options?: {
      readonly prefix?: string
    }) => Stream.Stream<IncompleteUpload, BucketAdminError>
    /** Aborts one incomplete multipart upload, freeing its parts; one already gone is not an error. */
    readonly abortIncompleteUpload: (key: string, uploadId: string) => Effect.Effect<void, BucketAdminError>
    readonly getObjectTags: (
      key: string
    ) => Effect.Effect<Readonly<Record<string, string>>, InvalidKey | ObjectNotFound | BucketAdminError>
  }
>()("@localex/storage-core/BucketAdmin") {}

const VERSIONS = "versions (they need a versioned S3 bucket: keep backups on the s3 driver for restores)"

/** A store without bucket configuration (fs, memory): every call fails with `UnsupportedByDriver`. */
export const noBucketAdmin = (driver: "fs" | "memory", location: string): BucketAdmin["Service"] => {
  const unsupported = (operation: string) => () => Effect.fail(new UnsupportedByDriver({ driver, operation }))
  const unsupportedStream = (operation: string) => () => Stream.fail(new UnsupportedByDriver({ driver, operation }))
  return BucketAdmin.of({
    driver,
    location,
    getLifecycleRules: unsupported(`lifecycle rules (the ${driver} driver has no lifecycle)`),
    putLifecycleRules: unsupported(`lifecycle rules (the ${driver} driver has no lifecycle)`),
    getTieringConfigurations: unsupported("intelligent tiering"),
    putTieringConfiguration: unsupported("intelligent tiering"),
    deleteTieringConfiguration: unsupported("intelligent tiering"),
    getVersioning: unsupported(VERSIONS),
    getVersioningConfiguration: unsupported(VERSIONS),
    putVersioning: unsupported(VERSIONS),
    listVersions: unsupportedStream(VERSIONS),
    getVersion: unsupported(VERSIONS),
    copyVersion: unsupported(VERSIONS),
    copyFromBucket: unsupported("server-side copies between buckets"),
    removeDeleteMarker: unsupported(VERSIONS),
    getReplication: unsupported("replication (S3 copies between buckets)"),
    putReplication: unsupported("replication (S3 copies between buckets)"),
    getMetricsConfigurations: unsupported("request metrics configurations (S3 CloudWatch metrics)"),
    putMetricsConfiguration: unsupported("request metrics configurations (S3 CloudWatch metrics)"),
    deleteMetricsConfiguration: unsupported("request metrics configurations (S3 CloudWatch metrics)"),
    listIncompleteUploads: unsupportedStream("multipart uploads"),
    abortIncompleteUpload: unsupported("multipart uploads"),
    getObjectTags: unsupported("reading object tags")
  })
}

/** The fs driver has no bucket configuration: every call fails with `UnsupportedByDriver`. */
export const fsBucketAdmin = (location: string): BucketAdmin["Service"] => noBucketAdmin("fs", location)
