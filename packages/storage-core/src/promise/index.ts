/**
 * `@localex/storage-core/promise`: the package for code that does not use Effect. Errors are the
 * package's own classes (a failed call rejects with the error itself: `instanceof` works).
 */
export * from "../Errors.js"
export type {
  ByteRange,
  CommonPrefix,
  CopyOptions,
  DeleteOutcome,
  GetOptions,
  ListEntry,
  ObjectInfo,
  ObjectSummary,
  PresignedUrl,
  PresignOptions,
  PutOptions,
  TransferProgress
} from "../ObjectStore.js"
export type { StorageOverrides } from "../StorageConfig.js"
export { type CallOptions, type Plain, type ServiceRuntime, serviceRuntime } from "./runtime.js"
export {
  createStorageService,
  type DownloadedFile,
  type ListFilesOptions,
  type StorageService,
  type StorageServiceSettings,
  type UploadBody
} from "./StorageService.js"
