/**
 * Prometheus metrics (prom-client), served at /metrics:
 *
 * - `localex_http_requests_total{method,route,status}`: requests done, by route template
 *   (`/v1/files/*`, `unmatched` for 404s of unknown paths) and status (`aborted` when the client
 *   went away before the response was complete).
 * - `localex_http_request_duration_seconds{method,route,status}`: time to the response head.
 * - `localex_store_operation_duration_seconds{operation,outcome}`: each ObjectStore call,
 *   outcome `ok`, the error's tag, `aborted` (its request went away) or `defect`.
 * - the process metrics of prom-client (`process_*`, `nodejs_*`).
 */

import { ObjectStore } from "@localex/storage-core"
import { Cause, Context, Effect, Exit, Layer, Option, Stream } from "effect"
import { HttpRouter, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client"
import { routeLabel } from "./Api.js"
import { problemResponse } from "./Problems.js"
import { rawPath } from "./rawPath.js"
import { noteRequest, type RequestRecord } from "./requestLog.js"

export class Metrics extends Context.Service<
  Metrics,
  {
    readonly registry: Registry
    readonly requests: Counter<"method" | "route" | "status">
    readonly requestSeconds: Histogram<"method" | "route" | "status">
    readonly storeSeconds: Histogram<"operation" | "outcome">
    /** Counts a request whose response is done (or abandoned by the client). */
    readonly count: (record: RequestRecord) => void
  }
>()("@localex/http/Metrics") {
  static readonly layer = Layer.sync(Metrics, () => {
    const registry = new Registry()
    collectDefaultMetrics({ register: registry })
    const requests = new Counter({
      name: "localex_http_requests_total",
      help: 'HTTP requests done, by method, route template and status ("aborted": the client went away first)',
      labelNames: ["method", "route", "status"] as const,
      registers: [registry]
    })
    return Metrics.of({
      registry,
      requests,
      count: (record) => requests.inc({ method: record.method, route: record.route, status: String(record.status) }),
      requestSeconds: new Histogram({
        name: "localex_http_request_duration_seconds",
        help: "Time from request to response head, by method, route template and status",
        labelNames: ["method", "route", "status"] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry]
      }),
      storeSeconds: new Histogram({
        name: "localex_store_operation_duration_seconds",
        help: "ObjectStore operation latency, by operation and outcome (ok or the error tag)",
        labelNames: ["operation", "outcome"] as const,
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry]
      })
    })
  })
}

const statusOf = (exit: Exit.Exit<HttpServerResponse.HttpServerResponse, unknown>): number =>
  Exit.isSuccess(exit) ? exit.value.status : HttpServerError.exitResponse(exit).status

const isRouteNotFound = (error: unknown) =>
  HttpServerError.isHttpServerError(error) && error.reason._tag === "RouteNotFound"

/**
 * Around every request: the raw path first (rawPath.ts: the router and everything inside see the
 * URL as sent), then times it by route template and status, notes its route and the cause of a
 * defect for the request log, answers unknown paths with a 404 problem, and adds
 * `WWW-Authenticate: Bearer` to 401s.
 */
export const RequestMetrics = HttpRouter.middleware(
  Effect.gen(function* () {
    const metrics = yield* Metrics
    return (httpEffect) =>
      rawPath(
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          const end = metrics.requestSeconds.startTimer()
          const exit = yield* httpEffect.pipe(
            Effect.catchIf(isRouteNotFound, () =>
              Effect.succeed(
                problemResponse({
                  name: "not-found",
                  status: 404,
                  title: "Not found",
                  detail: `No route for ${request.method} ${request.url.split("?")[0]}: see /docs`
                })
              )
            ),
            Effect.map((response) =>
              response.status === 401 ? HttpServerResponse.setHeader(response, "www-authenticate", "Bearer") : response
            ),
            Effect.exit
          )
          // The router leaves the matched route in the request's context.
          const route = yield* Effect.serviceOption(HttpRouter.RouteContext).pipe(
            Effect.map(Option.match({ onNone: () => "unmatched", onSome: (context) => routeLabel(context.route.path) }))
          )
          const status = statusOf(exit)
          // A defect (or a 5xx the endpoint did not explain) is logged with its cause; the request
          // itself is counted and logged when its response is done (requestLog.ts).
          noteRequest(request.source, {
            route,
            ...(Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause) ? { cause: Cause.pretty(exit.cause) } : {})
          })
          end({ method: request.method, route, status: String(status) })
          return yield* exit
        })
      )
  }),
  { global: true }
)

/** The ObjectStore below it, with every operation timed. */
export const meteredStore = Layer.effect(
  ObjectStore,
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const metrics = yield* Metrics
    const outcome = (exit: Exit.Exit<unknown, unknown>) => {
      if (Exit.isSuccess(exit)) return "ok"
      // Interrupted: the request went away (client disconnect, shutdown), not a failure of the store.
      if (Cause.hasInterruptsOnly(exit.cause)) return "aborted"
      const error = Exit.findErrorOption(exit)
      return Option.match(error, {
        onNone: () => "defect",
        onSome: (e) => (typeof e === "object" && e !== null && "_tag" in e ? String(e._tag) : "error")
      })
    }
    const timed =
      (operation: string) =>
      <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
        Effect.suspend(() => {
          const end = metrics.storeSeconds.startTimer({ operation })
          return Effect.onExit(effect, (exit) => Effect.sync(() => end({ outcome: outcome(exit) })))
        })
    return ObjectStore.of({
      ...store,
      put: (key, body, options) => timed("put")(store.put(key, body, options)),
      get: (key, options) => timed("get")(store.get(key, options)),
      download: (key, path, options) => timed("download")(store.download(key, path, options)),
      head: (key) => timed("head")(store.head(key)),
      exists: (key) => timed("exists")(store.exists(key)),
      list: (options) =>
        Stream.suspend(() => {
          const end = metrics.storeSeconds.startTimer({ operation: "list" })
          return store.list(options).pipe(Stream.onExit((exit) => Effect.sync(() => end({ outcome: outcome(exit) }))))
        }),
      copy: (from, to, options) => timed("copy")(store.copy(from, to, options)),
      delete: (key) => timed("delete")(store.delete(key)),
      deleteMany: (keys) => timed("deleteMany")(store.deleteMany(keys)),
      presign: (key, options) => timed("presign")(store.presign(key, options))
    })
  })
)
