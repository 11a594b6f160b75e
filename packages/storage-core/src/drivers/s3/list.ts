/**
 * ListObjectsV2 without the SDK's command pipeline: one SigV4-signed GET through the client's
 * own HTTP handler (same sockets, timeouts and abort), credentials from the same cache, and
 * the response read by the narrow parser of s3ListXml.ts. Listing is the one hot read whose
 * cost is in the client: the SDK spends ~12 ms of CPU deserialising each 1,000-key page.
 *
 * A failure is thrown in the shape of an SDK service exception (`$metadata.httpStatusCode`,
 * `Code`, `message`), so `classify` (s3Errors.ts) and the retry policy treat it as any other.
 */
import type { Readable } from "node:stream"
import type { NodeHttpHandler } from "@smithy/node-http-handler"
import { SignatureV4 } from "@smithy/signature-v4"
import type { CredentialsCache } from "../../internal/credentials.js"
import { type ListPage, parseErrorXml, parseListPage } from "./listXml.js"
import { bucketAddress, keepSigningKey, NodeSha256, type PresignTarget } from "./presign.js"

export interface ListRequest {
  readonly maxKeys: number
  readonly prefix?: string | undefined
  readonly delimiter?: string | undefined
  readonly startAfter?: string | undefined
  readonly continuationToken?: string | undefined
}

export type ListPageFn = (request: ListRequest, abortSignal: AbortSignal) => Promise<ListPage>

/** SHA-256 of the empty body a GET carries. */
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

const readBody = (body: Readable): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    body.on("data", (chunk: Buffer) => chunks.push(chunk))
    body.once("error", reject)
    body.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
  })

/** An error `classify` reads as it reads the SDK's service exceptions. */
const serviceError = (status: number, headers: Record<string, string | undefined>, body: string): Error => {
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

export const makeListPage = (
  target: PresignTarget,
  handler: NodeHttpHandler,
  credentials: CredentialsCache
): ListPageFn => {
  const { protocol, hostname, port, host, bucketPath } = bucketAddress(target)
  const signer = new SignatureV4({
    service: "s3",
    region: target.region,
    credentials: credentials.get,
    sha256: NodeSha256,
    // The path is escaped once already (bucketAddress); S3 signs it as sent.
    uriEscapePath: false,
    applyChecksum: false
  })
  keepSigningKey(signer)
  const path = bucketPath === "" ? "/" : bucketPath

  return async (request, abortSignal) => {
    const query: Record<string, string> = {
      "list-type": "2",
      // Keys come back URL-encoded: XML cannot carry every character a key may hold.
      "encoding-type": "url",
      "max-keys": String(request.maxKeys)
    }
    if (request.prefix) query.prefix = request.prefix
    if (request.delimiter !== undefined) query.delimiter = request.delimiter
    if (request.startAfter) query["start-after"] = request.startAfter
    if (request.continuationToken !== undefined) query["continuation-token"] = request.continuationToken
    const headers = { host, "x-amz-content-sha256": EMPTY_SHA256 }
    const signed = await signer.sign(
      port === undefined
        ? { method: "GET", protocol, hostname, path, query, headers }
        : { method: "GET", protocol, hostname, port, path, query, headers }
    )
    // The handler is typed for the SDK's request class; it reads only the plain fields signed here.
    const { response } = await handler.handle(signed as Parameters<NodeHttpHandler["handle"]>[0], { abortSignal })
    const body = await readBody(response.body as Readable)
    if (response.statusCode >= 200 && response.statusCode < 300) return parseListPage(body)
    throw serviceError(response.statusCode, response.headers, body)
  }
}
