export {
  BucketAdmin,
  type BucketAdminError,
  type CopyVersionOptions,
  type IncompleteUpload,
  type MfaDeleteStatus,
  type ObjectVersion,
  type VersionCopied,
  type VersioningConfiguration,
  type VersioningStatus
} from "./BucketAdmin.js"
export {
  LifecycleRule,
  MetricsConfiguration,
  ReplicationConfiguration,
  ReplicationRule,
  StorageTransition,
  TieringConfiguration
} from "./BucketModel.js"
export * as ContentChecksum from "./ContentChecksum.js"
export * as DeletionPlan from "./DeletionPlan.js"
export { ManifestUnreadable, SafetyLimitExceeded } from "./DeletionPlan.js"
export * from "./Errors.js"
export { readBody, readText, write as writeObject } from "./internal/objectIo.js"
export type { Key } from "./Keys.js"
export * as Keys from "./Keys.js"
export * as Lease from "./Lease.js"
export { LeaseHeld, LeaseLost, LeaseUnreadable } from "./Lease.js"
export * as Listing from "./Listing.js"
export * from "./ObjectStore.js"
export * from "./Retries.js"
export * as SignedUrl from "./SignedUrl.js"
export * as Storage from "./Storage.js"
export * from "./StorageConfig.js"
export * as Units from "./Units.js"
