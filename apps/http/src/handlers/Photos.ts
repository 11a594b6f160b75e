/**
 * /v1/items/{itemId}/photos and /v1/profiles/{userId}/photo: image-processing's ImagePipeline
 * over HTTP. Each response shows the stored manifest with a URL per variant (signed, or under
 * LOCALEX_HTTP_CDN_BASE_URL); the URLs are made per response and never stored.
 */

import { ImagePipeline, itemPhoto, type PhotoManifest, type PhotoTarget, profilePhoto } from "@localex/image-processing"
import { ObjectStore } from "@localex/storage-core"
import { Effect, Option, type Stream } from "effect"
import type { HttpServerRequest, Multipart } from "effect/http"
import { HttpApiBuilder, HttpApiSchema } from "effect/http-api"
import { Api } from "../Api.js"
import { HttpConfig } from "../HttpConfig.js"
import { NotFound, problems } from "../Problems.js"
import { readPhoto } from "../photoUpload.js"
import { photoWithUrls } from "../views.js"

/** Manifests read at once when listing. */
const READ_CONCURRENCY = 8

export const PhotosHandlers = HttpApiBuilder.group(
  Api,
  "photos",
  Effect.fn(function* (handlers) {
    const pipeline = yield* ImagePipeline
    const store = yield* ObjectStore
    const config = yield* HttpConfig

    const view = photoWithUrls(store, config.cdnBaseUrl)

    const upload = (
      parts: Stream.Stream<Multipart.Part, Multipart.MultipartError>,
      request: HttpServerRequest.HttpServerRequest,
      target: PhotoTarget
    ) =>
      Effect.gen(function* () {
        const file = yield* readPhoto(parts, request.headers, pipeline.config.maxInputBytes)
        const manifest = yield* problems(
          pipeline.processAndUpload(file.bytes, target, {
            contentType: file.contentType,
            filename: file.filename,
            // A user has one profile photo: the new one replaces the others once stored whole.
            replace: target.kind === "profile"
          })
        )
        return yield* problems(view(manifest))
      })

    /** The target's photos, in photo id order; one deleted while listing, or not written by the pipeline, is left out. */
    const manifests = (target: PhotoTarget) =>
      pipeline.listPhotos(target).pipe(
        Effect.flatMap((prefixes) =>
          Effect.forEach(
            prefixes,
            (prefix) =>
              pipeline.getManifest(prefix).pipe(
                Effect.map(Option.some),
                Effect.catchTag(["PhotoNotFound", "InvalidPhotoRef"], () => Effect.succeedNone)
              ),
            { concurrency: READ_CONCURRENCY }
          )
        ),
        Effect.map((found) => found.flatMap((manifest) => Option.toArray(manifest)))
      )

    const noProfilePhoto = (userId: string) =>
      new NotFound({ detail: `User "${userId}" has no profile photo: upload one with PUT /v1/profiles/{userId}/photo` })

    const itemRef = (itemId: string, photoId: string) => `items/${itemId}/photos/${photoId}`

    return handlers
      .handle("uploadItemPhoto", ({ params, payload, request }) =>
        upload(payload, request, itemPhoto(params.itemId)).pipe(
          Effect.map((photo) =>
            HttpApiSchema.withHeaders({
              body: photo,
              headers: { location: `/v1/items/${encodeURIComponent(params.itemId)}/photos/${photo.photoId}` }
            })
          )
        )
      )
      .handle("listItemPhotos", ({ params }) =>
        problems(
          manifests(itemPhoto(params.itemId)).pipe(
            Effect.flatMap((found) => Effect.forEach(found, view)),
            Effect.map((photos) => ({ photos }))
          )
        )
      )
      .handle("getItemPhoto", ({ params }) =>
        problems(pipeline.getManifest(itemRef(params.itemId, params.photoId)).pipe(Effect.flatMap(view)))
      )
      .handle("deleteItemPhoto", ({ params }) =>
        problems(pipeline.deletePhoto(itemRef(params.itemId, params.photoId))).pipe(Effect.asVoid)
      )
      .handle("putProfilePhoto", ({ params, payload, request }) =>
        upload(payload, request, profilePhoto(params.userId))
      )
      .handle("getProfilePhoto", ({ params }) =>
        Effect.gen(function* () {
          const found = yield* problems(manifests(profilePhoto(params.userId)))
          // While a replacement is being stored the old photo is still there: the newest is the one.
          const newest = found.reduce<PhotoManifest | undefined>(
            (latest, manifest) => (latest === undefined || manifest.createdAt >= latest.createdAt ? manifest : latest),
            undefined
          )
          if (newest === undefined) return yield* noProfilePhoto(params.userId)
          return yield* problems(view(newest))
        })
      )
      .handle("deleteProfilePhoto", ({ params }) =>
        Effect.gen(function* () {
          const prefixes = yield* problems(pipeline.listPhotos(profilePhoto(params.userId)))
          if (prefixes.length === 0) return yield* noProfilePhoto(params.userId)
          yield* Effect.forEach(
            prefixes,
            (prefix) =>
              problems(pipeline.deletePhoto(prefix).pipe(Effect.catchTag("PhotoNotFound", () => Effect.void))),
            { discard: true }
          )
        })
      )
  })
)
