/**
 * The S3 client of the s3 driver, its credentials, and `send`: the single door through which
 * every S3 request goes (abortable on interruption, retried by the one policy, failures classified).
 */
import type { Agent as HttpAgent } from "node:http"
import type { Agent as HttpsAgent } from "node:https"
import type { S3Client } from "@aws-sdk/client-s3"
import type { NodeHttpHandler } from "@smithy/node-http-handler"
import { Effect } from "effect"
import type { CredentialsCache } from "../../internal/credentials.js"
import type { S3Options } from "../../StorageConfig.js"
import { classify, type S3Failure } from "./errors.js"
import { withRetry } from "./retry.js"
import { loadSdk, type Sdk } from "./sdk.js"
import { type StallLimits, watchedHttpAgent, watchedHttpsAgent } from "./watchdog.js"

/** Sockets per host: room for `concurrency` parts of a few uploads at once, never fewer than 50. */
export const maxSocketsFor = (concurrency: number) => Math.max(50, concurrency * 4)

const RESPONSE_DATE = Symbol.for("@localex/storage-core/s3/ResponseDate")

/** The server's `Date` header of the response an output came from (S3 sends no Last-Modified on PUT). */
export const responseDate = (output: object): Date | undefined =>
  (output as { readonly [RESPONSE_DATE]?: Date })[RESPONSE_DATE]

/** Defaults that suit multi-GB transfers on slow links: a stall is "nothing moved for this long". */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000

/** The handler's own socket timeout never goes below this (it was the driver's only guard before the watchdog). */
const SOCKET_TIMEOUT_FLOOR_MS = 120_000

export const stallLimitsOf = (options: S3Options): StallLimits => ({
  connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS
})

/** The driver's keep-alive agents, each made on first use (see `watchedHttpAgent`). */
export interface Agents {
  readonly httpAgent: () => HttpAgent
  readonly httpsAgent: () => HttpsAgent
  /** Closes the sockets of those made. */
  readonly destroy: () => void
}

/** The keep-alive agents of the SDK client's handler, which small puts and signed requests over https share. */
export const makeAgents = (options: S3Options): Agents => {
  const agentOptions = { keepAlive: true, maxSockets: maxSocketsFor(options.concurrency) }
  const limits = stallLimitsOf(options)
  let httpAgent: HttpAgent | undefined
  let httpsAgent: HttpsAgent | undefined
  return {
    httpAgent: () => {
      httpAgent ??= watchedHttpAgent(agentOptions, limits)
      return httpAgent
    },
    httpsAgent: () => {
      httpsAgent ??= watchedHttpsAgent(agentOptions, limits)
      return httpsAgent
    },
    destroy: () => {
      httpAgent?.destroy()
      httpsAgent?.destroy()
    }
  }
}

/**
 * The HTTP handler of the SDK client, loaded with the SDK (it loads node:https and node:http2).
 * Its agents carry the stall watchdog (watchdog.ts); the handler's own timeouts (twice the
 * limits, the socket's at least 120 s) are only a backstop.
 */
export const makeHttpHandler = async (options: S3Options, agents: Agents): Promise<NodeHttpHandler> => {
  const { NodeHttpHandler } = await import("@smithy/node-http-handler")
  const limits = stallLimitsOf(options)
  return new NodeHttpHandler({
    httpAgent: agents.httpAgent(),
    httpsAgent: agents.httpsAgent(),
    connectionTimeout: limits.connectTimeoutMs * 2,
    // Node's socket timeout also counts time a caller leaves a body unread: keep it lenient.
    socketTimeout: Math.max(SOCKET_TIMEOUT_FLOOR_MS, limits.idleTimeoutMs * 2)
  })
}

export const makeClient = (
  sdk: Sdk,
  options: S3Options,
  credentials: CredentialsCache,
  requestHandler: NodeHttpHandler
): S3Client => {
  const checksums = options.checksums === "when_required" ? "WHEN_REQUIRED" : "WHEN_SUPPORTED"
  const client = new sdk.S3Client({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle,
    useAccelerateEndpoint: options.accelerate === true,
    credentials: credentials.get,
    // Engines without flexible checksums (Ceph RGW) refuse aws-chunked bodies: WHEN_REQUIRED.
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    // One retry policy, in Effect (internal/retry.ts): the SDK does not retry on its own.
    maxAttempts: 1,
    followRegionRedirects: options.endpoint === undefined,
    requestHandler
  })
  // Keeps the response's Date on the output (as a hidden property) for `responseDate`.
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args)
      const date = (result.response as { readonly headers?: Record<string, string | undefined> } | undefined)?.headers
        ?.date
      const output: unknown = result.output
      if (date !== undefined && typeof output === "object" && output !== null) {
        Object.defineProperty(output, RESPONSE_DATE, { value: new Date(date), enumerable: false })
      }
      return result
    },
    { step: "deserialize", name: "localexResponseDate", priority: "high", override: true }
  )
  return client
}

export type Send = <A>(
  operation: string,
  run: (client: S3Client, signal: AbortSignal) => Promise<A>
) => Effect.Effect<A, S3Failure>

/** A request the driver sends itself (signed, not through the SDK), through the same door as `Send`. */
export type Attempt = <A>(operation: string, run: (signal: AbortSignal) => Promise<A>) => Effect.Effect<A, S3Failure>

/** The request is aborted when the fiber is interrupted, failures classified once (errors.ts) and retried by the policy. */
export const makeAttempt =
  (maxAttempts: number, endpoint?: string): Attempt =>
  (operation, run) =>
    withRetry(maxAttempts)(
      Effect.tryPromise({
        try: (signal) => run(signal),
        catch: (error) => classify(operation, error, endpoint)
      })
    )

/**
 * The SDK client and its HTTP handler, made on first use (sdk.ts). `destroy` closes the agents'
 * sockets (through the client when there is one), which the signed requests use whether or not
 * the SDK was loaded.
 */
export interface LazyClient {
  readonly get: () => Promise<S3Client>
  readonly destroy: () => void
}

export const makeLazyClient = (options: S3Options, credentials: CredentialsCache, agents: Agents): LazyClient => {
  let client: S3Client | undefined
  let pending: Promise<S3Client> | undefined
  let destroyed = false
  return {
    get: () => {
      pending ??= Promise.all([loadSdk(), makeHttpHandler(options, agents)]).then(
        ([sdk, handler]) => {
          client = makeClient(sdk, options, credentials, handler)
          // Made as the scope closed: closed at once (its request then fails as interrupted).
          if (destroyed) client.destroy()
          return client
        },
        (error: unknown) => {
          pending = undefined
          throw error
        }
      )
      return pending
    },
    destroy: () => {
      destroyed = true
      client?.destroy()
      agents.destroy()
    }
  }
}

/** Sends SDK requests through `attempt`, the client (and the SDK) loaded by the first. */
export const makeSend =
  (client: LazyClient, attempt: Attempt): Send =>
  (operation, run) =>
    attempt(operation, async (signal) => run(await client.get(), signal))

/** The endpoint requests go to, as errors name it. */
export const endpointOf = (options: S3Options): string =>
  options.endpoint ?? `https://s3.${options.region}.amazonaws.com`
