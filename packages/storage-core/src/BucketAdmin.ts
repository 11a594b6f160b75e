/**
 * BucketAdmin: the bucket's own configuration and the S3-only views that ObjectStore does not
 * give — lifecycle rules, intelligent tiering, versioning, versions and delete markers,
 * incomplete multipart uploads, object tags.
 *
 * Layers: `layerS3(options)` (its own S3 client), `layerFs` (every call fails with
 * `UnsupportedByDriver`: a folder has no lifecycle), `layerConfig` (the driver the environment
 * names, like ObjectStore's `layerConfig`).
 */
import { Context, Effect, Layer, Stream } from "effect"
import {
  type InvalidKey,
  type ObjectNotFound,
  type StorageConfigError,
  type StoreError,
  UnsupportedByDriver
} from "./Errors.js"
import type { NotImplementedByEndpoint } from "./internal/ops-admin-errors.js"
import type {
  IncompleteUpload,
  LifecycleRule,
  ObjectVersion,
  TieringConfiguration,
  VersioningStatus
} from "./internal/ops-bucket-model.js"
import { makeS3BucketAdmin } from "./internal/ops-s3-admin.js"
import type { ObjectStoreDriver } from "./ObjectStore.js"
import { loadSettings, type S3Options } from "./StorageConfig.js"

export { NotImplementedByEndpoint } from "./internal/ops-admin-errors.js"
export type { IncompleteUpload, ObjectVersion, VersioningStatus } from "./internal/ops-bucket-model.js"

export type BucketAdminError = UnsupportedByDriver | NotImplementedByEndpoint | StoreError

export class BucketAdmin extends Context.Service<
  BucketAdmin,
  {
    readonly driver: ObjectStoreDriver
    /** `s3://bucket` or `file:///root` (the fs layer does not know its root: `file://`). */
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
    readonly getObjectTags: (
      key: string
    ) => Effect.Effect<Readonly<Record<string, string>>, InvalidKey | ObjectNotFound | BucketAdminError>
  }
>()("@localex/storage-core/BucketAdmin") {}

/** Bucket administration through its own S3 client (closed with the layer). */
export const layerS3 = (options: S3Options): Layer.Layer<BucketAdmin> =>
  Layer.effect(BucketAdmin, Effect.map(makeS3BucketAdmin(options), BucketAdmin.of))

const unsupported = (operation: string) => () => Effect.fail(new UnsupportedByDriver({ driver: "fs", operation }))
const unsupportedStream = (operation: string) => () => Stream.fail(new UnsupportedByDriver({ driver: "fs", operation }))

/** The fs driver has no bucket configuration: every call fails with `UnsupportedByDriver`. */
export const layerFs: Layer.Layer<BucketAdmin> = Layer.succeed(
  BucketAdmin,
  BucketAdmin.of({
    driver: "fs",
    location: "file://",
    getLifecycleRules: unsupported("lifecycle rules (the fs driver has no lifecycle)"),
    putLifecycleRules: unsupported("lifecycle rules (the fs driver has no lifecycle)"),
    getTieringConfigurations: unsupported("intelligent tiering"),
    putTieringConfiguration: unsupported("intelligent tiering"),
    deleteTieringConfiguration: unsupported("intelligent tiering"),
    getVersioning: unsupported("versioning"),
    listVersions: unsupportedStream("object versions"),
    listIncompleteUploads: unsupportedStream("multipart uploads"),
    getObjectTags: unsupported("reading object tags")
  })
)

/** The BucketAdmin of the driver the environment names (LOCALEX_STORAGE_DRIVER, see StorageConfig). */
export const layerConfig: Layer.Layer<BucketAdmin, StorageConfigError> = Layer.unwrap(
  Effect.map(loadSettings, (settings) => (settings.driver === "s3" ? layerS3(settings) : layerFs))
)
