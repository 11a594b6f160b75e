/**
 * One signed ranged GET on a connection of its own, its body written straight into a file at the
 * range's offset. For large downloads (downloadFile.ts) this costs a fraction of the client CPU
 * of node:http and the SDK: over plain http the socket reads (`onread`) straight into 1 MiB
 * write buffers taken from a pool the whole download shares, each full one is written at its
 * offset and goes back to the pool — no copy, and nothing allocated per chunk, so the garbage
 * collector and the HTTP parser, which took a third of the CPU before, have nothing to do. Over
 * https the same: TLS decrypts into those buffers.
 *
 * The answer must be HTTP/1.1 with a Content-Length (S3's GET answers are); `Connection: close`
 * makes the server end any other answer (an error's) with the connection. The stall watchdog's
 * limits apply: the connection within the connect timeout, then bytes within the idle timeout
 * (not counted while the file is behind); a stall fails with a `StallError`, which the retry
 * policy retries like a broken connection.
 */
import type { FileHandle } from "node:fs/promises"
import type { SignedHead } from "./exchange.js"
import { encodeKeyPath } from "./presign.js"
import { rawSocket } from "./rawSocket.js"
import { EMPTY_SHA256, type SignedRequest, serviceError } from "./signedRequest.js"
import { StallError, type StallLimits } from "./watchdog.js"

const WRITE_BYTES = 1024 * 1024
/** A write buffer with less room than this is written: reads stay large. */
const MIN_READ_BYTES = 128 * 1024
/** Writes of one range in flight before its socket pauses. */
const WRITES_IN_FLIGHT = 4
const MAX_HEAD_BYTES = 64 * 1024

export interface RangeRequest {
  readonly key: string
  readonly start: number
  /** Inclusive; undefined: the whole object (no Range header). */
  readonly end: number | undefined
  /** Quoted with the request's own quotes. */
  readonly ifMatch: string | undefined
}

export interface RangeAnswer {
  readonly status: number
  /** Lower-case names. */
  readonly headers: Record<string, string>
  readonly length: number
}

export interface RangeGetSettings {
  readonly sign: (request: SignedRequest) => Promise<SignedHead>
  readonly limits: StallLimits
  /** As errors name it: `http://host:port`. */
  readonly endpoint: string
}

/** Write buffers reused by every range of one download. */
export class BufferPool {
  private readonly free: Array<Buffer> = []
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(WRITE_BYTES)
  }
  give(buffer: Buffer): void {
    this.free.push(buffer)
  }
}

/** The local file failed (not the network): never retried. */
export class LocalWriteError extends Error {
  override readonly name = "LocalWriteError"
}

const closedEarly = (detail: string) =>
  Object.assign(new Error(`the connection closed early: ${detail}`), { code: "ERR_STREAM_PREMATURE_CLOSE" })

const parseHead = (text: string): { status: number; headers: Record<string, string> } | undefined => {
  const [statusLine = "", ...lines] = text.split("\r\n")
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)
  if (match === null) return undefined
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(":")
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status: Number(match[1]), headers }
}

/** A chunked error body, de-chunked (an error's XML is all that is read of it). */
const unchunk = (body: Buffer): string => {
  const parts: Array<Buffer> = []
  let at = 0
  while (at < body.length) {
    const eol = body.indexOf("\r\n", at)
    const size = Number.parseInt(body.subarray(at, eol).toString("latin1"), 16)
    if (eol < 0 || !(size > 0)) break
    parts.push(body.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
  return Buffer.concat(parts).toString("utf8")
}

/**
 * GETs `request` and writes a 2xx body into `file` from `request.start`. `onHead` hears the
 * answer's head before its body; `onWritten` each write that landed. A non-2xx answer rejects
 * as a service exception (`classify` reads it), a broken or stalled connection as Node's error
 * or a `StallError`, a failed write as a `LocalWriteError`.
 */
export const rangeGet = async (
  settings: RangeGetSettings,
  file: FileHandle,
  request: RangeRequest,
  signal: AbortSignal,
  pool: BufferPool,
  onHead: (answer: RangeAnswer) => void,
  onWritten: (bytes: number) => void
): Promise<RangeAnswer> => {
  const wanted: Record<string, string> = { connection: "close" }
  if (request.end !== undefined) wanted.range = `bytes=${request.start}-${request.end}`
  if (request.ifMatch !== undefined) wanted["if-match"] = request.ifMatch
  const signed = await settings.sign({
    method: "GET",
    path: `/${encodeKeyPath(request.key)}`,
    headers: wanted,
    payloadHash: EMPTY_SHA256
  })
  signal.throwIfAborted()
  const lines = [`GET ${signed.path} HTTP/1.1`]
  for (const [name, value] of Object.entries(signed.headers)) lines.push(`${name}: ${value}`)
  const wire = `${lines.join("\r\n")}\r\n\r\n`
  const { connectTimeoutMs, idleTimeoutMs } = settings.limits

  return new Promise<RangeAnswer>((resolve, reject) => {
    let settled = false
    let answer: RangeAnswer | undefined
    let left = 0
    const errorBody: Array<Buffer> = []
    // Reads land in `buffer` at `fill` (the answer's head too, until it is parsed); a full
    // buffer is written at `position` and replaced from the pool.
    let buffer = pool.take()
    let fill = 0
    let position = request.start
    let writes = 0
    let paused = false
    let received = false

    const finish = (error?: unknown) => {
      if (settled) return
      settled = true
      clearTimeout(connectTimer)
      signal.removeEventListener("abort", onAbort)
      socket.destroy()
      pool.give(buffer)
      if (error === undefined && answer !== undefined) resolve(answer)
      else reject(error)
    }
    const onAbort = () => finish(signal.reason)
    const stall = (phase: "connect" | "first-byte" | "receive", afterMs: number) =>
      finish(new StallError(phase, afterMs, settings.endpoint))

    const settleIfDone = () => {
      if (received && writes === 0) finish()
    }
    const flush = () => {
      const chunk = buffer
      const length = fill
      const at = position
      position += length
      fill = 0
      writes++
      buffer = pool.take()
      file.write(chunk, 0, length, at).then(
        () => {
          writes--
          pool.give(chunk)
          if (settled) return
          onWritten(length)
          if (paused && writes < WRITES_IN_FLIGHT) {
            paused = false
            socket.setTimeout(idleTimeoutMs)
            socket.resume()
          }
          settleIfDone()
        },
        (cause: unknown) =>
          finish(new LocalWriteError(cause instanceof Error ? cause.message : String(cause), { cause }))
      )
      if (writes >= WRITES_IN_FLIGHT && !paused) {
        // The disk is behind: not the endpoint's time.
        paused = true
        socket.setTimeout(0)
        socket.pause()
      }
    }
    /** `n` body bytes arrived at `fill`. */
    const body = (n: number) => {
      const taken = Math.min(n, left)
      fill += taken
      left -= taken
      if (left === 0) {
        if (fill > 0) flush()
        received = true
        socket.destroy()
        settleIfDone()
      } else if (WRITE_BYTES - fill < MIN_READ_BYTES) flush()
    }
    /** `n` bytes arrived at `fill` before the end of the head was seen. */
    const readHead = (n: number) => {
      const seen = fill + n
      const end = buffer.subarray(0, seen).indexOf("\r\n\r\n", Math.max(0, fill - 3))
      if (end < 0) {
        fill = seen
        if (fill > MAX_HEAD_BYTES) finish(closedEarly("an answer head of more than 64 KiB"))
        return
      }
      const parsed = parseHead(buffer.subarray(0, end).toString("latin1"))
      if (parsed === undefined) return finish(closedEarly("not an HTTP/1.1 answer"))
      const length = Number(parsed.headers["content-length"])
      answer = { status: parsed.status, headers: parsed.headers, length }
      // The body's first bytes move to the start of the buffer.
      buffer.copyWithin(0, end + 4, seen)
      fill = 0
      const first = seen - end - 4
      if (parsed.status < 200 || parsed.status >= 300) {
        errorBody.push(Buffer.from(buffer.subarray(0, first)))
        return
      }
      if (!Number.isSafeInteger(length)) return finish(closedEarly("an answer without a Content-Length"))
      if (request.start > 0 && parsed.status !== 206) return finish(closedEarly(`HTTP ${parsed.status} to a range`))
      onHead(answer)
      left = length
      body(first)
    }
    const landed = (n: number): boolean => {
      if (settled) return false
      if (answer === undefined) readHead(n)
      else if (answer.status < 200 || answer.status >= 300) errorBody.push(Buffer.from(buffer.subarray(fill, fill + n)))
      else body(n)
      return !paused
    }

    const tls = signed.protocol === "https:"
    const socket = rawSocket({
      tls,
      // A URL writes an IPv6 address in brackets; a socket wants it bare.
      host: signed.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: signed.port ?? (tls ? 443 : 80),
      onread: { buffer: () => buffer.subarray(fill), callback: landed }
    })
    const connectTimer = setTimeout(() => stall("connect", connectTimeoutMs), connectTimeoutMs)
    signal.addEventListener("abort", onAbort, { once: true })
    socket.once(tls ? "secureConnect" : "connect", () => {
      clearTimeout(connectTimer)
      socket.setTimeout(idleTimeoutMs)
      socket.write(wire)
    })
    socket.on("timeout", () => stall(answer === undefined ? "first-byte" : "receive", idleTimeoutMs))
    socket.on("error", (error) => finish(error))
    socket.on("close", () => {
      if (settled || received) return
      if (answer === undefined) return finish(closedEarly("no answer"))
      if (answer.status >= 200 && answer.status < 300) return finish(closedEarly(`${left} bytes of the body missing`))
      const raw = Buffer.concat(errorBody)
      const text = /chunked/i.test(answer.headers["transfer-encoding"] ?? "") ? unchunk(raw) : raw.toString("utf8")
      finish(serviceError(answer.status, answer.headers, text))
    })
  })
}
