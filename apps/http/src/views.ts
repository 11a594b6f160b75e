/** JSON views of storage-core and image-processing values, as the API's schemas describe them. */

import type { PhotoManifest } from "@localex/image-processing"
import {
  type InvalidKey,
  type ObjectStore,
  type ObjectSummary,
  objectInfoJson,
  type PresignedUrl,
  type StoreError,
  type ObjectInfo as StoreObjectInfo,
  SignedUrl as StoreSignedUrl,
  type UnsupportedByDriver
} from "@localex/storage-core"
import { Effect, Option } from "effect"
import type { ListedObject, ObjectInfo, PhotoView, SignedUrl } from "./Api.js"
import { BadRequest } from "./Problems.js"

export const objectInfo = (info: StoreObjectInfo): typeof ObjectInfo.Type => objectInfoJson(info)

export const listedObject = (entry: ObjectSummary): typeof ListedObject.Type => ({
  key: entry.key,
  size: entry.size,
  etag: entry.etag,
  lastModified: entry.lastModified.toISOString(),
  storageClass: entry.storageClass ?? null
})

/** A listing's cursor: the last key (or prefix) of the page, base64url, so it travels in a query as is. */
export const encodeCursor = (after: string): string => Buffer.from(after, "utf8").toString("base64url")

export const decodeCursor = (cursor: string): Effect.Effect<string, BadRequest> => {
  const after = Buffer.from(cursor, "base64url").toString("utf8")
  return cursor !== "" && encodeCursor(after) === cursor
    ? Effect.succeed(after)
    : Effect.fail(new BadRequest({ detail: "Not a cursor of this API: pass a listing's nextCursor as it came" }))
}

export const signedUrl = (url: PresignedUrl): typeof SignedUrl.Type => ({
  url: url.url,
  method: url.method,
  expiresAt: url.expiresAt.toISOString(),
  headers: url.headers
})

/**
 * A photo's manifest as the API shows it: each variant with a URL to download it, made for this
 * response (never stored). Under `cdnBaseUrl` when set (`<base>/<key>`), else signed by the store
 * (`urlsExpireAt`: when the first of them expires).
 */
export const photoWithUrls =
  (store: ObjectStore["Service"], cdnBaseUrl: Option.Option<string>) =>
  (manifest: PhotoManifest): Effect.Effect<typeof PhotoView.Type, InvalidKey | UnsupportedByDriver | StoreError> => {
    const view = (urls: ReadonlyArray<string>, urlsExpireAt: Date | undefined): typeof PhotoView.Type => ({
      ...manifest,
      variants: manifest.variants.map((variant, i) => ({ ...variant, url: urls[i]! })),
      urlsExpireAt: urlsExpireAt === undefined ? null : urlsExpireAt.toISOString()
    })
    if (Option.isSome(cdnBaseUrl)) {
      const base = cdnBaseUrl.value
      return Effect.succeed(
        view(
          manifest.variants.map((variant) => `${base}/${StoreSignedUrl.encodeKeyPath(variant.key)}`),
          undefined
        )
      )
    }
    return Effect.forEach(manifest.variants, (variant) => store.presign(variant.key, { method: "GET" }), {
      concurrency: "unbounded"
    }).pipe(
      Effect.map((signed) =>
        view(
          signed.map((url) => url.url),
          signed.reduce<Date | undefined>(
            (soonest, url) => (soonest === undefined || url.expiresAt < soonest ? url.expiresAt : soonest),
            undefined
          )
        )
      )
    )
  }
