/**
 * One signed request on the wire, its answer read whole, on the driver's pool of raw keep-alive
 * connections (httpPool.ts; TLS ones for an https endpoint). Small puts (putObject.ts) and the
 * signed GETs of listings and bucket reads (signedRequest.ts) go this way: neither needs the SDK's
 * HTTP handler, which loads node:https and node:http2 with it, nor node:http's client.
 */
import type { HttpPool } from "./httpPool.js"
import { escapeUri } from "./presign.js"

/** A request signed for the configured endpoint: what to put on the wire. */
export interface SignedHead {
  readonly protocol: string
  readonly hostname: string
  readonly port: number | undefined
  /** The path, escaped (the query is apart). */
  readonly path: string
  readonly query: Record<string, string>
  readonly headers: Record<string, string>
}

export interface Transport {
  readonly pool: HttpPool
}

export interface Answer {
  readonly status: number
  /** Lower-case names; a repeated header keeps its first value. */
  readonly headers: Record<string, string | undefined>
  readonly body: Buffer
}

/** What node:http refuses in a header: names that are not tokens, values with control characters. */
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/

/** Path and query as they go on the wire. */
const target = (head: SignedHead): string => {
  let query = ""
  for (const name in head.query)
    query += `${query === "" ? "?" : "&"}${escapeUri(name)}=${escapeUri(head.query[name]!)}`
  return `${head.path}${query}`
}

/** The request's head as it goes on the wire (checked as node:http checks it). */
const wireHead = (method: string, head: SignedHead): string => {
  let text = `${method} ${target(head)} HTTP/1.1\r\n`
  for (const name in head.headers) {
    const value = head.headers[name]!
    if (!TOKEN.test(name) || INVALID_VALUE.test(value))
      throw Object.assign(new TypeError(`Invalid character in header content ["${name}"]`), {
        code: "ERR_INVALID_CHAR"
      })
    text += `${name}: ${value}\r\n`
  }
  return `${text}\r\n`
}

const EMPTY = new Uint8Array(0)

/** Sends the signed request and reads its whole answer; rejects only when there is none (Node's error or a stall). */
export const exchange = (
  transport: Transport,
  method: "GET" | "PUT",
  head: SignedHead,
  body: Uint8Array | undefined,
  signal: AbortSignal
): Promise<Answer> => transport.pool.request(wireHead(method, head), body ?? EMPTY, signal)
