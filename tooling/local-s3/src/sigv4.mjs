// AWS Signature Version 4 for S3, just enough for tests and health checks (node:crypto only).
import { createHash, createHmac } from "node:crypto"

export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

const sha256 = (data) => createHash("sha256").update(data).digest("hex")
const hmac = (key, data) => createHmac("sha256", key).update(data).digest()

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export const encodeRfc3986 = (text) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/**
 * Signs one request. Returns the headers to send (everything but `host`, which fetch sets
 * from the URL), including `authorization`, `x-amz-date` and `x-amz-content-sha256` —
 * RGW rejects requests without the last one.
 * A string or byte body is hashed; any other body (a stream) is sent as UNSIGNED-PAYLOAD.
 */
export function signV4({
  method = "GET",
  url,
  headers = {},
  body,
  accessKeyId,
  secretAccessKey,
  region = "us-east-1",
  service = "s3",
  now = new Date()
}) {
  const target = new URL(url)
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "") // 20250102T030405Z
  const day = amzDate.slice(0, 8)
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)]))
  const payloadHash =
    lower["x-amz-content-sha256"] ??
    (body == null
      ? sha256("")
      : typeof body === "string" || body instanceof Uint8Array
        ? sha256(body)
        : UNSIGNED_PAYLOAD)
  const signed = { ...lower, host: target.host, "x-amz-date": amzDate, "x-amz-content-sha256": payloadHash }
  const names = Object.keys(signed).sort()
  const canonicalHeaders = names.map((name) => `${name}:${signed[name].trim().replace(/\s+/g, " ")}\n`).join("")
  const path = target.pathname
    .split("/")
    .map((segment) => encodeRfc3986(decodeURIComponent(segment)))
    .join("/")
  const query = [...target.searchParams]
    .map(([key, value]) => [encodeRfc3986(key), encodeRfc3986(value)])
    .sort(([k1, v1], [k2, v2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("&")
  const canonicalRequest = [method, path, query, canonicalHeaders, names.join(";"), payloadHash].join("\n")
  const scope = `${day}/${region}/${service}/aws4_request`
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n")
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), service), "aws4_request")
  const signature = createHmac("sha256", key).update(stringToSign).digest("hex")
  const { host: _host, ...send } = signed
  return {
    ...send,
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`
  }
}

/**
 * One signed S3 request with fetch (path-style URLs).
 * @param {{ endpoint: string, region?: string, accessKeyId: string, secretAccessKey: string }} s3
 * @param {{ method?: string, bucket?: string, key?: string, query?: Record<string, string>,
 *           headers?: Record<string, string>, body?: string | Uint8Array, signal?: AbortSignal }} [request]
 */
export function s3Request(s3, { method = "GET", bucket, key, query = {}, headers = {}, body, signal } = {}) {
  let path = "/"
  if (bucket) path += encodeRfc3986(bucket)
  if (bucket && key !== undefined) path += `/${key.split("/").map(encodeRfc3986).join("/")}`
  const search = Object.entries(query)
    .map(([name, value]) => `${encodeRfc3986(name)}=${encodeRfc3986(value)}`)
    .join("&")
  const url = `${s3.endpoint.replace(/\/$/, "")}${path}${search ? `?${search}` : ""}`
  const signedHeaders = signV4({ ...s3, method, url, headers, body })
  return fetch(url, { method, headers: signedHeaders, body, signal })
}
