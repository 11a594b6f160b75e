/** /v1/files and /v1/content: upload, list, metadata, download, delete, sign. Bearer key required (see Auth). */

import { Cdn } from "@localex/cdn"
import { ObjectStore } from "@localex/storage-core"
import { Effect, Stream } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { requireScope } from "../Auth.js"
import { policyHeaders, serveObject } from "../download.js"
import { HttpConfig } from "../HttpConfig.js"
import { BadRequest, problems } from "../Problems.js"
import { pathKey } from "../rawPath.js"
import { ifMatchOf, upload } from "../upload.js"
import { decodeCursor, encodeCursor, listedObject, objectInfo, signedUrl } from "../views.js"

const FILES = "/v1/files/"
const CONTENT = "/v1/content/"
const DEFAULT_LIMIT = 100

export const FilesHandlers = HttpApiBuilder.group(
  Api,
  "files",
  Effect.fn(function* (handlers) {
    const store = yield* ObjectStore
    const config = yield* HttpConfig
    const cdn = yield* Cdn
    return handlers
      .handleRaw(
        "upload",
        Effect.fnUntraced(function* ({ query, headers, request }) {
          const ifMatch = yield* ifMatchOf(headers["if-match"])
          if (ifMatch !== undefined && headers["if-none-match"] !== undefined) {
            return yield* new BadRequest({ detail: "Send If-Match or If-None-Match, not both" })
          }
          return yield* upload(store, request, query.key, {
            maxBytes: config.maxUploadBytes,
            createOnly: headers["if-none-match"] === "*",
            ...(ifMatch === undefined ? {} : { ifMatch })
          })
        })
      )
      .handle(
        "list",
        Effect.fnUntraced(function* ({ query }) {
          const limit = query.limit ?? DEFAULT_LIMIT
          const startAfter = query.cursor === undefined ? undefined : yield* decodeCursor(query.cursor)
          // One entry past the page says whether there is a next one.
          const entries = yield* store
            .list({
              ...(query.prefix === undefined ? {} : { prefix: query.prefix }),
              ...(query.delimiter === undefined ? {} : { delimiter: query.delimiter }),
              ...(startAfter === undefined ? {} : { startAfter }),
              pageSize: Math.min(limit + 1, 1000)
            })
            .pipe(Stream.take(limit + 1), Stream.runCollect, problems)
          const page = Array.from(entries).slice(0, limit)
          const last = page.at(-1)
          return {
            objects: page.flatMap((entry) => (entry._tag === "Object" ? [listedObject(entry)] : [])),
            prefixes: page.flatMap((entry) => (entry._tag === "Prefix" ? [entry.prefix] : [])),
            nextCursor:
              entries.length > limit && last !== undefined
                ? encodeCursor(last._tag === "Object" ? last.key : last.prefix)
                : null
          }
        })
      )
      .handle("content", ({ request }) =>
        pathKey(request, CONTENT).pipe(
          Effect.flatMap((key) =>
            // Read with an API key: the cache policy's browser TTL, but no shared cache may keep it.
            serveObject(store, key, request, {
              config,
              cachePolicy: () => policyHeaders(cdn.decide(key), false)
            })
          )
        )
      )
      .handle("stat", ({ request }) =>
        pathKey(request, FILES).pipe(
          Effect.flatMap((key) => problems(store.head(key))),
          Effect.map(objectInfo)
        )
      )
      .handle("remove", ({ request }) =>
        pathKey(request, FILES).pipe(Effect.flatMap((key) => problems(store.delete(key))))
      )
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
