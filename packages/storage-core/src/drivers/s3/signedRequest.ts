/**
 * Requests sent without the SDK's command pipeline: SigV4-signed by one reused signer and sent on
 * the driver's own connections (exchange.ts: same sockets, stall deadlines and abort as every
 * request), credentials from the same cache. Listing and bucket reads (list.ts) use it because
 * the SDK's middleware stack and XML (de)serialisers cost more client CPU than the request
 * itself; single-part puts (putObject.ts) use its `serviceError`.
 *
 * A failure is thrown in the shape of an SDK service exception (`$metadata.httpStatusCode`,
 * `Code`, `message`), so `classify` (errors.ts) and the retry policy treat it as any other.
 */
import { SignatureV4 } from "@smithy/signature-v4"
import type { CredentialsCache } from "../../internal/credentials.js"
import { exchange, type SignedHead, type Transport } from "./exchange.js"
import { parseErrorXml } from "./listXml.js"
import { bucketAddress, keepSigningKey, NodeSha256, type PresignTarget } from "./presign.js"

export interface SignedRequest {
  readonly method: "GET" | "PUT"
  /** Below the bucket, escaped, starting with "/" ("" for the bucket itself). */
  readonly path: string
  readonly query?: Record<string, string>
  /** Lower-case names; `host`, `x-amz-date` and the signature are added here. */
  readonly headers: Record<string, string>
  /** Hex SHA-256 of the body, sent as `x-amz-content-sha256`. */
  readonly payloadHash: string
  readonly body?: Uint8Array
}

export interface SignedResponse {
  readonly statusCode: number
  readonly headers: Record<string, string | undefined>
  readonly body: string
}

/** Signs, sends and reads the whole answer; a non-2xx answer rejects as a service exception. */
export type SendSigned = (request: SignedRequest, abortSignal: AbortSignal) => Promise<SignedResponse>

/** SHA-256 of an empty body (a GET's). */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/** An error `classify` reads as it reads the SDK's service exceptions. */
export const serviceError = (status: number, headers: Record<string, string | undefined>, body: string): Error => {
  const parsed = parseErrorXml(body)
  const code = parsed?.code ?? (status === 404 ? "NotFound" : "UnknownError")
  const region = headers["x-amz-bucket-region"]
  // The SDK follows such redirects; this request is signed for the configured region only.
  const hint = status === 301 && region !== undefined ? ` (the bucket is in region ${region})` : ""
  return Object.assign(new Error(`${parsed?.message || `HTTP ${status}`}${hint}`), {
    name: code,
    Code: code,
    $metadata: { httpStatusCode: status, requestId: headers["x-amz-request-id"] }
  })
}

/** SigV4 signing of `SignedRequest`s with one reused signer (its signing key kept per day). */
export const makeSigner = (
  target: PresignTarget,
  credentials: CredentialsCache
): ((request: SignedRequest) => Promise<SignedHead>) => {
  const { protocol, hostname, port, host, bucketPath } = bucketAddress(target)
  const signer = new SignatureV4({
    service: "s3",
    region: target.region,
    credentials: credentials.get,
    sha256: NodeSha256,
    // The path is escaped once already (bucketAddress, encodeKeyPath); S3 signs it as sent.
    uriEscapePath: false,
    applyChecksum: false
  })
  keepSigningKey(signer)
  return async (request) => {
    const path = `${bucketPath}${request.path}` || "/"
    const headers = { ...request.headers, host, "x-amz-content-sha256": request.payloadHash }
    const plain = { method: request.method, protocol, hostname, path, query: request.query ?? {}, headers }
    const signed = await signer.sign(port === undefined ? plain : { ...plain, port })
    return { protocol, hostname, port, path, query: signed.query as Record<string, string>, headers: signed.headers }
  }
}

export const makeSendSigned = (
  target: PresignTarget,
  transport: Transport,
  credentials: CredentialsCache
): SendSigned => {
  const sign = makeSigner(target, credentials)
  return async (request, abortSignal) => {
    const head = await sign(request)
    const answer = await exchange(transport, request.method, head, request.body, abortSignal)
    const body = answer.body.toString("utf8")
    if (answer.status >= 200 && answer.status < 300) return { statusCode: answer.status, headers: answer.headers, body }
    throw serviceError(answer.status, answer.headers, body)
  }
}
