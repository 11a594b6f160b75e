/** /health and /metrics: no authentication. */

import { AppMetrics } from "@localex/monitoring"
import { ObjectStore } from "@localex/storage-core"
import { Duration, Effect, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { Metrics } from "../Metrics.js"
import { ServiceUnavailable } from "../Problems.js"

export const SystemHandlers = HttpApiBuilder.group(
  Api,
  "system",
  Effect.fn(function* (handlers) {
    const store = yield* ObjectStore
    const metrics = yield* Metrics
    return handlers
      .handle("health", () =>
        store.list({ pageSize: 1 }).pipe(
          Stream.take(1),
          Stream.runDrain,
          Effect.timeout(Duration.seconds(5)),
          Effect.as({ status: "ok" as const, driver: store.driver }),
          Effect.mapError((error) => new ServiceUnavailable({ detail: `The store does not answer: ${error.message}` }))
        )
      )
      .handle("metrics", () =>
        // The app's prom-client registry, then every Effect metric (the packages' application metrics).
        Effect.zipWith(
          Effect.promise(() => metrics.registry.metrics()),
          AppMetrics.prometheusText,
          (app, effect) => HttpServerResponse.text(`${app}\n${effect}`, { contentType: metrics.registry.contentType })
        )
      )
  })
)
