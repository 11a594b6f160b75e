/**
 * PutObject of a body held in memory, as one signed PUT (signedRequest.ts) instead of the SDK's
 * command: for small objects the SDK's middleware stack costs more client CPU than the request.
 * It sends what the SDK would: the payload's SHA-256 (signed), the write headers, the caller's
 * condition and, with checksums `when_supported`, a CRC32 the server verifies.
 */
import { createHash } from "node:crypto"
import { crc32 } from "node:zlib"
import { encodeKeyPath } from "./presign.js"
import type { SendSigned } from "./signedRequest.js"

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
  for (const [name, value] of Object.entries(sent.Metadata ?? {})) headers[`x-amz-meta-${name}`] = value
  if (crc) headers["x-amz-checksum-crc32"] = crc32Base64(bytes)
  return headers
}

/** One PUT of `bytes` to `key`; rejects as a service exception (classify reads it). */
export const putObject = async (
  sendSigned: SendSigned,
  key: string,
  bytes: Uint8Array,
  sent: PutHeaders,
  options: { readonly crc32: boolean; readonly abortSignal: AbortSignal }
): Promise<PutAnswer> => {
  const response = await sendSigned(
    {
      method: "PUT",
      path: `/${encodeKeyPath(key)}`,
      headers: wireHeaders(bytes, sent, options.crc32),
      payloadHash: createHash("sha256").update(bytes).digest("hex"),
      body: bytes
    },
    options.abortSignal
  )
  const { etag, date } = response.headers
  return {
    etag: etag === undefined ? undefined : etag.replace(/^"|"$/g, ""),
    versionId: response.headers["x-amz-version-id"],
    date: date === undefined ? undefined : new Date(date)
  }
}
