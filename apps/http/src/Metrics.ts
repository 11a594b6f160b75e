/**
 * Prometheus metrics (prom-client), served at /metrics:
 *
 * - `localex_http_requests_total{method,route,status}`: requests answered, by route template
 *   (`/v1/files/*`, `unmatched` for 404s of unknown paths) and status.
 * - `localex_http_request_duration_seconds{method,route,status}`: time to the response head.
 * - `localex_store_operation_duration_seconds{operation,outcome}`: each ObjectStore call,
 *   outcome `ok` or the error's tag.
 * - the process metrics of prom-client (`process_*`, `nodejs_*`).
 */

import { ObjectStore } from "@localex/storage-core"
import { Context, Effect, Exit, Layer, Option, Stream } from "effect"
import { HttpRouter, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import { problemResponse } from "./Problems.js"
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client"

export class Metrics extends Context.Service<
  Metrics,
  {
    readonly registry: Registry
    readonly requests: Counter<"method" | "route" | "status">
    readonly requestSeconds: Histogram<"method" | "route" | "status">
    readonly storeSeconds: Histogram<"operation" | "outcome">
  }
>()("@localex/http/Metrics") {
  static readonly layer = Layer.sync(Metrics, () => {
    const registry = new Registry()
    collectDefaultMetrics({ register: registry })
    return Metrics.of({
      registry,
      requests: new Counter({
        name: "localex_http_requests_total",
        help: "HTTP requests answered, by method, route template and status",
        labelNames: ["method", "route", "status"] as const,
        registers: [registry]
      }),
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
 * Around every request: counts and times it by route template and status, answers unknown
 * paths with a 404 problem, and adds `WWW-Authenticate: Bearer` to 401s.
 */
export const RequestMetrics = HttpRouter.middleware(
  Effect.gen(function* () {
    const metrics = yield* Metrics
    return (httpEffect) =>
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
          Effect.map(Option.match({ onNone: () => "unmatched", onSome: (context) => context.route.path }))
        )
        const labels = { method: request.method, route, status: String(statusOf(exit)) }
        metrics.requests.inc(labels)
        end(labels)
        return yield* exit
      })
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
