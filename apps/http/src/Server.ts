/**
 * The server: listens first (so the fs driver's signed URLs can point at the real port), then
 * builds the store and the routes, then prints where it is. Closing its scope (SIGTERM) stops
 * accepting connections and lets in-flight requests finish, for at most
 * LOCALEX_HTTP_SHUTDOWN_TIMEOUT.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Cdn } from "@localex/cdn"
import { ImagePipeline, Photos } from "@localex/image-processing"
import { AppMetrics, Stats } from "@localex/monitoring"
import { loadSettings, ObjectStore, Storage } from "@localex/storage-core"
import { Console, Context, Effect, Layer, Option } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { HttpApiBuilder, HttpApiMiddleware, HttpApiScalar } from "effect/http-api"
import type { NetAddress } from "effect/net"
import { Api } from "./Api.js"
import { ApiKeys } from "./ApiKeys.js"
import { AuthorizationLive } from "./Auth.js"
import { BodyLimitLive, RequestNotesLive } from "./apiMiddleware.js"
import { DashboardPage } from "./dashboardPage.js"
import { makeFastLane } from "./fastDownload.js"
import { HttpConfig } from "./HttpConfig.js"
import { CdnHandlers } from "./handlers/Cdn.js"
import { DashboardHandlers } from "./handlers/Dashboard.js"
import { FilesHandlers } from "./handlers/Files.js"
import { PhotosHandlers } from "./handlers/Photos.js"
import { SignedHandlers } from "./handlers/Signed.js"
import { StatsHandlers } from "./handlers/Stats.js"
import { SystemHandlers } from "./handlers/System.js"
import { Metrics, meteredStore, RequestMetrics } from "./Metrics.js"
import { type LaneSlot, nodeServer } from "./nodeServer.js"
import { ProblemResponses } from "./Problems.js"
import { SignedUrls } from "./SignedUrls.js"

/** The base URL clients reach this server at (a wildcard host is reached on loopback). */
export const baseUrl = (address: NetAddress.SocketAddress): string =>
  HttpServer.formatAddress(address).replace(/^http:\/\/(0\.0\.0\.0|\[::\])(?=:)/, "http://127.0.0.1")

/** The fast lane of the node server (fastDownload.ts), installed by `FastDownloads` once its services exist. */
class Lane extends Context.Service<Lane, LaneSlot>()("@localex/http/Lane") {
  static readonly layer = Layer.sync(Lane, (): LaneSlot => ({ current: undefined }))
}

const Listen = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* HttpConfig
    const metrics = yield* Metrics
    const lane = yield* Lane
    return NodeHttpServer.layer(() => nodeServer(config, metrics.count, lane), {
      port: config.port,
      host: config.host,
      gracefulShutdownTimeout: config.shutdownTimeout
    })
  })
)

/**
 * Store, API keys, signed-URL verification, the photo pipeline and storage statistics, from the storage settings
 * (public URL: this server by default) and the image settings (IMAGE_*).
 */
const StorageServices = Layer.unwrap(
  Effect.gen(function* () {
    const server = yield* HttpServer.HttpServer
    const settings = yield* loadSettings({}, { publicUrl: baseUrl(server.address) })
    // One storage layer (built once): the metered ObjectStore on top of it, its BucketAdmin as is.
    const storage = Storage.layer(settings)
    // …and under it the monitoring package's (Effect metrics: bytes moved, errors; also on /metrics).
    const store = meteredStore.pipe(Layer.provide(AppMetrics.meteredStore), Layer.provide(storage))
    // Downloads that succeed on the fs driver skip the router (fastDownload.ts); on s3 every request takes the route.
    const fastDownloads = settings.driver === "fs" ? fastDownloadsLayer(settings.root) : Layer.empty
    const services = Layer.mergeAll(
      SignedUrls.layer(settings),
      ApiKeys.layer(settings),
      Photos.layer.pipe(Layer.provideMerge(ImagePipeline.layerConfig)),
      Stats.layer,
      // The cache policy the downloads serve with, and the admin CDN routes (LOCALEX_CDN_*, AWS_*).
      Cdn.layerConfig()
    ).pipe(Layer.provideMerge(store), Layer.provide(storage))
    return fastDownloads.pipe(Layer.provideMerge(services))
  })
)

const fastDownloadsLayer = (root: string) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const lane = yield* Lane
      const stopping = yield* Stopping
      lane.current = makeFastLane({
        root,
        config: yield* HttpConfig,
        signed: yield* SignedUrls,
        keys: yield* ApiKeys,
        cdn: yield* Cdn,
        metrics: yield* Metrics,
        context: yield* Effect.context<never>(),
        enabled: () => !stopping.value
      })
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          lane.current = undefined
        })
      )
    })
  )

/** Set when SIGTERM starts the shutdown: responses from then on close their connection. */
class Stopping extends Context.Service<Stopping, { value: boolean }>()("@localex/http/Stopping") {
  static readonly layer = Layer.sync(Stopping, () => ({ value: false }))
}

/** Keep-alive connections would hold the shutdown open until they time out; close them as their requests end. */
const CloseWhenStopping = HttpRouter.middleware(
  Effect.gen(function* () {
    const stopping = yield* Stopping
    return (httpEffect) =>
      Effect.map(httpEffect, (response) =>
        stopping.value ? HttpServerResponse.setHeader(response, "connection", "close") : response
      )
  }),
  { global: true }
)

/**
 * Longer than any valid item or user id (storage-core's Keys: 1–128 characters; the router's own
 * default is 100), so an over-long id reaches the handler and is refused there as 400 invalid-key.
 */
const MAX_PARAM_LENGTH = 1024

const Routes = Layer.mergeAll(
  HttpApiBuilder.layer(Api, { openapiPath: "/openapi.json" }).pipe(
    Layer.provide([
      SystemHandlers,
      FilesHandlers,
      PhotosHandlers,
      SignedHandlers,
      StatsHandlers,
      DashboardHandlers,
      CdnHandlers
    ]),
    Layer.provide([
      AuthorizationLive,
      BodyLimitLive,
      RequestNotesLive,
      HttpApiMiddleware.layerProblemDetails({ includeDetails: true })
    ])
  ),
  HttpApiScalar.layer(Api, { path: "/docs" }),
  HttpRouter.add("GET", "/", HttpServerResponse.redirect("/docs")),
  DashboardPage,
  RequestMetrics,
  ProblemResponses,
  CloseWhenStopping
)

/** Prints where the server is (and the development key), once it serves requests. */
const Banner = Layer.effectDiscard(
  Effect.gen(function* () {
    const server = yield* HttpServer.HttpServer
    const keys = yield* ApiKeys
    const store = yield* ObjectStore
    const stopping = yield* Stopping
    const url = baseUrl(server.address)
    const lines = [
      `LocalEx Storage API listening on ${url}`,
      `  store: ${store.driver} at ${store.location}`,
      `  docs:  ${url}/docs (OpenAPI: ${url}/openapi.json)`
    ]
    if (Option.isSome(keys.devKey)) {
      lines.push(
        `  development API key (all scopes; kept in the data folder): ${keys.devKey.value}`,
        `  try: curl -H "Authorization: Bearer ${keys.devKey.value}" ${url}/v1/files/hello.txt`
      )
    }
    yield* Console.log(lines.join("\n"))
    yield* Effect.addFinalizer(() =>
      Effect.andThen(
        Effect.sync(() => {
          stopping.value = true
        }),
        Console.log("LocalEx Storage API stopping: finishing in-flight requests")
      )
    )
  })
)

/** The whole app, listening until its scope closes. */
export const ServerLive = Banner.pipe(
  Layer.provide(
    HttpRouter.serve(Routes, {
      disableLogger: true,
      disableListenLog: true,
      // The path as sent: no slash merging, no trailing-slash trimming, no case folding (see rawPath.ts).
      routerConfig: {
        maxParamLength: MAX_PARAM_LENGTH,
        ignoreTrailingSlash: false,
        ignoreDuplicateSlashes: false,
        caseSensitive: true
      }
    })
  ),
  Layer.provide(StorageServices),
  Layer.provideMerge(Listen),
  Layer.provide([Metrics.layer, Stopping.layer, Lane.layer]),
  Layer.provide(HttpConfig.layer)
)
