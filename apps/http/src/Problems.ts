/**
 * Every error this API answers with is an RFC 9457 problem (`application/problem+json`:
 * type, title, status, detail). Each domain's errors are mapped by its own table
 * (problems/store.ts for storage-core, problems/photos.ts for image-processing), once, to the
 * status that says whose fault it is. Every 503 also carries `Retry-After` (`ProblemResponses`).
 */

import type { PhotoError } from "@localex/image-processing"
import { Effect } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { problemResponse } from "./problems/base.js"
import { type CdnFault, cdnTable } from "./problems/cdn.js"
import { photoTable } from "./problems/photos.js"
import { type StoreFault, storeTable } from "./problems/store.js"

export * from "./problems/base.js"
export * from "./problems/cdn.js"
export * from "./problems/photos.js"
export * from "./problems/store.js"

const table = { ...storeTable, ...photoTable, ...cdnTable }

/** The errors the tables map. */
export type KnownError = StoreFault | PhotoError | CdnFault

type Mapped<E extends KnownError> = E extends KnownError ? ReturnType<(typeof table)[E["_tag"]]> : never

/** The error each problem was made from: the request log shows it (with its cause) for a 5xx. */
const origins = new WeakMap<object, KnownError>()

/** The store or image error `problem` was made from, if any. */
export const originOf = (problem: object): KnownError | undefined => origins.get(problem)

/** The problem for a store or image error: its message becomes the problem's `detail`. */
export const toProblem = <E extends KnownError>(error: E): Mapped<E> => {
  // The table has an entry for each tag of KnownError (checked where each table is declared).
  const entry = table[error._tag] as unknown as (error: E) => Mapped<E>
  const problem = entry(error)
  origins.set(problem as object, error)
  return problem
}

/** Maps a store or image call's errors to problems. */
export const problems = <A, E extends KnownError, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.mapError(effect, toProblem)

/** Seconds a client is asked to wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5

const isPlainText = (response: HttpServerResponse.HttpServerResponse) =>
  (response.headers["content-type"] ?? "").startsWith("text/plain")

/**
 * Around every response:
 * - a 503 (store throttled or down, image processing timed out, a delete to finish, shutting
 *   down) says when to try again: `Retry-After`, unless it already has one;
 * - a 413 closes the connection, so the rest of a body too large to read is not read either;
 * - the request decoder's plain-text 415 (a body in a content type the route does not take,
 *   e.g. raw bytes to a photo route) becomes a problem like every other error.
 */
export const ProblemResponses = HttpRouter.middleware(
  Effect.succeed((httpEffect) =>
    Effect.gen(function* () {
      const response = yield* httpEffect
      if (response.status === 503 && response.headers["retry-after"] === undefined) {
        return HttpServerResponse.setHeader(response, "retry-after", String(RETRY_AFTER_SECONDS))
      }
      if (response.status === 413) return HttpServerResponse.setHeader(response, "connection", "close")
      if (response.status === 415 && isPlainText(response)) {
        const request = yield* HttpServerRequest.HttpServerRequest
        const sent = request.headers["content-type"]
        return problemResponse({
          name: "unsupported-media-type",
          status: 415,
          title: "Unsupported media type",
          detail: `This route does not take ${sent === undefined ? "a body without a Content-Type" : `Content-Type "${sent}"`}: see /docs (photo uploads are multipart/form-data, e.g. curl -F "file=@photo.jpg")`
        })
      }
      return response
    })
  ),
  { global: true }
)
