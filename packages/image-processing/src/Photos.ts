/**
 * Photos: the marketplace's photo rules, for every app.
 *
 * - An item has any number of photos, listed in photo id order. A manifest that cannot be read
 *   does not hide the others: it is left out of the list and reported in `skipped`.
 * - A user has one profile photo. `profiles/{userId}/photo.json` (the pointer) names it, and is
 *   only ever written with compare-and-swap (`If-None-Match: *` to create it, `If-Match: <etag>`
 *   to change it). Setting a photo stores it whole first, then swaps the pointer to it; whoever
 *   swaps the pointer away from a photo deletes that photo, and nothing else. So however many
 *   replacements run at once, each photo is displaced (and deleted) by exactly one later swap, and
 *   the photo the pointer names last survives with every variant. After its (create-only) repair
 *   the setter deletes its own photo if a later swap already displaced it, since that swap's
 *   clean-up may have listed it before the repair put keys back. Readers follow the pointer.
 * - Users set before the pointer existed have none: their newest whole photo is theirs, and the
 *   first swap deletes their older photos.
 */
import * as CachePolicy from "@localex/cdn/policy"
import { type InvalidKey, Keys, ObjectStore, type StoreError } from "@localex/storage-core"
import { Context, Effect, Layer, Option, Random, Schema, Stream } from "effect"
import type { Declared } from "./detect.js"
import { InvalidManifest, type PhotoDeleteIncomplete, ProfilePhotoContention, ProfilePhotoNotFound } from "./Errors.js"
import { type DeleteError, ImagePipeline, type ManifestError, type UploadError } from "./ImagePipeline.js"
import { itemPhoto, type PhotoManifest, photosFolder, profilePhoto } from "./Manifest.js"
import type { DeletedPhoto } from "./storage.js"

type Store = ObjectStore["Service"]

/** A manifest left out of a listing because it could not be read. */
export interface SkippedManifest {
  readonly key: string
  readonly reason: string
}

export interface PhotoList {
  readonly photos: ReadonlyArray<PhotoManifest>
  readonly skipped: ReadonlyArray<SkippedManifest>
}

/** The pointer's contents: the photo that is the profile photo, or none (deleted). */
export const ProfilePointer = Schema.Struct({
  version: Schema.Literal(1),
  /** The photo's prefix, or null once the profile photo was deleted. */
  prefix: Schema.NullOr(Schema.String),
  /** ISO 8601: when the pointer was last swapped. */
  updatedAt: Schema.String
})
export type ProfilePointer = typeof ProfilePointer.Type
const ProfilePointerJson = Schema.fromJsonString(ProfilePointer)

export const POINTER_FILE = "photo.json"

/** Manifests read at once when listing. */
const READ_CONCURRENCY = 8
/** Swaps tried before giving up with ProfilePhotoContention: far more than any real contention needs. */
const MAX_SWAPS = 64
/**
 * A user without a pointer (set before it existed) may have older photos: the first swap deletes
 * those created this long before the new one. Younger ones may be uploads in flight that are about
 * to swap in turn, and are left to them.
 */
const LEGACY_AGE_MS = 15 * 60 * 1000

export type ListError = InvalidKey | StoreError
export type SetProfileError = UploadError | PhotoDeleteIncomplete | ProfilePhotoContention
export type GetProfileError = InvalidKey | InvalidManifest | ProfilePhotoNotFound | StoreError
export type DeleteProfileError =
  | InvalidKey
  | InvalidManifest
  | ProfilePhotoNotFound
  | ProfilePhotoContention
  | PhotoDeleteIncomplete
  | StoreError

/** A get without options is never NotModified or out of range; keys built from checked ids are valid. */
const cannotHappen = { NotModified: Effect.die, RangeNotSatisfiable: Effect.die } as const

interface PointerState {
  /** undefined: no pointer object yet. */
  readonly pointer: ProfilePointer | undefined
  readonly etag: string | undefined
}

const make = Effect.gen(function* () {
  const pipeline = yield* ImagePipeline
  const store: Store = yield* ObjectStore

  /** Every whole photo of a target, with the manifests that could not be read reported apart. */
  const manifests = (target: ReturnType<typeof itemPhoto>) =>
    pipeline.listPhotos(target).pipe(
      Effect.flatMap((prefixes) =>
        Effect.forEach(
          prefixes,
          (prefix) =>
            pipeline.getManifest(prefix).pipe(
              Effect.map((manifest) => ({ manifest })),
              // Deleted while listing: simply gone.
              Effect.catchTag("PhotoNotFound", () => Effect.succeed({})),
              Effect.catchTag("InvalidPhotoRef", (error) =>
                Effect.succeed({ skipped: { key: `${prefix}/manifest.json`, reason: error.message } })
              ),
              Effect.catchTag("InvalidManifest", (error) =>
                Effect.succeed({ skipped: { key: error.key, reason: error.detail } })
              )
            ),
          { concurrency: READ_CONCURRENCY }
        )
      ),
      Effect.map(
        (found): PhotoList => ({
          photos: found.flatMap((f) => ("manifest" in f && f.manifest ? [f.manifest] : [])),
          skipped: found.flatMap((f) => ("skipped" in f && f.skipped ? [f.skipped] : []))
        })
      )
    )

  const pointerKey = (userId: string) => Effect.fromResult(Keys.profile(userId, POINTER_FILE))

  const readPointer = Effect.fnUntraced(function* (userId: string) {
    const key = yield* pointerKey(userId)
    const got = yield* store
      .get(key)
      .pipe(Effect.map(Option.some), Effect.catchTags({ ObjectNotFound: () => Effect.succeedNone, ...cannotHappen }))
    if (Option.isNone(got)) return { pointer: undefined, etag: undefined } satisfies PointerState
    const chunks = yield* Stream.runCollect(got.value.body)
    const pointer = yield* Schema.decodeUnknownEffect(ProfilePointerJson)(Buffer.concat(chunks).toString("utf8")).pipe(
      Effect.mapError((error) => new InvalidManifest({ key, detail: error.message }))
    )
    return { pointer, etag: got.value.info.etag } satisfies PointerState
  })

  /** Writes the pointer if it is still `seen`; false when someone else changed it first. */
  const swapPointer = Effect.fnUntraced(function* (userId: string, seen: PointerState, prefix: string | null) {
    const key = yield* pointerKey(userId)
    const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
    const body: ProfilePointer = { version: 1, prefix, updatedAt: new Date(now).toISOString() }
    return yield* store
      .put(key, Buffer.from(JSON.stringify(body)), {
        contentType: "application/json",
        cacheControl: CachePolicy.cacheControlFor(key),
        ...(seen.etag === undefined ? { ifNoneMatch: "*" as const } : { ifMatch: seen.etag })
      })
      .pipe(
        Effect.as(true),
        Effect.catchTag("PreconditionFailed", () => Effect.succeed(false)),
        // No size cap, no metadata: neither can happen.
        Effect.catchTag(["ObjectTooLarge", "InvalidMetadata"], Effect.die)
      )
  })

  /** A short random pause between swaps, so racing writers spread out. */
  const backoff = (attempt: number) =>
    Random.nextIntBetween(0, Math.min(200, 5 * 2 ** Math.min(attempt, 6))).pipe(
      Effect.flatMap((ms) => Effect.sleep(ms))
    )

  /** Deletes a photo this caller swapped the pointer away from, unless the pointer names it again. */
  const deleteDisplaced = Effect.fnUntraced(function* (userId: string, prefix: string) {
    const now = yield* readPointer(userId)
    if (now.pointer?.prefix === prefix) return Option.none<DeletedPhoto>()
    return yield* pipeline.deletePhoto(prefix).pipe(
      Effect.map(Option.some),
      Effect.catchTag(["PhotoNotFound", "InvalidPhotoRef"], () => Effect.succeedNone)
    )
  })

  /** Photos of a user without a pointer, created well before `before` (ISO 8601). */
  const legacyPhotos = Effect.fnUntraced(function* (userId: string, before: string, keep: string) {
    const { photos } = yield* manifests(profilePhoto(userId))
    const cutoff = Date.parse(before) - LEGACY_AGE_MS
    return photos.filter((photo) => photo.prefix !== keep && Date.parse(photo.createdAt) < cutoff)
  })

  /**
   * Swaps the pointer to `prefix` (null: no photo), retrying on every lost race, and returns the
   * state it displaced.
   */
  const swap = Effect.fnUntraced(function* (userId: string, prefix: string | null) {
    for (let attempt = 1; attempt <= MAX_SWAPS; attempt++) {
      const seen = yield* readPointer(userId)
      if (seen.pointer !== undefined && seen.pointer.prefix === prefix) return seen
      if (yield* swapPointer(userId, seen, prefix)) return seen
      yield* backoff(attempt)
    }
    return yield* new ProfilePhotoContention({ userId, attempts: MAX_SWAPS })
  })

  const setProfilePhoto = Effect.fn("Photos.setProfilePhoto")(function* (
    userId: string,
    bytes: Uint8Array,
    declared: Declared = {}
  ) {
    const target = profilePhoto(userId)
    // An id that cannot be a key fails before any pixel work.
    yield* Effect.fromResult(photosFolder(target))
    const photo = yield* pipeline.process(bytes, declared)
    const manifest = yield* pipeline.upload(photo, target)
    const displaced = yield* swap(userId, manifest.prefix).pipe(
      // Never named: nobody else will ever delete it, so a give-up must not leave it behind.
      Effect.tapError(() => deleteDisplaced(userId, manifest.prefix).pipe(Effect.ignore))
    )
    // The same photo may have been displaced and deleted by a racing swap just before ours named
    // it again: put back whatever of it is missing (create-only: what is there stays).
    yield* pipeline.repair(photo, target)
    // A later swap may have displaced ours while the repair ran, and its clean-up may have listed
    // the photo before the repair put some keys back (a photo left half there). Once the repair is
    // done, whoever displaces it later lists after it; if that already happened, clean up ourselves.
    yield* deleteDisplaced(userId, manifest.prefix)
    const previous = displaced.pointer?.prefix
    if (previous !== undefined && previous !== null && previous !== manifest.prefix) {
      yield* deleteDisplaced(userId, previous)
    }
    if (displaced.pointer === undefined) {
      const legacy = yield* legacyPhotos(userId, manifest.createdAt, manifest.prefix)
      yield* Effect.forEach(legacy, (old) => deleteDisplaced(userId, old.prefix), { discard: true })
    }
    return manifest
  })

  /** The user's profile photo: the one the pointer names (or, with no pointer yet, the newest). */
  const getProfilePhoto = Effect.fn("Photos.getProfilePhoto")(function* (userId: string) {
    const { pointer } = yield* readPointer(userId)
    if (pointer === undefined) {
      const { photos } = yield* manifests(profilePhoto(userId))
      const newest = photos.reduce<PhotoManifest | undefined>(
        (latest, m) => (latest === undefined || m.createdAt >= latest.createdAt ? m : latest),
        undefined
      )
      if (newest === undefined) return yield* new ProfilePhotoNotFound({ userId })
      return newest
    }
    if (pointer.prefix === null) return yield* new ProfilePhotoNotFound({ userId })
    return yield* pipeline
      .getManifest(pointer.prefix)
      .pipe(
        Effect.catchTag(["PhotoNotFound", "InvalidPhotoRef"], () => Effect.fail(new ProfilePhotoNotFound({ userId })))
      )
  })

  const deleteProfilePhoto = Effect.fn("Photos.deleteProfilePhoto")(function* (userId: string) {
    yield* Effect.fromResult(photosFolder(profilePhoto(userId)))
    for (let attempt = 1; attempt <= MAX_SWAPS; attempt++) {
      const seen = yield* readPointer(userId)
      if (seen.pointer?.prefix === null) return yield* new ProfilePhotoNotFound({ userId })
      // Set before the pointer existed: every whole photo of the user is theirs.
      const doomed =
        seen.pointer === undefined
          ? (yield* manifests(profilePhoto(userId))).photos.map((photo) => photo.prefix)
          : [seen.pointer.prefix]
      if (doomed.length === 0) return yield* new ProfilePhotoNotFound({ userId })
      if (yield* swapPointer(userId, seen, null)) {
        const deleted = yield* Effect.forEach(doomed, (prefix) => deleteDisplaced(userId, prefix))
        return deleted.flatMap((d) => Option.toArray(d))
      }
      yield* backoff(attempt)
    }
    return yield* new ProfilePhotoContention({ userId, attempts: MAX_SWAPS })
  })

  const itemRef = (itemId: string, photoId: string) => `items/${itemId}/photos/${photoId}`

  return Photos.of({
    addItemPhoto: Effect.fn("Photos.addItemPhoto")((itemId: string, bytes: Uint8Array, declared: Declared = {}) =>
      pipeline.processAndUpload(bytes, itemPhoto(itemId), declared)
    ),
    listItemPhotos: Effect.fn("Photos.listItemPhotos")((itemId: string) => manifests(itemPhoto(itemId))),
    getItemPhoto: Effect.fn("Photos.getItemPhoto")((itemId: string, photoId: string) =>
      pipeline.getManifest(itemRef(itemId, photoId))
    ),
    deleteItemPhoto: Effect.fn("Photos.deleteItemPhoto")((itemId: string, photoId: string) =>
      pipeline.deletePhoto(itemRef(itemId, photoId))
    ),
    setProfilePhoto,
    getProfilePhoto,
    deleteProfilePhoto
  })
})

export class Photos extends Context.Service<
  Photos,
  {
    /** Processes and stores a photo of the item (all variants and a manifest, or nothing). */
    readonly addItemPhoto: (
      itemId: string,
      bytes: Uint8Array,
      declared?: Declared
    ) => Effect.Effect<PhotoManifest, UploadError>
    /** The item's photos in photo id order; unreadable manifests are reported in `skipped`. */
    readonly listItemPhotos: (itemId: string) => Effect.Effect<PhotoList, ListError>
    readonly getItemPhoto: (itemId: string, photoId: string) => Effect.Effect<PhotoManifest, ManifestError>
    /** Removes every object of the photo, the manifest last. */
    readonly deleteItemPhoto: (itemId: string, photoId: string) => Effect.Effect<DeletedPhoto, DeleteError>
    /** Makes the photo the user's one profile photo, and deletes the photo it replaces. */
    readonly setProfilePhoto: (
      userId: string,
      bytes: Uint8Array,
      declared?: Declared
    ) => Effect.Effect<PhotoManifest, SetProfileError>
    readonly getProfilePhoto: (userId: string) => Effect.Effect<PhotoManifest, GetProfileError>
    /** Removes the user's profile photo; the photos deleted (none left behind). */
    readonly deleteProfilePhoto: (userId: string) => Effect.Effect<ReadonlyArray<DeletedPhoto>, DeleteProfileError>
  }
>()("@localex/image-processing/Photos") {
  /** The photo rules over the ImagePipeline (and its ObjectStore). */
  static readonly layer: Layer.Layer<Photos, never, ImagePipeline | ObjectStore> = Layer.effect(Photos, make)
}
