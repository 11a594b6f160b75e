/**
 * `@localex/image-processing/promise`: the photo pipeline and the photo rules as plain async
 * methods, for code that does not use Effect. A failed call rejects with the package's own
 * error classes (`instanceof CorruptImage` works).
 */
import { Storage, type StorageOverrides } from "@localex/storage-core"
import { type CallOptions, serviceRuntime } from "@localex/storage-core/promise"
import { Effect, Layer } from "effect"
import type { Declared } from "../detect.js"
import type { ImageConfig } from "../ImageConfig.js"
import { ImagePipeline, type ProcessedPhoto, type UploadOptions } from "../ImagePipeline.js"
import type { PhotoManifest, PhotoTarget } from "../Manifest.js"
import type { OptimizedImage } from "../optimize.js"
import { type PhotoList, Photos } from "../Photos.js"
import type { DeletedPhoto } from "../storage.js"

export * from "@localex/storage-core/errors"
export type { CallOptions } from "@localex/storage-core/promise"
export type { Declared } from "../detect.js"
export * from "../Errors.js"
export type { ImageConfig } from "../ImageConfig.js"
export type { ProcessedPhoto, ProcessedVariant, UploadOptions } from "../ImagePipeline.js"
export { itemPhoto, type PhotoManifest, type PhotoTarget, profilePhoto } from "../Manifest.js"
export type { OptimizedImage } from "../optimize.js"
export type { PhotoList, SkippedManifest } from "../Photos.js"
export type { DeletedPhoto } from "../storage.js"

export interface ImageServiceSettings extends StorageOverrides {
  /** The pipeline's settings (defaults for any left out); omitted: read from the environment (IMAGE_*). */
  readonly image?: Partial<ImageConfig>
}

export interface ImageService extends AsyncDisposable {
  /** The same image re-encoded at the configured quality, metadata stripped; never larger than the input. */
  readonly optimizeImage: (bytes: Uint8Array, declared?: Declared & CallOptions) => Promise<OptimizedImage>
  /** Every variant encoded in memory; nothing stored. */
  readonly processImage: (bytes: Uint8Array, declared?: Declared & CallOptions) => Promise<ProcessedPhoto>
  /** Processes and stores every variant plus a manifest: all or nothing. Idempotent per photo. */
  readonly processAndUpload: (
    bytes: Uint8Array,
    target: PhotoTarget,
    options?: UploadOptions & CallOptions
  ) => Promise<PhotoManifest>
  readonly getManifest: (ref: string, options?: CallOptions) => Promise<PhotoManifest>
  readonly deletePhoto: (ref: string, options?: CallOptions) => Promise<DeletedPhoto>
  readonly addItemPhoto: (
    itemId: string,
    bytes: Uint8Array,
    declared?: Declared & CallOptions
  ) => Promise<PhotoManifest>
  readonly listItemPhotos: (itemId: string, options?: CallOptions) => Promise<PhotoList>
  readonly getItemPhoto: (itemId: string, photoId: string, options?: CallOptions) => Promise<PhotoManifest>
  readonly deleteItemPhoto: (itemId: string, photoId: string, options?: CallOptions) => Promise<DeletedPhoto>
  /** Makes the photo the user's one profile photo and deletes the one it replaces (safe under concurrent calls). */
  readonly setProfilePhoto: (
    userId: string,
    bytes: Uint8Array,
    declared?: Declared & CallOptions
  ) => Promise<PhotoManifest>
  readonly getProfilePhoto: (userId: string, options?: CallOptions) => Promise<PhotoManifest>
  readonly deleteProfilePhoto: (userId: string, options?: CallOptions) => Promise<ReadonlyArray<DeletedPhoto>>
  readonly close: () => Promise<void>
}

const declaration = ({ contentType, filename }: Declared = {}): Declared => ({ contentType, filename })

export const createImageService = ({ image, ...storage }: ImageServiceSettings = {}): ImageService => {
  const pipelineLayer = image === undefined ? ImagePipeline.layerConfig : ImagePipeline.layer(image)
  const layer = Layer.provideMerge(Photos.layer, pipelineLayer).pipe(Layer.provideMerge(Storage.layerConfig(storage)))
  const { run, close } = serviceRuntime(layer)
  const pipeline = <A, E>(use: (pipeline: ImagePipeline["Service"]) => Effect.Effect<A, E>, options?: CallOptions) =>
    run(Effect.flatMap(ImagePipeline, use), options)
  const photos = <A, E>(use: (photos: Photos["Service"]) => Effect.Effect<A, E>, options?: CallOptions) =>
    run(Effect.flatMap(Photos, use), options)
  return {
    optimizeImage: (bytes, declared) => pipeline((p) => p.optimizeImage(bytes, declaration(declared)), declared),
    processImage: (bytes, declared) => pipeline((p) => p.process(bytes, declaration(declared)), declared),
    processAndUpload: (bytes, target, options) =>
      pipeline((p) => p.processAndUpload(bytes, target, declaration(options)), options),
    getManifest: (ref, options) => pipeline((p) => p.getManifest(ref), options),
    deletePhoto: (ref, options) => pipeline((p) => p.deletePhoto(ref), options),
    addItemPhoto: (itemId, bytes, declared) =>
      photos((p) => p.addItemPhoto(itemId, bytes, declaration(declared)), declared),
    listItemPhotos: (itemId, options) => photos((p) => p.listItemPhotos(itemId), options),
    getItemPhoto: (itemId, photoId, options) => photos((p) => p.getItemPhoto(itemId, photoId), options),
    deleteItemPhoto: (itemId, photoId, options) => photos((p) => p.deleteItemPhoto(itemId, photoId), options),
    setProfilePhoto: (userId, bytes, declared) =>
      photos((p) => p.setProfilePhoto(userId, bytes, declaration(declared)), declared),
    getProfilePhoto: (userId, options) => photos((p) => p.getProfilePhoto(userId), options),
    deleteProfilePhoto: (userId, options) => photos((p) => p.deleteProfilePhoto(userId), options),
    close,
    [Symbol.asyncDispose]: close
  }
}
