/**
 * Where a photo lives and the manifest stored beside its variants.
 *
 *   items/{itemId}/photos/{photoId}/{size}.{ext}        size: large | medium | thumbnail
 *   profiles/{userId}/photos/{photoId}/{size}.{ext}     ext: avif | webp | jpg | png
 *   …/photos/{photoId}/manifest.json
 *
 * `photoId` is the SHA-256 (hex) of the normalised pixels and of the settings that shape the
 * variants, so the same photo uploaded twice lands on the same keys, and a key never changes content.
 */
import * as CachePolicy from "@localex/cdn/policy"
import { Keys } from "@localex/storage-core"
import { Result, Schema } from "effect"
import { InvalidPhotoRef } from "./Errors.js"

/** Variants never change under their key: what the CDN cache policy gives them (a year, immutable). */
export const IMMUTABLE = CachePolicy.cacheControlFor(`items/0/photos/${"0".repeat(64)}/large.webp`)
/** The manifest says whether the photo still exists: browsers revalidate it, the CDN keeps it briefly (the cache policy's). */
export const MANIFEST_CACHE_CONTROL = CachePolicy.cacheControlFor(`items/0/photos/${"0".repeat(64)}/manifest.json`)
export const MANIFEST_FILE = "manifest.json"

export const PhotoTarget = Schema.Struct({
  kind: Schema.Literals(["item", "profile"]),
  /** The item id or the user id. */
  id: Schema.String
})
export type PhotoTarget = typeof PhotoTarget.Type

/** An item's photo: `items/{itemId}/photos/…`. */
export const itemPhoto = (itemId: string): PhotoTarget => ({ kind: "item", id: itemId })
/** A user's profile photo: `profiles/{userId}/photos/…`. */
export const profilePhoto = (userId: string): PhotoTarget => ({ kind: "profile", id: userId })

const Dimension = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

export const PhotoVariant = Schema.Struct({
  size: Schema.Literals(["large", "medium", "thumbnail"]),
  format: Schema.Literals(["avif", "webp", "jpeg", "png"]),
  key: Schema.String,
  contentType: Schema.String,
  width: Dimension,
  height: Dimension,
  bytes: Dimension
})
export type PhotoVariant = typeof PhotoVariant.Type

export const PhotoManifest = Schema.Struct({
  version: Schema.Literal(1),
  /** The content address (SHA-256 hex). */
  photoId: Schema.String,
  target: PhotoTarget,
  /** The folder holding the variants and this manifest (no trailing "/"). */
  prefix: Schema.String,
  /** ISO 8601, UTC. */
  createdAt: Schema.String,
  /** The upload as received: its format, its size, and its dimensions once oriented. */
  source: Schema.Struct({
    format: Schema.Literals(["jpeg", "png", "webp", "avif", "gif"]),
    width: Dimension,
    height: Dimension,
    bytes: Dimension
  }),
  variants: Schema.Array(PhotoVariant)
})
export type PhotoManifest = typeof PhotoManifest.Type

export const PhotoManifestJson = Schema.fromJsonString(PhotoManifest)

/** `items/{itemId}/photos` or `profiles/{userId}/photos`; `InvalidKey` for an id that cannot be a key segment. */
export const photosFolder = (target: PhotoTarget) =>
  target.kind === "item" ? Keys.item(target.id, "photos") : Keys.profile(target.id, "photos")

export const variantKey = (prefix: string, size: string, extension: string) => `${prefix}/${size}.${extension}`
export const manifestKey = (prefix: string) => `${prefix}/${MANIFEST_FILE}`

export interface PhotoRef {
  readonly target: PhotoTarget
  readonly photoId: string
  readonly prefix: string
  readonly manifestKey: string
}

const REF = /^(items|profiles)\/([^/]+)\/photos\/([0-9a-f]{64})(?:\/|\/manifest\.json)?$/

/** Parses a photo's prefix (`items/{itemId}/photos/{photoId}`, a trailing "/" allowed) or its manifest key. */
export const parseRef = (ref: string): Result.Result<PhotoRef, InvalidPhotoRef> => {
  const match = REF.exec(ref)
  if (!match) {
    return Result.fail(
      new InvalidPhotoRef({
        ref,
        reason: "expected items/{itemId}/photos/{photoId} or profiles/{userId}/photos/{photoId}, or its /manifest.json"
      })
    )
  }
  const target: PhotoTarget = match[1] === "items" ? itemPhoto(match[2]!) : profilePhoto(match[2]!)
  const photoId = match[3]!
  return Result.match(photosFolder(target), {
    onFailure: (error) => Result.fail(new InvalidPhotoRef({ ref, reason: error.reason })),
    onSuccess: (folder) => {
      const prefix = `${folder}/${photoId}`
      return Result.succeed({ target, photoId, prefix, manifestKey: manifestKey(prefix) })
    }
  })
}
