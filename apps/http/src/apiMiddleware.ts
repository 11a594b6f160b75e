/** The middlewares around every endpoint: the body cap, and the causes of 5xx answers for the log. */
import { ByteSize, Cause, Context, Effect, Layer } from "effect"
import { HttpIncomingMessage, HttpServerError, HttpServerRequest } from "effect/http"
import { BodyLimit, RequestNotes, routeLabel, StreamedBody } from "./Api.js"
import { HttpConfig } from "./HttpConfig.js"
import { originOf, PayloadTooLarge } from "./Problems.js"
import { noteRequest } from "./requestLog.js"

const tooLarge = (limit: number, size?: number) =>
  new PayloadTooLarge({
    detail: `The request body is ${size === undefined ? "over" : `${size} bytes, over`} the limit of ${limit} bytes (LOCALEX_HTTP_MAX_BODY_BYTES): this route takes a small JSON body`
  })

/** The body reader's "over MaxBodySize" failure (the JSON decoder turns it into a defect). */
const isBodyTooLarge = (defect: unknown) =>
  HttpServerError.isHttpServerError(defect) &&
  defect.reason._tag === "RequestParseError" &&
  defect.reason.reason === "BodyTooLarge"

export const BodyLimitLive = Layer.effect(
  BodyLimit,
  Effect.gen(function* () {
    const { maxBodyBytes } = yield* HttpConfig
    const limit = ByteSize.bytes(maxBodyBytes)
    return BodyLimit.of((httpEffect, { endpoint }) => {
      if (Context.get(endpoint.annotations, StreamedBody)) return httpEffect
      return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
        const declared = Number(request.headers["content-length"])
        if (Number.isFinite(declared) && declared > maxBodyBytes) return Effect.fail(tooLarge(maxBodyBytes, declared))
        return httpEffect.pipe(
          Effect.provideService(HttpIncomingMessage.MaxBodySize, limit),
          Effect.catchDefect((defect) =>
            isBodyTooLarge(defect) ? Effect.fail(tooLarge(maxBodyBytes)) : Effect.die(defect)
          )
        )
      })
    })
  })
)

const describe = (error: unknown): string => {
  if (typeof error !== "object" || error === null) return String(error)
  const tagged = error as { readonly _tag?: string; readonly message?: string; readonly cause?: unknown }
  const head = `${tagged._tag ?? "Error"}: ${tagged.message ?? String(error)}`
  return tagged.cause === undefined ? head : `${head} (cause: ${String(tagged.cause)})`
}

export const RequestNotesLive = Layer.succeed(
  RequestNotes,
  RequestNotes.of((httpEffect, { endpoint }) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      noteRequest(request.source, { route: routeLabel(endpoint.path) })
      return Effect.tapCause(httpEffect, (cause) =>
        Effect.sync(() => {
          const [error] = Cause.prettyErrors(cause)
          const failure = cause.reasons.find(Cause.isFailReason)?.error as { readonly status?: number } | undefined
          // Typed failures below 500 are the caller's; log the store's or our own, with what caused them.
          if (failure !== undefined && (failure.status ?? 500) < 500) return
          const origin = failure === undefined ? undefined : originOf(failure)
          noteRequest(request.source, {
            cause: origin !== undefined ? describe(origin) : failure !== undefined ? describe(failure) : String(error)
          })
        })
      )
    })
  )
)
