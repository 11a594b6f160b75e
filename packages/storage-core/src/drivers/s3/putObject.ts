/**
 * PutObject of a body held in memory, as one SigV4-signed PUT (exchange.ts: over plain http on the
 * driver's pool of raw keep-alive connections, over https on its keep-alive agent with the stall
 * watchdog) instead of the SDK's command or its HTTP handler: for small objects those cost more
 * client CPU than the request. It sends what the SDK would: the payload's SHA-256 (signed), the
 * write headers, the caller's condition and, with checksums `when_supported`, a CRC32 the server
 * verifies.
 */
import { hash } from "node:crypto"
import { crc32 } from "node:zlib"
import { exchange, type SignedHead, type Transport } from "./exchange.js"
import { encodeKeyPath } from "./presign.js"
import { type SignedRequest, serviceError } from "./signedRequest.js"

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

/** Where small puts go: their signer (sigv4.ts) and the driver's connections. */
export interface PutTransport extends Transport {
  readonly sign: (request: SignedRequest) => Promise<SignedHead>
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

export const makePutSmall =
  (transport: PutTransport): PutSmall =>
  async (key, bytes, sent, { crc32, sha256, abortSignal }) => {
    const head = await transport.sign({
      method: "PUT",
      path: `/${encodeKeyPath(key)}`,
      headers: wireHeaders(bytes, sent, crc32),
      // The server checks the payload against it: a wrong digest from the caller fails the put.
      payloadHash: sha256 ?? hash("sha256", bytes, "hex"),
      body: bytes
    })
    const answer = await exchange(transport, "PUT", head, bytes, abortSignal)
    const { headers } = answer
    if (answer.status < 200 || answer.status >= 300)
      throw serviceError(answer.status, headers, answer.body.toString("utf8"))
    const { etag, date } = headers
    return {
      etag: etag === undefined ? undefined : etag.replace(/^"|"$/g, ""),
      versionId: headers["x-amz-version-id"],
      date: date === undefined ? undefined : new Date(date)
    }
  }
