/**
 * Streams a request body into the store: the body is never held in memory, and a body over
 * the limit is refused with 413 with nothing stored (up front from Content-Length when the
 * client sends it, else by the store as the bytes arrive).
 */

import type { ObjectStore } from "@localex/storage-core"
import { Effect } from "effect"
import type { HttpServerRequest } from "effect/http"
import { BadRequest, PayloadTooLarge, problems } from "./Problems.js"
import { objectInfo } from "./views.js"

export const upload = Effect.fnUntraced(function* (
  store: ObjectStore["Service"],
  request: HttpServerRequest.HttpServerRequest,
  key: string,
  options: { readonly maxBytes: number; readonly createOnly?: boolean; readonly ifMatch?: string }
) {
  const declared = request.headers["content-length"]
  const length = declared === undefined ? undefined : Number(declared)
  if (length !== undefined && length > options.maxBytes) {
    return yield* new PayloadTooLarge({
      detail: `"${key}" is ${length} bytes, over the limit of ${options.maxBytes} bytes (LOCALEX_HTTP_MAX_UPLOAD_BYTES)`
    })
  }
  const contentType = request.headers["content-type"]
  const info = yield* problems(
    store
      .put(key, request.stream, {
        maxBytes: options.maxBytes,
        ...(contentType === undefined ? {} : { contentType }),
        ...(length === undefined || !Number.isSafeInteger(length) ? {} : { contentLength: length }),
        ...(options.createOnly === true ? { ifNoneMatch: "*" as const } : {}),
        ...(options.ifMatch === undefined ? {} : { ifMatch: options.ifMatch })
      })
      .pipe(Effect.catchTag("InvalidMetadata", Effect.die)) // no metadata or tags are sent
  )
  return objectInfo(info)
})

/** The one ETag of an If-Match header (`"etag"`, or `*` for any existing object); a list or a weak tag is refused. */
export const ifMatchOf = (header: string | undefined): Effect.Effect<string | undefined, BadRequest> => {
  if (header === undefined) return Effect.succeed(undefined)
  const value = header.trim()
  if (value === "*") return Effect.succeed("*")
  const strong = /^"([^"]+)"$/.exec(value)
  return strong === null
    ? Effect.fail(
        new BadRequest({
          detail: `If-Match takes one strong ETag in quotes ("…", as GET /v1/files/{key} shows it) or *, not ${JSON.stringify(header)}`
        })
      )
    : Effect.succeed(strong[1]!)
}
