/**
 * Streams a request body into the store: the body is never held in memory, and a body over
 * the limit is refused with 413 with nothing stored (up front from Content-Length when the
 * client sends it, else by the store as the bytes arrive).
 */

import type { ObjectStore } from "@localex/storage-core"
import { Effect } from "effect"
import type { HttpServerRequest } from "effect/http"
import { PayloadTooLarge, problems } from "./Problems.js"
import { objectInfo } from "./views.js"

export const upload = Effect.fnUntraced(function* (
  store: ObjectStore["Service"],
  request: HttpServerRequest.HttpServerRequest,
  key: string,
  options: { readonly maxBytes: number; readonly createOnly?: boolean }
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
        ...(options.createOnly === true ? { ifNoneMatch: "*" as const } : {})
      })
      .pipe(Effect.catchTag("InvalidMetadata", Effect.die)) // no metadata or tags are sent
  )
  return objectInfo(info)
})
