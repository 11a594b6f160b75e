/**
 * Presigned GET and PUT URLs, signed with one reused SigV4 signer (`@smithy/signature-v4`)
 * instead of the client's middleware stack: a URL is a canonical request, a string to sign and
 * an HMAC, so it costs microseconds. The signer caches its signing key per day and credentials.
 *
 * The URL lives at most 7 days (SigV4's limit) and never past the expiry of the credentials
 * that signed it (a URL signed with temporary credentials stops working when they expire).
 */
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto"
import { SignatureV4 } from "@smithy/signature-v4"
import type { Credentials } from "../../internal/credentials.js"
import { MAX_PRESIGN_SECONDS } from "../../ObjectStore.js"

const UNRESERVED = /^[A-Za-z0-9\-._~]*$/
const SUB_DELIMS = /[!'()*]/g

/** RFC 3986 percent-encoding, as SigV4 canonicalises (encodeURIComponent leaves !'()* alone). */
export const escapeUri = (text: string): string =>
  UNRESERVED.test(text)
    ? text
    : encodeURIComponent(text).replace(SUB_DELIMS, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

type Binary = string | ArrayBuffer | ArrayBufferView

const bytesOf = (data: Exclude<Binary, string>): Buffer =>
  ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data)

/** SHA-256 and HMAC-SHA-256 straight on node:crypto (the signer hashes three times per URL). */
export class NodeSha256 {
  private readonly hash: Hash | Hmac
  constructor(secret?: Binary) {
    this.hash =
      secret === undefined
        ? createHash("sha256")
        : createHmac("sha256", typeof secret === "string" ? secret : bytesOf(secret))
  }
  update(data: Binary): void {
    this.hash.update(typeof data === "string" ? data : bytesOf(data))
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest())
  }
}

/** A key as a URL path: every segment escaped, the slashes kept. */
export const encodeKeyPath = (key: string): string => key.split("/").map(escapeUri).join("/")

const DNS_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/
const DNS_BUCKET_WITH_DOTS = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/
const IP_LIKE = /^\d+\.\d+\.\d+\.\d+$/

/** Whether a bucket can be addressed as `bucket.host` (TLS certificates do not cover dotted names). */
export const isVirtualHostable = (bucket: string, protocol: string): boolean =>
  !IP_LIKE.test(bucket) &&
  !bucket.includes("..") &&
  (protocol === "https:" ? DNS_BUCKET.test(bucket) : DNS_BUCKET_WITH_DOTS.test(bucket))

export interface PresignTarget {
  readonly bucket: string
  readonly region: string
  readonly endpoint?: string | undefined
  readonly forcePathStyle: boolean
  /** S3 Transfer Acceleration: `bucket.s3-accelerate.amazonaws.com` (AWS only, no endpoint). */
  readonly accelerate?: boolean | undefined
}

export interface PresignRequest {
  readonly method: "GET" | "PUT"
  readonly key: string
  readonly expiresIn: number
  readonly contentType?: string | undefined
  readonly now: Date
  readonly credentials: Credentials
}

/**
 * Seconds a URL may live: what was asked (default 900, at least 1), at most 7 days, and at most
 * the whole seconds left before the credentials expire. Zero or less means the credentials are spent.
 */
export const presignLifetime = (requested: number | undefined, now: number, expiration: Date | undefined): number => {
  const asked = requested === undefined || !Number.isFinite(requested) ? 900 : Math.max(1, Math.floor(requested))
  const left = expiration === undefined ? Number.POSITIVE_INFINITY : Math.floor((expiration.getTime() - now) / 1000)
  return Math.min(asked, MAX_PRESIGN_SECONDS, left)
}

const PAYLOAD_HEADER = new Set(["x-amz-content-sha256"])

export interface Presigner {
  /** The URL and the headers its request must carry. */
  readonly presign: (request: PresignRequest) => Promise<{ url: string; headers: Record<string, string> }>
}

type DeriveSigningKey = (
  credentials: Credentials,
  region: string,
  shortDate: string,
  service?: string
) => Promise<Uint8Array>

/**
 * Keeps the signer's last derived signing key. SignatureV4 finds its key in a cache keyed by an
 * HMAC of the credentials, which costs an HMAC on every URL; the key only changes with the day,
 * the region and the credentials. (The AWS known-answer test in s3-sdk.test.ts guards this.)
 */
export const keepSigningKey = (signer: SignatureV4): void => {
  const instance = signer as unknown as { getSigningKey?: DeriveSigningKey }
  const derive = instance.getSigningKey?.bind(signer)
  if (derive === undefined) return
  let last:
    | {
        credentials: Credentials
        region: string
        shortDate: string
        service: string | undefined
        key: Promise<Uint8Array>
      }
    | undefined
  instance.getSigningKey = (credentials, region, shortDate, service) => {
    if (
      last !== undefined &&
      last.credentials === credentials &&
      last.shortDate === shortDate &&
      last.region === region &&
      last.service === service
    ) {
      return last.key
    }
    const key = derive(credentials, region, shortDate, service)
    const entry = { credentials, region, shortDate, service, key }
    last = entry
    key.catch(() => {
      if (last === entry) last = undefined
    })
    return key
  }
}

/** Where the bucket's requests go: its host (virtual-hosted style when it can be) and path. */
export interface BucketAddress {
  readonly protocol: string
  readonly hostname: string
  readonly port: number | undefined
  /** The Host header: hostname and, when not the default, port. */
  readonly host: string
  /** The bucket's path, escaped, without a trailing "/" ("" for a virtual-hosted bucket at the root). */
  readonly bucketPath: string
  readonly origin: string
}

export const bucketAddress = (target: PresignTarget): BucketAddress => {
  const base = new URL(
    target.endpoint ??
      (target.accelerate === true ? "https://s3-accelerate.amazonaws.com" : `https://s3.${target.region}.amazonaws.com`)
  )
  const virtual = !target.forcePathStyle && isVirtualHostable(target.bucket, base.protocol)
  const hostname = virtual ? `${target.bucket}.${base.hostname}` : base.hostname
  const host = base.port === "" ? hostname : `${hostname}:${base.port}`
  const port = base.port === "" ? undefined : Number(base.port)
  const basePath = base.pathname.replace(/\/+$/, "")
  const bucketPath = virtual ? basePath : `${basePath}/${escapeUri(target.bucket)}`
  return { protocol: base.protocol, hostname, port, host, bucketPath, origin: `${base.protocol}//${host}` }
}

export const makePresigner = (target: PresignTarget): Presigner => {
  const { protocol, hostname, port, host, bucketPath, origin } = bucketAddress(target)

  // The credentials of the request being signed. presign() reads them synchronously when it
  // starts, so setting them just before the call is race-free.
  let signingCredentials: Credentials | undefined
  const signer = new SignatureV4({
    service: "s3",
    region: target.region,
    credentials: () =>
      signingCredentials === undefined
        ? Promise.reject(new Error("presign called without credentials"))
        : Promise.resolve(signingCredentials),
    sha256: NodeSha256,
    // S3 signs the path as sent, escaped once (done here), and takes an unsigned payload.
    uriEscapePath: false,
    applyChecksum: false
  })
  keepSigningKey(signer)

  return {
    presign: async ({ method, key, expiresIn, contentType, now, credentials }) => {
      const path = `${bucketPath}/${encodeKeyPath(key)}`
      // The payload of a presigned request is UNSIGNED-PAYLOAD. The signer reads that from this
      // header, which is neither signed nor hoisted into the query (the URL matches AWS's own).
      const headers: Record<string, string> = { host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }
      // Content-Type stays a signed header (not hoisted to the query): the uploader must send it.
      if (contentType !== undefined) headers["content-type"] = contentType
      signingCredentials = credentials
      const signed = signer.presign(
        port === undefined
          ? { method, protocol, hostname, path, query: {}, headers }
          : { method, protocol, hostname, port, path, query: {}, headers },
        {
          expiresIn,
          signingDate: now,
          signingRegion: target.region,
          unhoistableHeaders: PAYLOAD_HEADER,
          unsignableHeaders: PAYLOAD_HEADER
        }
      )
      signingCredentials = undefined
      const request = await signed
      // The X-Amz-* parameters in the signer's order (AWS's): names need no escaping.
      let query = ""
      for (const name in request.query) {
        const value = request.query[name]
        if (typeof value === "string") query += `${query === "" ? "" : "&"}${name}=${escapeUri(value)}`
      }
      return {
        url: `${origin}${path}?${query}`,
        headers: contentType === undefined ? {} : { "content-type": contentType }
      }
    }
  }
}
