/**
 * ImagePipeline: validate → decode once → variants × formats → store, whole or not at all.
 */
import { type InvalidKey, ObjectStore, type StoreError } from "@localex/storage-core"
import { Context, Effect, Layer, Semaphore } from "effect"
import sharp from "sharp"
import type { Declared } from "./detect.js"
import type {
  ImageConfigError,
  ImageRejected,
  InvalidManifest,
  InvalidPhotoRef,
  PhotoDeleteIncomplete,
  ProcessError
} from "./Errors.js"
import { PhotoNotFound, ProcessingTimeout } from "./Errors.js"
import * as ImageConfig from "./ImageConfig.js"
import { manifestKey, type PhotoManifest, type PhotoTarget, parseRef, photosFolder } from "./Manifest.js"
import { type OptimizedImage, optimize } from "./optimize.js"
import type { DeletedPhoto } from "./storage.js"
import * as Storage from "./storage.js"
import { type Inspected, inspect } from "./validate.js"
import { contentTypes, extensions, type ProcessedPhoto, render } from "./variants.js"

export type { DeletedPhoto } from "./storage.js"
export type { ProcessedPhoto, ProcessedVariant } from "./variants.js"

export type UploadOptions = Declared

/** Storing a processed photo: a target that cannot be a key, a damaged manifest in the way, the store. */
export type StorePhotoError = InvalidKey | InvalidManifest | StoreError
export type UploadError = ProcessError | StorePhotoError
export type ManifestError = InvalidPhotoRef | PhotoNotFound | InvalidManifest | StoreError
export type DeleteError = InvalidPhotoRef | PhotoNotFound | PhotoDeleteIncomplete | StoreError

const make = Effect.fnUntraced(function* (config: ImageConfig.ImageConfig) {
  const store = yield* ObjectStore
  yield* Effect.sync(() => sharp.concurrency(config.threads))
  const inFlight = yield* Semaphore.make(config.concurrency)

  /** CPU work holds one of IMAGE_CONCURRENCY permits and is bounded by IMAGE_TIMEOUT_MS (queueing is not counted). */
  const bounded = <A, E>(work: Effect.Effect<A, E>) =>
    work.pipe(
      Effect.timeoutOrElse({
        duration: config.timeoutMs,
        orElse: () => Effect.fail(new ProcessingTimeout({ timeoutMs: config.timeoutMs }))
      }),
      inFlight.withPermits(1)
    )

  const inspectImage = Effect.fn("ImagePipeline.inspect")(function* (bytes: Uint8Array, declared: Declared = {}) {
    return yield* inspect(bytes, declared, config)
  })

  const processImage = Effect.fn("ImagePipeline.process")(function* (bytes: Uint8Array, declared: Declared = {}) {
    const header = yield* inspect(bytes, declared, config)
    const rendered = yield* bounded(render(bytes, header, config))
    return {
      photoId: rendered.id,
      source: {
        format: header.format,
        width: header.orientedWidth,
        height: header.orientedHeight,
        bytes: header.bytes
      },
      hasAlpha: rendered.hasAlpha,
      variants: rendered.variants.map((variant) => ({
        ...variant,
        contentType: contentTypes[variant.format],
        extension: extensions[variant.format]
      }))
    } satisfies ProcessedPhoto
  })

  const optimizeImage = Effect.fn("ImagePipeline.optimizeImage")(function* (
    bytes: Uint8Array,
    declared: Declared = {}
  ) {
    const header = yield* inspect(bytes, declared, config)
    return yield* bounded(optimize(bytes, header, config))
  })

  const listPhotos = Effect.fn("ImagePipeline.listPhotos")((target: PhotoTarget) => Storage.listPhotos(store, target))
  const deletePhoto = Effect.fn("ImagePipeline.deletePhoto")((ref: string) => Storage.deletePhoto(store, ref))

  const getManifest = Effect.fn("ImagePipeline.getManifest")(function* (ref: string) {
    const photo = yield* Effect.fromResult(parseRef(ref))
    const manifest = yield* Storage.readManifest(store, photo.manifestKey)
    if (manifest === undefined) return yield* new PhotoNotFound({ prefix: photo.prefix })
    return manifest
  })

  const upload = Effect.fn("ImagePipeline.upload")(function* (photo: ProcessedPhoto, target: PhotoTarget) {
    const folder = yield* Effect.fromResult(photosFolder(target))
    const prefix = `${folder}/${photo.photoId}`
    // The same photo again: it is already stored whole (a manifest is written last).
    const existing = yield* Storage.readManifest(store, manifestKey(prefix))
    return existing ?? (yield* Storage.storeWhole(store, config.uploadConcurrency, photo, target, prefix))
  })

  const repair = Effect.fn("ImagePipeline.repair")((photo: ProcessedPhoto, target: PhotoTarget) =>
    Effect.fromResult(photosFolder(target)).pipe(
      Effect.flatMap((folder) =>
        Storage.storeWhole(store, config.uploadConcurrency, photo, target, `${folder}/${photo.photoId}`)
      )
    )
  )

  const processAndUpload = Effect.fn("ImagePipeline.processAndUpload")(function* (
    bytes: Uint8Array,
    target: PhotoTarget,
    options: UploadOptions = {}
  ) {
    // A target that cannot be a key fails before any pixel work.
    yield* Effect.fromResult(photosFolder(target))
    return yield* upload(yield* processImage(bytes, options), target)
  })

  return ImagePipeline.of({
    config,
    inspect: inspectImage,
    process: processImage,
    optimizeImage,
    processAndUpload,
    upload,
    repair,
    getManifest,
    deletePhoto,
    listPhotos
  })
})

export class ImagePipeline extends Context.Service<
  ImagePipeline,
  {
    readonly config: ImageConfig.ImageConfig
    /** The checks made before decoding (size, format by magic bytes, declaration, pixels from the header). */
    readonly inspect: (bytes: Uint8Array, declared?: Declared) => Effect.Effect<Inspected, ImageRejected>
    /** Every variant of the image, encoded in memory; nothing is stored. */
    readonly process: (bytes: Uint8Array, declared?: Declared) => Effect.Effect<ProcessedPhoto, ProcessError>
    /** The image re-encoded in its own format at the configured quality; never larger than the input. */
    readonly optimizeImage: (bytes: Uint8Array, declared?: Declared) => Effect.Effect<OptimizedImage, ProcessError>
    /** Processes and stores every variant plus a manifest; all of them or none. Idempotent per photo. */
    readonly processAndUpload: (
      bytes: Uint8Array,
      target: PhotoTarget,
      options?: UploadOptions
    ) => Effect.Effect<PhotoManifest, UploadError>
    /** Stores a processed photo's variants and manifest, all of them or none; a photo already stored is left as it is. */
    readonly upload: (photo: ProcessedPhoto, target: PhotoTarget) => Effect.Effect<PhotoManifest, StorePhotoError>
    /**
     * Puts back whatever of a stored photo is missing (create-only puts: present objects are kept),
     * for a caller that holds the processed photo and must be sure it is whole, e.g. after a race
     * with a delete of the same photo.
     */
    readonly repair: (photo: ProcessedPhoto, target: PhotoTarget) => Effect.Effect<PhotoManifest, StorePhotoError>
    /** The manifest of a stored photo, by its prefix or its manifest key. */
    readonly getManifest: (ref: string) => Effect.Effect<PhotoManifest, ManifestError>
    /** Removes every object of a photo (variants first, the manifest last). */
    readonly deletePhoto: (ref: string) => Effect.Effect<DeletedPhoto, DeleteError>
    /** The prefixes of the target's photos that are stored whole (have a manifest), in key order. */
    readonly listPhotos: (target: PhotoTarget) => Effect.Effect<ReadonlyArray<string>, InvalidKey | StoreError>
  }
>()("@localex/image-processing/ImagePipeline") {
  /** The pipeline with these settings (the defaults for any left out); needs an ObjectStore. */
  static readonly layer = (
    config: Partial<ImageConfig.ImageConfig> = {}
  ): Layer.Layer<ImagePipeline, ImageConfigError, ObjectStore> =>
    Layer.effect(ImagePipeline, Effect.flatMap(ImageConfig.make(config), make))

  /** The pipeline with the settings of the environment (IMAGE_*); needs an ObjectStore. */
  static readonly layerConfig: Layer.Layer<ImagePipeline, ImageConfigError, ObjectStore> = Layer.effect(
    ImagePipeline,
    Effect.flatMap(ImageConfig.load, make)
  )
}
