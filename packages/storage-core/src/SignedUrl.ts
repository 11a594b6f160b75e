/**
 * HMAC-signed URLs: how the fs driver lets a browser download or upload one object without
 * credentials. The fs driver signs; the HTTP app's `/v1/signed/{key}` route verifies.
 *
 *   `${publicUrl}/v1/signed/<key, each segment percent-encoded>?method=GET|PUT&expires=<unix s>&sig=<base64url>`
 *
 * The signature is HMAC-SHA256 over the method, the key, the expiry and, for PUT, whether a
 * Content-Type is bound and which: changing any of them invalidates the URL.
 *
 * - A PUT URL signed with a Content-Type accepts an upload carrying exactly that Content-Type
 *   (byte for byte), and nothing else: another type, or none, is a bad signature.
 * - A PUT URL signed without one accepts any Content-Type, or none.
 *
 * The two cases sign different fields (`=<type>` and `*`), so neither can pass for the other,
 * and the URL does not need to say which it is: `verify` checks the request against both.
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { MAX_PRESIGN_SECONDS, type PresignedUrl, type PresignOptions } from "./ObjectStore.js"

/** Where signed URLs live under the public URL. */
export const PATH_PREFIX = "/v1/signed/"

export type Method = "GET" | "PUT"

export interface SignInput {
  readonly secret: string
  /** Base URL of the HTTP app, without a trailing "/". */
  readonly publicUrl: string
  readonly key: string
  readonly method: Method
  /** Rounded down to the second. */
  readonly expiresAt: Date
  /** For PUT: the Content-Type the upload must carry. Without it, the URL accepts any Content-Type. */
  readonly contentType?: string
}

export interface VerifyInput {
  readonly secret: string
  /** The decoded key (see `decodeKeyPath`). */
  readonly key: string
  /** The method of the request being served (HEAD is served as GET). */
  readonly method: Method
  /** The `expires` query parameter, as received. */
  readonly expires: string
  /** The `sig` query parameter, as received. */
  readonly sig: string
  /** For PUT: the request's Content-Type header, as received (absent when the request has none). */
  readonly contentType?: string
  readonly now: Date
}

export type Verdict =
  | { readonly _tag: "Valid"; readonly expiresAt: Date }
  | { readonly _tag: "Expired"; readonly expiredAt: Date }
  | { readonly _tag: "BadSignature" }

/** The URL path of a key: each segment percent-encoded, "/" kept. */
export const encodeKeyPath = (key: string): string => key.split("/").map(encodeURIComponent).join("/")

/** The key of a URL path produced by `encodeKeyPath`; undefined when the path is not valid percent-encoding. */
export const decodeKeyPath = (path: string): string | undefined => {
  // Nothing to decode (the common case, on every signed download).
  if (!path.includes("%")) return path
  try {
    return path.split("/").map(decodeURIComponent).join("/")
  } catch {
    return undefined
  }
}

/** What a PUT signs about its Content-Type: `=<type>` when one is bound, `*` when any is accepted. */
const ANY_CONTENT_TYPE = "*"
const boundTo = (contentType: string) => `=${contentType}`

const canonical = (method: Method, key: string, expires: number, contentType: string): string =>
  // Keys and header values cannot contain "\n", so it separates the fields unambiguously.
  ["localex-signed-url-v1", method, key, String(expires), method === "PUT" ? contentType : ""].join("\n")

const mac = (secret: string, text: string): Buffer => createHmac("sha256", secret).update(text, "utf8").digest()

/** A signed URL for one request on one key. */
export const sign = (input: SignInput): string => {
  const expires = Math.floor(input.expiresAt.getTime() / 1000)
  const contentType = input.contentType === undefined ? ANY_CONTENT_TYPE : boundTo(input.contentType)
  const sig = mac(input.secret, canonical(input.method, input.key, expires, contentType)).toString("base64url")
  const query = new URLSearchParams({ method: input.method, expires: String(expires), sig })
  return `${input.publicUrl}${PATH_PREFIX}${encodeKeyPath(input.key)}?${query.toString()}`
}

/** A presigned URL's lifetime when none is asked for: 15 minutes. */
export const DEFAULT_PRESIGN_SECONDS = 900

/**
 * `ObjectStore.presign` for stores whose URLs the HTTP app serves (fs, memory): `expiresIn`
 * (default 900 s) capped at 7 days, counted from `now` (epoch ms, from Effect's Clock).
 */
export const presign = (input: {
  readonly secret: string
  readonly publicUrl: string
  readonly key: string
  readonly options: PresignOptions
  readonly now: number
}): PresignedUrl => {
  const { options } = input
  const asked = options.expiresIn ?? DEFAULT_PRESIGN_SECONDS
  const seconds = Number.isFinite(asked)
    ? Math.min(Math.max(1, Math.floor(asked)), MAX_PRESIGN_SECONDS)
    : DEFAULT_PRESIGN_SECONDS
  const expiresAt = new Date((Math.floor(input.now / 1000) + seconds) * 1000)
  const contentType = options.method === "PUT" ? options.contentType : undefined
  const url = sign({
    secret: input.secret,
    publicUrl: input.publicUrl,
    key: input.key,
    method: options.method,
    expiresAt,
    ...(contentType === undefined ? {} : { contentType })
  })
  return {
    url,
    method: options.method,
    expiresAt,
    headers: contentType === undefined ? {} : { "content-type": contentType }
  }
}

const EXPIRES = /^\d{1,12}$/
// 32 bytes of HMAC-SHA256 in unpadded base64url, canonical: the last character carries 4 bits
// and 2 zero bits, so only one spelling of each signature is accepted (no "B" for "A").
const SIG = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/

/**
 * Checks a signed request: the signature first (constant-time), then the expiry. A PUT passes
 * when the URL accepts any Content-Type, or when it is bound to exactly the request's one.
 */
export const verify = (input: VerifyInput): Verdict => {
  if (!EXPIRES.test(input.expires) || !SIG.test(input.sig)) return { _tag: "BadSignature" }
  const expires = Number(input.expires)
  const given = Buffer.from(input.sig, "base64url")
  const matches = (contentType: string) =>
    timingSafeEqual(mac(input.secret, canonical(input.method, input.key, expires, contentType)), given)
  const valid =
    input.method === "PUT"
      ? matches(ANY_CONTENT_TYPE) || (input.contentType !== undefined && matches(boundTo(input.contentType)))
      : matches("")
  if (!valid) return { _tag: "BadSignature" }
  const at = new Date(expires * 1000)
  return input.now.getTime() > at.getTime() ? { _tag: "Expired", expiredAt: at } : { _tag: "Valid", expiresAt: at }
}

/** The parts of a signed URL, or undefined when it is not one. */
export const parse = (
  url: string | URL
): { readonly key: string; readonly method: string; readonly expires: string; readonly sig: string } | undefined => {
  const parsed = typeof url === "string" ? URL.parse(url) : url
  if (parsed === null) return undefined
  const at = parsed.pathname.indexOf(PATH_PREFIX)
  if (at < 0) return undefined
  const key = decodeKeyPath(parsed.pathname.slice(at + PATH_PREFIX.length))
  const method = parsed.searchParams.get("method")
  const expires = parsed.searchParams.get("expires")
  const sig = parsed.searchParams.get("sig")
  if (key === undefined || method === null || expires === null || sig === null) return undefined
  return { key, method, expires, sig }
}
