/**
 * `/metrics` (Prometheus text) and `/health` (JSON) of a running runner, on
 * LOCALEX_CRON_HOST:LOCALEX_CRON_PORT. Closed with the scope.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"
import { CronConfig } from "./CronConfig.js"
import { JOBS } from "./Jobs.js"
import { Metrics } from "./Metrics.js"

export const serve = Effect.gen(function* () {
  const config = yield* CronConfig
  const metrics = yield* Metrics
  const startedAt = new Date().toISOString()
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0]
    if (request.method !== "GET") {
      response.writeHead(405, { allow: "GET" }).end()
    } else if (path === "/metrics") {
      metrics.registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(String(error))
      )
    } else if (path === "/health") {
      response
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ status: "ok", runner: config.runnerId, startedAt, jobs: JOBS.map((job) => job.name) }))
    } else {
      response.writeHead(404, { "content-type": "text/plain" }).end("Not found: see /metrics and /health\n")
    }
  })
  const address = yield* Effect.acquireRelease(
    Effect.callback<AddressInfo, Error>((resume) => {
      server.once("error", (error) => resume(Effect.fail(error)))
      server.listen(config.port, config.host, () => resume(Effect.succeed(server.address() as AddressInfo)))
    }),
    () =>
      Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  )
  return `http://${address.address}:${address.port}`
})
