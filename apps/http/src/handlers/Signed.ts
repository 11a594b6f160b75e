/**
 * /v1/signed/{key}: the fs driver's signed URLs. GET serves the object with Range (206),
 * If-None-Match / If-Modified-Since (304), ETag, Last-Modified and Cache-Control; PUT uploads.
 * The signature is checked before anything else: a bad or expired one is 403.
 */

import { type GetOptions, type ObjectInfo, ObjectStore } from "@localex/storage-core"
import { Clock, Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { etagHeader, parseEtags, parseRange } from "../conditional.js"
import { HttpConfig } from "../HttpConfig.js"
import { problemResponse, problems } from "../Problems.js"
import { SignedUrls } from "../SignedUrls.js"
import { upload } from "../upload.js"

export const SignedHandlers = HttpApiBuilder.group(
  Api,
  "signed",
  Effect.fn(function* (handlers) {
    const store = yield* ObjectStore
    const signed = yield* SignedUrls
    const config = yield* HttpConfig

    /** Cache headers of a download: the object's Cache-Control, else private until the URL expires. */
    const cacheHeaders = (info: ObjectInfo, expiresAt: Date, now: number) => ({
      etag: etagHeader(info.etag),
      "last-modified": info.lastModified.toUTCString(),
      "cache-control":
        info.cacheControl ?? `private, max-age=${Math.max(0, Math.floor((expiresAt.getTime() - now) / 1000))}`
    })

    const notModified = (info: ObjectInfo, expiresAt: Date, now: number) =>
      HttpServerResponse.empty({ status: 304, headers: cacheHeaders(info, expiresAt, now) })

    /** 416 with the object's size, so the client can ask again. */
    const unsatisfiable = (key: string, size: number) =>
      problemResponse({
        name: "range-not-satisfiable",
        status: 416,
        title: "Range not satisfiable",
        detail: `The requested range is outside "${key}" (${size} bytes)`,
        headers: { "content-range": `bytes */${size}` }
      })

    return handlers
      .handle(
        "download",
        Effect.fnUntraced(function* ({ params, query, request }) {
          const key = params["*"]
          const expiresAt = yield* signed.verify({ key, method: "GET", expires: query.expires, sig: query.sig })
          const now = yield* Clock.currentTimeMillis
          const etags = parseEtags(request.headers["if-none-match"])
          const range = parseRange(request.headers.range)
          const since = request.headers["if-modified-since"]
          const sinceDate = since === undefined ? undefined : new Date(since)
          // A list of ETags, or a suffix range, needs the object's metadata first.
          const known = (etags !== undefined && etags.length > 1) || range?._tag === "Suffix"
          const info = known ? yield* problems(store.head(key)) : undefined
          if (info !== undefined && etags !== undefined && etags.length > 1 && etags.includes(info.etag)) {
            return notModified(info, expiresAt, now)
          }
          const options: GetOptions = {
            ...(etags?.length === 1 ? { ifNoneMatch: etags[0]! } : {}),
            ...(etags === undefined && sinceDate !== undefined && !Number.isNaN(sinceDate.getTime())
              ? { ifModifiedSince: sinceDate }
              : {}),
            ...(range === undefined
              ? {}
              : range._tag === "From"
                ? { range: range.end === undefined ? { start: range.start } : { start: range.start, end: range.end } }
                : // bytes=-N: the last N bytes (N = 0 is unsatisfiable).
                  { range: { start: range.length > 0 ? Math.max(0, info!.size - range.length) : info!.size } })
          }
          const result = yield* store.get(key, options).pipe(
            Effect.map((result) => ({ _tag: "Body" as const, result })),
            Effect.catchTags({
              NotModified: () => Effect.map(store.head(key), (info) => ({ _tag: "NotModified" as const, info })),
              RangeNotSatisfiable: (error) => Effect.succeed({ _tag: "Unsatisfiable" as const, size: error.size })
            }),
            problems
          )
          if (result._tag === "NotModified") return notModified(result.info, expiresAt, now)
          if (result._tag === "Unsatisfiable") return unsatisfiable(key, result.size)
          const { info: object, body, range: served } = result.result
          return HttpServerResponse.stream(body, {
            status: served === undefined ? 200 : 206,
            contentType: object.contentType ?? "application/octet-stream",
            contentLength: served === undefined ? object.size : served.end - served.start + 1,
            headers: {
              ...cacheHeaders(object, expiresAt, now),
              "accept-ranges": "bytes",
              ...(served === undefined
                ? {}
                : { "content-range": `bytes ${served.start}-${served.end}/${served.size}` }),
              ...(object.contentDisposition === undefined ? {} : { "content-disposition": object.contentDisposition })
            }
          })
        })
      )
      .handleRaw(
        "upload",
        Effect.fnUntraced(function* ({ params, query, request }) {
          const key = params["*"]
          yield* signed.verify({
            key,
            method: "PUT",
            expires: query.expires,
            sig: query.sig,
            contentType: request.headers["content-type"]
          })
          return yield* upload(store, request, key, { maxBytes: config.maxUploadBytes })
        })
      )
  })
)
