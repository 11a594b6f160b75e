/**
 * PutObject of a body held in memory, as one SigV4-signed PUT: over plain http on the driver's
 * own pool of raw keep-alive connections (httpPool.ts), over https with node:http on the driver's
 * keep-alive agents (the SDK client's sockets, with their stall watchdog) — instead of the SDK's
 * command or its HTTP handler: for small objects those cost more client CPU than the request. It sends what the SDK would: the payload's SHA-256 (signed), the write headers,
 * the caller's condition and, with checksums `when_supported`, a CRC32 the server verifies.
 */
import { createHash } from "node:crypto"
import { type Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http"
import { type Agent as HttpsAgent, request as httpsRequest } from "node:https"
import { crc32 } from "node:zlib"
import type { HttpPool } from "./httpPool.js"
import { encodeKeyPath } from "./presign.js"
import { type SignedHead, type SignedRequest, serviceError } from "./signedRequest.js"

/** The headers of a write, as `writeHeaders` (objects.ts) and the condition give them. */
export interface PutHeaders {
  readonly ContentType: string
  readonly CacheControl?: string
  readonly ContentDisposition?: string
  readonly Metadata?: Record<string, string>
  readonly Tagging?: string
  readonly IfNoneMatch?: string
  readonly IfMatch?: string
}

export interface PutAnswer {
  /** Unquoted; undefined when the engine sent none. */
  readonly etag: string | undefined
  readonly versionId: string | undefined
  /** The server's `Date` (S3 sends no Last-Modified on PUT). */
  readonly date: Date | undefined
}

/** Where small puts go: the signer and the agents the SDK client's handler uses too. */
export interface PutTransport {
  readonly sign: (request: SignedRequest) => Promise<SignedHead>
  readonly httpAgent: HttpAgent
  readonly httpsAgent: HttpsAgent
  /** For a plain-http endpoint: the raw connections puts go over instead of `httpAgent`. */
  readonly pool?: HttpPool | undefined
}

/** One PUT of `bytes` to `key`; rejects as a service exception or Node's error (classify reads both). */
export type PutSmall = (
  key: string,
  bytes: Uint8Array,
  sent: PutHeaders,
  options: PutSmallOptions
) => Promise<PutAnswer>

export interface PutSmallOptions {
  readonly crc32: boolean
  /** The hex SHA-256 of `bytes` when the caller has it already (the `localex-sha256` metadata). */
  readonly sha256?: string | undefined
  readonly abortSignal: AbortSignal
}

const crc32Base64 = (bytes: Uint8Array): string => {
  const out = Buffer.allocUnsafe(4)
  out.writeUInt32BE(crc32(bytes))
  return out.toString("base64")
}

const wireHeaders = (bytes: Uint8Array, sent: PutHeaders, crc: boolean): Record<string, string> => {
  const headers: Record<string, string> = {
    "content-length": String(bytes.length),
    "content-type": sent.ContentType
  }
  if (sent.CacheControl !== undefined) headers["cache-control"] = sent.CacheControl
  if (sent.ContentDisposition !== undefined) headers["content-disposition"] = sent.ContentDisposition
  if (sent.Tagging !== undefined) headers["x-amz-tagging"] = sent.Tagging
  if (sent.IfNoneMatch !== undefined) headers["if-none-match"] = sent.IfNoneMatch
  if (sent.IfMatch !== undefined) headers["if-match"] = sent.IfMatch
  for (const name in sent.Metadata) headers[`x-amz-meta-${name}`] = sent.Metadata[name]!
  if (crc) headers["x-amz-checksum-crc32"] = crc32Base64(bytes)
  return headers
}

/** What node:http refuses in a header: names that are not tokens, values with control characters. */
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/

/** The request's head as it goes on the wire (checked as node:http checks it). */
const wireHead = (head: SignedHead): string => {
  let text = `PUT ${head.path} HTTP/1.1\r\n`
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

/** Sends the signed PUT on the pool's connections; the answer's headers on 2xx. */
const sendPooled = async (pool: HttpPool, head: SignedHead, bytes: Uint8Array, signal: AbortSignal) => {
  const answer = await pool.request(wireHead(head), bytes, signal)
  if (answer.status >= 200 && answer.status < 300) return answer.headers
  throw serviceError(answer.status, answer.headers, answer.body.toString("utf8"))
}

const one = (value: string | ReadonlyArray<string> | undefined): string | undefined =>
  typeof value === "string" || value === undefined ? value : value[0]

/** Sends the signed PUT and reads the answer: its head on 2xx, its error XML otherwise. */
const send = (transport: PutTransport, head: SignedHead, bytes: Uint8Array, signal: AbortSignal) =>
  new Promise<IncomingMessage>((resolve, reject) => {
    const https = head.protocol === "https:"
    const request = (https ? httpsRequest : httpRequest)(
      {
        agent: https ? transport.httpsAgent : transport.httpAgent,
        method: "PUT",
        // An IPv6 literal comes bracketed from the URL; node:http wants it bare.
        hostname: head.hostname.startsWith("[") ? head.hostname.slice(1, -1) : head.hostname,
        ...(head.port === undefined ? {} : { port: head.port }),
        path: head.path,
        headers: head.headers,
        signal
      },
      (response) => {
        const status = response.statusCode ?? 0
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => {
          // A 2xx PUT has no body worth reading; an error's XML is kept for its code.
          if (status >= 300) chunks.push(chunk)
        })
        response.on("error", reject)
        response.once("end", () => {
          if (status >= 200 && status < 300) resolve(response)
          else
            reject(serviceError(status, response.headers as Record<string, string>, Buffer.concat(chunks).toString()))
        })
      }
    )
    request.on("error", reject)
    request.end(bytes)
  })

export const makePutSmall =
  (transport: PutTransport): PutSmall =>
  async (key, bytes, sent, { crc32, sha256, abortSignal }) => {
    const head = await transport.sign({
      method: "PUT",
      path: `/${encodeKeyPath(key)}`,
      headers: wireHeaders(bytes, sent, crc32),
      // The server checks the payload against it: a wrong digest from the caller fails the put.
      payloadHash: sha256 ?? createHash("sha256").update(bytes).digest("hex"),
      body: bytes
    })
    const headers =
      transport.pool !== undefined && head.protocol === "http:"
        ? await sendPooled(transport.pool, head, bytes, abortSignal)
        : (await send(transport, head, bytes, abortSignal)).headers
    const etag = one(headers.etag)
    const date = one(headers.date)
    return {
      etag: etag === undefined ? undefined : etag.replace(/^"|"$/g, ""),
      versionId: one(headers["x-amz-version-id"]),
      date: date === undefined ? undefined : new Date(date)
    }
  }
