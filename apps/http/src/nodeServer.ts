/**
 * The node:http server under the app, with the limits a public server needs (all from
 * HttpConfig): headers within LOCALEX_HTTP_HEADERS_TIMEOUT, the whole request within
 * LOCALEX_HTTP_REQUEST_TIMEOUT (both answered 408 by Node), a connection silent in both
 * directions for LOCALEX_HTTP_IDLE_TIMEOUT is closed (a client that stops sending mid-body),
 * idle keep-alive connections after LOCALEX_HTTP_KEEP_ALIVE_TIMEOUT, and connections beyond
 * LOCALEX_HTTP_MAX_CONNECTIONS are closed as they arrive.
 */
import { createServer, type Server } from "node:http"
import { Duration } from "effect"
import type { HttpSettings } from "./HttpConfig.js"
import { logRequests, type RequestRecord } from "./requestLog.js"

const ms = (duration: Duration.Duration) => Duration.toMillis(duration)

export const nodeServer = (config: HttpSettings, onDone: (record: RequestRecord) => void): Server => {
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
  logRequests(server, onDone)
  return server
}
