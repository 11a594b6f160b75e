/**
 * BucketAdmin: the bucket's own configuration and the S3-only views that ObjectStore does not
 * give — lifecycle rules, intelligent tiering, versioning, versions and delete markers,
 * incomplete multipart uploads, object tags.
 *
 * Every driver layer provides it beside ObjectStore: the s3 driver over its own client
 * (drivers/s3/bucketAdmin.ts); the fs driver fails every call with `UnsupportedByDriver`
 * (a folder has no lifecycle).
 */
import { Context, Effect, Stream } from "effect"
import type {
  IncompleteUpload,
  LifecycleRule,
  ObjectVersion,
  TieringConfiguration,
  VersioningStatus
} from "./BucketModel.js"
import {
  type InvalidKey,
  type NotImplementedByEndpoint,
  type ObjectNotFound,
  type StoreError,
  UnsupportedByDriver
} from "./Errors.js"
import type { ObjectStoreDriver } from "./ObjectStore.js"

export type {
  IncompleteUpload,
  LifecycleRule,
  ObjectVersion,
  StorageTransition,
  TieringConfiguration,
  VersioningStatus
} from "./BucketModel.js"

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
    /** Every version and delete marker, key by key; memory stays flat. */
    readonly listVersions: (options?: { readonly prefix?: string }) => Stream.Stream<ObjectVersion, BucketAdminError>
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
    getVersioning: unsupported("versioning"),
    listVersions: unsupportedStream("object versions"),
    listIncompleteUploads: unsupportedStream("multipart uploads"),
    abortIncompleteUpload: unsupported("multipart uploads"),
    getObjectTags: unsupported("reading object tags")
  })
}

/** The fs driver has no bucket configuration: every call fails with `UnsupportedByDriver`. */
export const fsBucketAdmin = (location: string): BucketAdmin["Service"] => noBucketAdmin("fs", location)
