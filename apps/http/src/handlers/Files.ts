/** /v1/files: upload, metadata, delete, sign. Bearer key required (see Auth). */

import { ObjectStore } from "@localex/storage-core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { requireScope } from "../Auth.js"
import { HttpConfig } from "../HttpConfig.js"
import { problems } from "../Problems.js"
import { upload } from "../upload.js"
import { objectInfo, signedUrl } from "../views.js"

export const FilesHandlers = HttpApiBuilder.group(
  Api,
  "files",
  Effect.fn(function* (handlers) {
    const store = yield* ObjectStore
    const config = yield* HttpConfig
    return handlers
      .handleRaw("upload", ({ query, headers, request }) =>
        upload(store, request, query.key, {
          maxBytes: config.maxUploadBytes,
          createOnly: headers["if-none-match"] === "*"
        })
      )
      .handle("stat", ({ params }) => problems(store.head(params["*"])).pipe(Effect.map(objectInfo)))
      .handle("remove", ({ params }) => problems(store.delete(params["*"])))
      .handle(
        "sign",
        Effect.fnUntraced(function* ({ payload }) {
          const method = payload.method ?? "GET"
          if (method === "PUT") yield* requireScope("write")
          const url = yield* problems(
            store.presign(payload.key, {
              method,
              ...(payload.expiresIn === undefined ? {} : { expiresIn: payload.expiresIn }),
              ...(payload.contentType === undefined ? {} : { contentType: payload.contentType })
            })
          )
          return signedUrl(url)
        })
      )
  })
)
