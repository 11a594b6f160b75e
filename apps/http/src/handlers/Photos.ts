/**
 * /v1/items/{itemId}/photos and /v1/profiles/{userId}/photo: image-processing's Photos service
 * over HTTP (the photo rules live there). Each response shows the stored manifest with a URL per
 * variant (signed, or under LOCALEX_HTTP_CDN_BASE_URL); the URLs are made per response and never
 * stored.
 */

import { ImagePipeline, Photos } from "@localex/image-processing"
import { ObjectStore } from "@localex/storage-core"
import { Effect } from "effect"
import { HttpApiBuilder, HttpApiSchema } from "effect/http-api"
import { Api } from "../Api.js"
import { HttpConfig } from "../HttpConfig.js"
import { problems } from "../Problems.js"
import { type PhotoFile, readPhoto } from "../photoUpload.js"
import { photoWithUrls } from "../views.js"

/** What the client said about the file: the bytes decide, but a claim that disagrees is refused. */
const declared = (file: PhotoFile) => ({ contentType: file.contentType, filename: file.filename })

export const PhotosHandlers = HttpApiBuilder.group(
  Api,
  "photos",
  Effect.fn(function* (handlers) {
    const photos = yield* Photos
    const { config } = yield* ImagePipeline
    const store = yield* ObjectStore
    const { cdnBaseUrl } = yield* HttpConfig
    const view = photoWithUrls(store, cdnBaseUrl)

    return handlers
      .handle("uploadItemPhoto", ({ params, payload, request }) =>
        Effect.gen(function* () {
          const file = yield* readPhoto(payload, request.headers, config.maxInputBytes)
          const photo = yield* problems(
            photos.addItemPhoto(params.itemId, file.bytes, declared(file)).pipe(Effect.flatMap(view))
          )
          return HttpApiSchema.withHeaders({
            body: photo,
            headers: { location: `/v1/items/${encodeURIComponent(params.itemId)}/photos/${photo.photoId}` }
          })
        })
      )
      .handle("listItemPhotos", ({ params }) =>
        problems(
          Effect.gen(function* () {
            const list = yield* photos.listItemPhotos(params.itemId)
            return { photos: yield* Effect.forEach(list.photos, view), skipped: list.skipped }
          })
        )
      )
      .handle("getItemPhoto", ({ params }) =>
        problems(photos.getItemPhoto(params.itemId, params.photoId).pipe(Effect.flatMap(view)))
      )
      .handle("deleteItemPhoto", ({ params }) =>
        problems(photos.deleteItemPhoto(params.itemId, params.photoId)).pipe(Effect.asVoid)
      )
      .handle("putProfilePhoto", ({ params, payload, request }) =>
        Effect.gen(function* () {
          const file = yield* readPhoto(payload, request.headers, config.maxInputBytes)
          return yield* problems(
            photos.setProfilePhoto(params.userId, file.bytes, declared(file)).pipe(Effect.flatMap(view))
          )
        })
      )
      .handle("getProfilePhoto", ({ params }) =>
        problems(photos.getProfilePhoto(params.userId).pipe(Effect.flatMap(view)))
      )
      .handle("deleteProfilePhoto", ({ params }) =>
        problems(photos.deleteProfilePhoto(params.userId)).pipe(Effect.asVoid)
      )
  })
)
