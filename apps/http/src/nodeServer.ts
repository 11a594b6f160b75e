/**
 * The node:http server under the app, with the limits a public server needs (all from
 * HttpConfig): headers within LOCALEX_HTTP_HEADERS_TIMEOUT, the whole request within
 * LOCALEX_HTTP_REQUEST_TIMEOUT (both answered 408 by Node), a connection silent in both
 * directions for LOCALEX_HTTP_IDLE_TIMEOUT is closed (a client that stops sending mid-body),
 * idle keep-alive connections after LOCALEX_HTTP_KEEP_ALIVE_TIMEOUT, and connections beyond
 * LOCALEX_HTTP_MAX_CONNECTIONS are closed as they arrive.
 *
 * Every request is logged (requestLog.ts), then offered to the fast lane (fastDownload.ts), and
 * otherwise handed to the request listeners (the Effect app's).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { Duration } from "effect"
import type { FastLane } from "./fastDownload.js"
import type { HttpSettings } from "./HttpConfig.js"
import { type RequestRecord, requestLogger } from "./requestLog.js"

const ms = (duration: Duration.Duration) => Duration.toMillis(duration)

/** Where the fast lane is installed once the store and the keys are ready (until then every request goes to the app). */
export interface LaneSlot {
  current: FastLane | undefined
}

export const nodeServer = (config: HttpSettings, onDone: (record: RequestRecord) => void, lane: LaneSlot): Server => {
  const server = createServer({
    headersTimeout: ms(config.headersTimeout),
    requestTimeout: ms(config.requestTimeout),
    keepAliveTimeout: ms(config.keepAliveTimeout),
    // How often Node checks the two timeouts above (its default, 30 s, would let them overrun by that much).
    connectionsCheckingInterval: Math.min(1000, ms(config.headersTimeout))
  })
  server.maxConnections = config.maxConnections
  // With no "timeout" listener, Node destroys a socket that has been idle this long.
  server.setTimeout(ms(config.idleTimeout))
  const log = requestLogger(onDone)
  // Node emits "request" to every listener; the lane must be asked first, and may keep the request from them.
  const emit = server.emit.bind(server) as (event: string | symbol, ...args: Array<unknown>) => boolean
  server.emit = ((event: string | symbol, ...args: Array<unknown>) => {
    if (event !== "request") return emit(event, ...args)
    const [request, response] = args as [IncomingMessage, ServerResponse]
    log(request, response)
    const passOn = () => emit(event, request, response)
    return lane.current?.(request, response, () => void passOn()) === true || passOn()
  }) as Server["emit"]
  return server
}
