/**
 * A photo in the ObjectStore: stored whole or not at all, its manifest read back, listed, deleted.
 */
import type { ObjectStore, PreconditionFailed } from "@localex/storage-core"
import { Clock, Effect, Exit, Schema, Stream } from "effect"
import { InvalidManifest, PhotoDeleteIncomplete, PhotoNotFound } from "./Errors.js"
import {
  IMMUTABLE,
  MANIFEST_CACHE_CONTROL,
  MANIFEST_FILE,
  manifestKey,
  type PhotoManifest,
  PhotoManifestJson,
  type PhotoTarget,
  parseRef,
  photosFolder,
  variantKey
} from "./Manifest.js"
import type { ProcessedPhoto } from "./variants.js"

type Store = ObjectStore["Service"]

export interface DeletedPhoto {
  readonly prefix: string
  /** Every key removed, the manifest last. */
  readonly keys: ReadonlyArray<string>
}

/**
 * Failures that cannot happen here: a `get` without options is never NotModified or out of range,
 * and keys built from a validated photo reference are valid. Seeing one is a bug (a defect).
 */
const cannotHappen = { NotModified: Effect.die, RangeNotSatisfiable: Effect.die, InvalidKey: Effect.die } as const

/** The stored manifest, or undefined when there is none. */
export const readManifest = (store: Store, key: string) =>
  store.get(key).pipe(
    Effect.flatMap((got) => Stream.runCollect(got.body)),
    Effect.flatMap((chunks) =>
      Schema.decodeUnknownEffect(PhotoManifestJson)(Buffer.concat(chunks).toString("utf8")).pipe(
        Effect.mapError((error) => new InvalidManifest({ key, detail: error.message }))
      )
    ),
    Effect.catchTags({ ObjectNotFound: () => Effect.succeed(undefined), ...cannotHappen })
  )

/**
 * Stores the variants (`uploadConcurrency` at a time), then the manifest. Each put is create-only
 * and uninterruptible, and is recorded once done; if anything fails or the fiber is interrupted,
 * every recorded key is deleted again. A key that already exists holds the same bytes
 * (content-addressed): a concurrent upload of the same photo wrote it, so it is not ours to remove.
 */
export const storeWhole = Effect.fnUntraced(function* (
  store: Store,
  uploadConcurrency: number,
  photo: ProcessedPhoto,
  target: PhotoTarget,
  prefix: string
) {
  const written: Array<string> = []
  const put = (key: string, data: Uint8Array, contentType: string, cacheControl: string) =>
    store.put(key, data, { contentType, cacheControl, ifNoneMatch: "*" }).pipe(
      Effect.tap(() => Effect.sync(() => written.push(key))),
      Effect.as(true),
      Effect.catchTag("PreconditionFailed", (_: PreconditionFailed) => Effect.succeed(false)),
      // No size limit is asked for, so the store has none to enforce; no metadata or tags to refuse.
      Effect.catchTag(["ObjectTooLarge", "InvalidMetadata"], Effect.die),
      Effect.uninterruptible
    )
  const rollback = Effect.suspend(() =>
    written.length === 0
      ? Effect.void
      : store.deleteMany([...written]).pipe(
          Effect.flatMap((outcomes) => {
            const left = outcomes.filter((o) => !o.deleted).map((o) => o.key)
            return left.length === 0
              ? Effect.logDebug(`Rolled back ${written.length} object(s) under ${prefix}`)
              : Effect.logError(`Rollback left ${left.length} object(s) behind: ${left.join(", ")}`)
          }),
          Effect.catch((error) => Effect.logError(`Rollback failed, left behind: ${written.join(", ")}`, error))
        )
  )

  const now = yield* Clock.currentTimeMillis
  const manifest: PhotoManifest = {
    version: 1,
    photoId: photo.photoId,
    target: { kind: target.kind, id: target.id },
    prefix,
    createdAt: new Date(now).toISOString(),
    source: photo.source,
    variants: photo.variants.map((variant) => ({
      size: variant.size,
      format: variant.format,
      key: variantKey(prefix, variant.size, variant.extension),
      contentType: variant.contentType,
      width: variant.width,
      height: variant.height,
      bytes: variant.data.length
    }))
  }

  return yield* Effect.forEach(
    photo.variants,
    (variant, i) => put(manifest.variants[i]!.key, variant.data, variant.contentType, IMMUTABLE),
    { concurrency: uploadConcurrency, discard: true }
  ).pipe(
    Effect.andThen(
      put(
        manifestKey(prefix),
        Buffer.from(JSON.stringify(manifest, null, 2)),
        "application/json",
        MANIFEST_CACHE_CONTROL
      )
    ),
    Effect.flatMap((created) =>
      // Someone stored this same photo's manifest first: theirs is the record.
      created ? Effect.succeed(manifest) : Effect.map(readManifest(store, manifestKey(prefix)), (m) => m ?? manifest)
    ),
    Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : rollback))
  )
})

/** Photos stored whole: those with a manifest (an upload still in flight has none yet), in key order. */
export const listPhotos = Effect.fnUntraced(function* (store: Store, target: PhotoTarget) {
  const folder = yield* Effect.fromResult(photosFolder(target))
  const entries = yield* Stream.runCollect(store.list({ prefix: `${folder}/` }))
  const suffix = `/${MANIFEST_FILE}`
  return entries.flatMap((entry) =>
    entry._tag === "Object" && entry.key.endsWith(suffix) && entry.key.split("/").length === 5
      ? [entry.key.slice(0, -suffix.length)]
      : []
  )
})

/** Deletes every object under a photo's prefix: the variants first, the manifest last. */
export const deletePhoto = Effect.fnUntraced(function* (store: Store, ref: string) {
  const photo = yield* Effect.fromResult(parseRef(ref))
  const listed = yield* Stream.runCollect(store.list({ prefix: `${photo.prefix}/` })).pipe(
    Effect.catchTag("InvalidKey", Effect.die)
  )
  const keys = listed.flatMap((entry) => (entry._tag === "Object" ? [entry.key] : []))
  if (keys.length === 0) return yield* new PhotoNotFound({ prefix: photo.prefix })
  // The manifest last: a delete cut short leaves the photo findable, to be finished later.
  const variants = keys.filter((k) => k !== photo.manifestKey)
  const manifest = keys.filter((k) => k === photo.manifestKey)
  for (const batch of [variants, manifest]) {
    if (batch.length === 0) continue
    const outcomes = yield* store.deleteMany(batch).pipe(Effect.catchTag("InvalidKey", Effect.die))
    const failed = outcomes.filter((o) => !o.deleted).map((o) => o.key)
    if (failed.length > 0) return yield* new PhotoDeleteIncomplete({ prefix: photo.prefix, failed })
  }
  return { prefix: photo.prefix, keys: [...variants, ...manifest] } satisfies DeletedPhoto
})
