/**
 * A keep-alive HTTP/1.1 connection pool on raw sockets (rawSocket.ts: plain, or TLS for an https
 * endpoint), for the single-part PUTs and signed GETs of the s3 driver (putObject.ts,
 * exchange.ts). node:http's client (ClientRequest, the agent, its parser and the events between
 * them) cost more client CPU than a small PUT itself; here one request is one write (head and body
 * together) and its answer is read by a narrow parser: the status line, the headers and a body
 * framed by Content-Length, by chunks, or by the connection's end.
 *
 * At most `maxSockets` connections are open (idle ones included); a request beyond that waits for
 * one. An idle connection is reused (the most recent first); one the server closed meanwhile is
 * noticed when it fails before any byte of the answer, and the request is sent again, once, on a
 * fresh connection (S3 saw no complete request then). The stall limits of the watchdog apply, read
 * from the sockets by one timer for the whole pool (a TLS handshake counts as sending). `close`
 * destroys every connection.
 */
import type { Socket } from "node:net"
import { rawSocket } from "./rawSocket.js"
import { progressOf, StallError, type StallLimits, type StallPhase, tickFor } from "./watchdog.js"

export interface PoolAnswer {
  readonly status: number
  /** Lower-case names; a repeated header keeps its first value. */
  readonly headers: Record<string, string>
  readonly body: Buffer
}

export interface HttpPoolSettings {
  /** Connections over TLS (an https endpoint), verified as node:https would. */
  readonly tls: boolean
  /** Bare (an IPv6 address without brackets). */
  readonly host: string
  readonly port: number
  readonly maxSockets: number
  readonly limits: StallLimits
  /** As errors name it: `http://host:port`. */
  readonly endpoint: string
}

export interface HttpPool {
  /** Sends `head` (request line and headers, ending with the empty line) and `body`; the whole answer. */
  readonly request: (head: string, body: Uint8Array, signal: AbortSignal) => Promise<PoolAnswer>
  /** Destroys every connection; later requests fail. */
  readonly close: () => void
  /** Connections open now (idle, busy or connecting). */
  readonly openSockets: () => number
}

const READ_BYTES = 16 * 1024
const MAX_HEAD_BYTES = 64 * 1024
/** Bodies up to this size are copied behind the head (one write); larger ones go as a second write. */
const COPY_BODY_BYTES = 64 * 1024

const protocolError = (detail: string) =>
  Object.assign(new Error(`the connection closed early: ${detail}`), { code: "ERR_STREAM_PREMATURE_CLOSE" })

/** A reused connection failed before any byte of the answer: the server had closed it. */
class StaleConnection extends Error {
  override readonly name = "StaleConnection"
}

/** How the answer's body ends. */
type Framing = "length" | "chunked" | "close" | "none"

/** One request on one connection, from its write to the end of its answer. */
interface Exchange {
  readonly resolve: (answer: PoolAnswer) => void
  readonly reject: (error: unknown) => void
  readonly signal: AbortSignal
  readonly onAbort: () => void
  written: boolean
  answered: boolean
  /** Bytes received and not parsed yet (a head or chunked body split across reads), copied. */
  pending: Buffer | undefined
  status: number
  headers: Record<string, string> | undefined
  framing: Framing
  left: number
  keepAlive: boolean
  body: Array<Buffer>
  /** The watchdog's view: what the socket had moved when it last looked, and since when. */
  phase: StallPhase | undefined
  progress: string
  since: number
}

interface Connection {
  readonly socket: Socket
  reused: boolean
  exchange: Exchange | undefined
  open: boolean
}

interface Waiter {
  readonly fresh: boolean
  readonly take: (connection: Connection) => void
  readonly fail: (error: unknown) => void
}

const parseHead = (text: string): { status: number; headers: Record<string, string>; http10: boolean } | undefined => {
  const lines = text.split("\r\n")
  const match = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? "")
  if (match === null) return undefined
  const headers: Record<string, string> = {}
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    const colon = line.indexOf(":")
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    if (headers[name] === undefined) headers[name] = line.slice(colon + 1).trim()
  }
  return { status: Number(match[2]), headers, http10: match[1] === "0" }
}

/** A complete chunked body in `raw`: its data and where the message ends; undefined while incomplete. */
const parseChunked = (raw: Buffer): { body: Buffer; end: number } | undefined => {
  const parts: Array<Buffer> = []
  let at = 0
  for (;;) {
    const eol = raw.indexOf("\r\n", at)
    if (eol < 0) return undefined
    const size = Number.parseInt(raw.subarray(at, eol).toString("latin1"), 16)
    if (!Number.isSafeInteger(size) || size < 0) throw protocolError("a malformed chunk size")
    if (size === 0) {
      // The last chunk, then trailers (usually none) and an empty line.
      const end = raw.subarray(eol, eol + 4).toString("latin1") === "\r\n\r\n" ? eol + 4 : raw.indexOf("\r\n\r\n", eol)
      if (end < 0) return undefined
      return { body: Buffer.concat(parts), end: end === eol + 4 ? end : end + 4 }
    }
    if (raw.length < eol + 2 + size + 2) return undefined
    parts.push(raw.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
}

export const makeHttpPool = (settings: HttpPoolSettings): HttpPool => {
  const { limits } = settings
  const idle: Array<Connection> = []
  const busy = new Set<Connection>()
  const waiters: Array<Waiter> = []
  let open = 0
  let closed = false
  let ticker: ReturnType<typeof setInterval> | undefined
  // One read buffer for every connection: a read is parsed (and what is kept, copied) at once.
  const readBuffer = Buffer.allocUnsafe(READ_BYTES)

  /** Forgets a connection (idempotent) and lets a waiter open one in its place. */
  const drop = (connection: Connection) => {
    if (!connection.open) return
    connection.open = false
    open--
    busy.delete(connection)
    const at = idle.indexOf(connection)
    if (at >= 0) idle.splice(at, 1)
    connection.socket.destroy()
    const waiter = waiters.shift()
    if (waiter !== undefined) waiter.take(openConnection())
  }

  const openConnection = (): Connection => {
    open++
    const connection: Connection = {
      socket: rawSocket({
        tls: settings.tls,
        host: settings.host,
        port: settings.port,
        onread: { buffer: readBuffer, callback: (n) => onBytes(connection, n) }
      })
        .setNoDelay(true)
        .setKeepAlive(true),
      reused: false,
      exchange: undefined,
      open: true
    }
    const { socket } = connection
    socket.on("error", (error) => failConnection(connection, error))
    // The server ended an idle connection: it goes now, not when the next request finds it.
    socket.on("end", () => {
      if (connection.exchange === undefined) drop(connection)
    })
    socket.on("close", () => {
      const exchange = connection.exchange
      if (exchange === undefined) return drop(connection)
      // An answer that ends with the connection; anything else ended early.
      if (exchange.headers !== undefined && exchange.framing === "close") {
        exchange.keepAlive = false
        return complete(connection, exchange, undefined)
      }
      failConnection(connection, protocolError(exchange.headers === undefined ? "no answer" : "the body is incomplete"))
    })
    return connection
  }

  const failConnection = (connection: Connection, error: unknown) => {
    const exchange = connection.exchange
    connection.exchange = undefined
    drop(connection)
    if (exchange === undefined) return
    exchange.signal.removeEventListener("abort", exchange.onAbort)
    // The server closed a kept connection as the request went out: not an answer, send again.
    const stale =
      connection.reused && !exchange.answered && !closed && !exchange.signal.aborted && !(error instanceof StallError)
    exchange.reject(stale ? new StaleConnection("a kept connection was closed", { cause: error }) : error)
  }

  /** The answer is complete: hand it over, and the connection to a waiter or the idle list. */
  const complete = (connection: Connection, exchange: Exchange, rest: Buffer | undefined) => {
    connection.exchange = undefined
    exchange.signal.removeEventListener("abort", exchange.onAbort)
    exchange.resolve({
      status: exchange.status,
      headers: exchange.headers!,
      body: exchange.body.length === 1 ? exchange.body[0]! : Buffer.concat(exchange.body)
    })
    // Not reused: bytes after the answer (the server is not speaking HTTP/1.1 as expected), or an
    // answer that came before the whole body went out (an early error: the rest would follow).
    if (!exchange.keepAlive || !exchange.written || (rest !== undefined && rest.length > 0) || closed)
      return drop(connection)
    busy.delete(connection)
    connection.reused = true
    const waiter = waiters.shift()
    if (waiter === undefined) {
      connection.socket.unref()
      idle.push(connection)
    } else if (waiter.fresh) {
      // A request sent again wants a connection never used before: this one goes, a new one comes.
      waiters.unshift(waiter)
      drop(connection)
    } else waiter.take(connection)
  }

  const onBytes = (connection: Connection, n: number): boolean => {
    const exchange = connection.exchange
    if (exchange === undefined) {
      // Bytes on an idle connection: nothing asked for them.
      drop(connection)
      return false
    }
    exchange.answered = true
    try {
      parse(connection, exchange, readBuffer.subarray(0, n))
    } catch (error) {
      failConnection(connection, error)
    }
    return true
  }

  /** Parses what arrived; `data` is the shared read buffer (or a copy): kept parts are copied. */
  const parse = (connection: Connection, exchange: Exchange, input: Buffer) => {
    let data = exchange.pending === undefined ? input : Buffer.concat([exchange.pending, input])
    exchange.pending = undefined
    while (exchange.headers === undefined) {
      const end = data.indexOf("\r\n\r\n")
      if (end < 0) {
        if (data.length > MAX_HEAD_BYTES) throw protocolError("an answer head of more than 64 KiB")
        exchange.pending = Buffer.from(data)
        return
      }
      const head = parseHead(data.toString("latin1", 0, end))
      if (head === undefined) throw protocolError("not an HTTP/1.1 answer")
      data = data.subarray(end + 4)
      // 100 Continue and other interim answers: the real one follows.
      if (head.status < 200) continue
      const { headers } = head
      exchange.status = head.status
      exchange.headers = headers
      const connectionHeader = (headers.connection ?? "").toLowerCase()
      exchange.keepAlive = head.http10 ? connectionHeader === "keep-alive" : connectionHeader !== "close"
      if (head.status === 204 || head.status === 304) exchange.framing = "none"
      else if (/chunked/i.test(headers["transfer-encoding"] ?? "")) exchange.framing = "chunked"
      else if (headers["content-length"] !== undefined) {
        const length = Number(headers["content-length"])
        if (!Number.isSafeInteger(length) || length < 0) throw protocolError("a malformed Content-Length")
        exchange.framing = "length"
        exchange.left = length
      } else exchange.framing = "close"
    }
    switch (exchange.framing) {
      case "none":
        return complete(connection, exchange, data)
      case "length": {
        const taken = Math.min(exchange.left, data.length)
        if (taken > 0) exchange.body.push(Buffer.from(data.subarray(0, taken)))
        exchange.left -= taken
        if (exchange.left === 0) complete(connection, exchange, data.subarray(taken))
        return
      }
      case "chunked": {
        const chunked = parseChunked(data)
        if (chunked === undefined) {
          exchange.pending = Buffer.from(data)
          return
        }
        exchange.body.push(Buffer.from(chunked.body))
        return complete(connection, exchange, data.subarray(chunked.end))
      }
      case "close":
        if (data.length > 0) exchange.body.push(Buffer.from(data))
    }
  }

  /** The stall limits, for every busy connection, by one timer that runs while any is busy. */
  const watch = () => {
    if (busy.size === 0) {
      clearInterval(ticker)
      ticker = undefined
      return
    }
    const now = performance.now()
    for (const connection of busy) {
      const exchange = connection.exchange
      if (exchange === undefined) continue
      const { socket } = connection
      const phase: StallPhase = socket.connecting
        ? "connect"
        : !exchange.written
          ? "send"
          : exchange.answered
            ? "receive"
            : "first-byte"
      const progress = progressOf(socket)
      if (phase !== exchange.phase || progress !== exchange.progress) {
        exchange.phase = phase
        exchange.progress = progress
        exchange.since = now
        continue
      }
      const limit = phase === "connect" ? limits.connectTimeoutMs : limits.idleTimeoutMs
      if (now - exchange.since >= limit)
        failConnection(connection, new StallError(phase, Math.round(now - exchange.since), settings.endpoint))
    }
  }

  /** A connection for one request: an idle one (unless `fresh`), a new one, or the next one freed. */
  const acquire = (fresh: boolean, signal: AbortSignal): Promise<Connection> | Connection => {
    if (!fresh) {
      const connection = idle.pop()
      if (connection !== undefined) {
        connection.socket.ref()
        return connection
      }
    }
    if (open < settings.maxSockets) return openConnection()
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        fresh,
        take: (connection) => {
          signal.removeEventListener("abort", onAbort)
          resolve(connection)
        },
        fail: (error) => {
          signal.removeEventListener("abort", onAbort)
          reject(error)
        }
      }
      const onAbort = () => {
        const at = waiters.indexOf(waiter)
        if (at >= 0) waiters.splice(at, 1)
        reject(signal.reason)
      }
      signal.addEventListener("abort", onAbort, { once: true })
      waiters.push(waiter)
    })
  }

  const exchangeOn = (connection: Connection, wire: ReadonlyArray<Uint8Array>, signal: AbortSignal) =>
    new Promise<PoolAnswer>((resolve, reject) => {
      // Closed while it was handed over (from a finished request to a waiting one).
      if (!connection.open)
        return reject(new StaleConnection("a kept connection was closed", { cause: protocolError("no answer") }))
      const onAbort = () => failConnection(connection, signal.reason)
      connection.exchange = {
        resolve,
        reject,
        signal,
        onAbort,
        written: false,
        answered: false,
        pending: undefined,
        status: 0,
        headers: undefined,
        framing: "none",
        left: 0,
        keepAlive: false,
        body: [],
        phase: undefined,
        progress: "",
        since: performance.now()
      }
      busy.add(connection)
      ticker ??= setInterval(watch, tickFor(limits))
      ticker.unref()
      signal.addEventListener("abort", onAbort, { once: true })
      const exchange = connection.exchange
      const { socket } = connection
      const last = wire.length - 1
      if (last > 0) socket.cork()
      for (let i = 0; i < last; i++) socket.write(wire[i]!)
      socket.write(wire[last]!, () => {
        exchange.written = true
      })
      if (last > 0) socket.uncork()
    })

  const send = async (wire: ReadonlyArray<Uint8Array>, signal: AbortSignal, fresh: boolean): Promise<PoolAnswer> => {
    if (closed) throw new Error(`the connections to ${settings.endpoint} are closed (the store's scope ended)`)
    signal.throwIfAborted()
    const connection = await acquire(fresh, signal)
    if (signal.aborted) {
      drop(connection)
      throw signal.reason
    }
    try {
      return await exchangeOn(connection, wire, signal)
    } catch (error) {
      if (error instanceof StaleConnection && !fresh) return send(wire, signal, true)
      throw error instanceof StaleConnection ? error.cause : error
    }
  }

  return {
    request: (head, body, signal) => {
      const headLength = Buffer.byteLength(head, "latin1")
      let wire: ReadonlyArray<Uint8Array>
      if (body.length <= COPY_BODY_BYTES) {
        const one = Buffer.allocUnsafe(headLength + body.length)
        one.write(head, 0, "latin1")
        one.set(body, headLength)
        wire = [one]
      } else wire = [Buffer.from(head, "latin1"), body]
      return send(wire, signal, false)
    },
    close: () => {
      closed = true
      for (const waiter of waiters.splice(0))
        waiter.fail(new Error(`the connections to ${settings.endpoint} are closed (the store's scope ended)`))
      for (const connection of [...idle, ...busy]) failConnection(connection, new Error("the store's scope ended"))
      clearInterval(ticker)
      ticker = undefined
    },
    openSockets: () => open
  }
}
