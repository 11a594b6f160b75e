/**
 * SigV4 header signing for the one request shape of single-part puts (putObject.ts): a request
 * without a query, its path escaped once already, its payload hash given. It computes what
 * `@smithy/signature-v4` computes (the same canonical headers, the same unsignable ones) without
 * its promise chain, header copies and date objects: the signing key is kept per day and the
 * date strings per second. Everything else keeps @smithy's signer (signedRequest.ts, presign.ts).
 */
import { createHmac, hash } from "node:crypto"
import type { CredentialsCache } from "../../internal/credentials.js"
import type { SignedHead } from "./exchange.js"
import { bucketAddress, type PresignTarget } from "./presign.js"
import type { SignedRequest } from "./signedRequest.js"

/** Headers SigV4 signers leave unsigned (as @smithy/signature-v4 does), with `proxy-*` and `sec-*`. */
const UNSIGNABLE = new Set([
  "authorization",
  "cache-control",
  "connection",
  "expect",
  "from",
  "keep-alive",
  "max-forwards",
  "pragma",
  "referer",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "x-amzn-trace-id"
])
const signable = (name: string) => !UNSIGNABLE.has(name) && !name.startsWith("proxy-") && !name.startsWith("sec-")

const canonicalValue = (value: string) =>
  !/[\r\n\t]| {2}|^ | $/.test(value)
    ? value
    : value
        .replace(/[\r\n]/g, " ")
        .replace(/[ \t]+/g, " ")
        .replace(/^ | $/g, "")

/** `20261203T101500Z` for a time in milliseconds. */
const longDateOf = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, "")

export const makePutSigner = (
  target: PresignTarget,
  credentials: CredentialsCache,
  now: () => number = Date.now
): ((request: SignedRequest) => Promise<SignedHead>) => {
  const { protocol, hostname, port, host, bucketPath } = bucketAddress(target)
  const scopeTail = `/${target.region}/s3/aws4_request`
  let second = -1
  let longDate = ""
  let keyFor = ""
  let key: Buffer = Buffer.alloc(0)

  const signingKey = (secret: string, shortDate: string): Buffer => {
    const id = `${shortDate}\n${secret}`
    if (id !== keyFor) {
      const date = createHmac("sha256", `AWS4${secret}`).update(shortDate).digest()
      const region = createHmac("sha256", date).update(target.region).digest()
      const service = createHmac("sha256", region).update("s3").digest()
      key = createHmac("sha256", service).update("aws4_request").digest()
      keyFor = id
    }
    return key
  }

  const sign = (request: SignedRequest, accessKeyId: string, secret: string, token: string | undefined) => {
    const ms = now()
    if (Math.floor(ms / 1000) !== second) {
      second = Math.floor(ms / 1000)
      longDate = longDateOf(ms)
    }
    const shortDate = longDate.slice(0, 8)
    const path = `${bucketPath}${request.path}` || "/"
    const headers: Record<string, string> = { ...request.headers }
    headers.host = host
    headers["x-amz-content-sha256"] = request.payloadHash
    headers["x-amz-date"] = longDate
    if (token !== undefined) headers["x-amz-security-token"] = token
    const names = Object.keys(headers).filter(signable).sort()
    let canonical = `${request.method}\n${path}\n\n`
    for (const name of names) canonical += `${name}:${canonicalValue(headers[name]!)}\n`
    const signedHeaders = names.join(";")
    canonical += `\n${signedHeaders}\n${request.payloadHash}`
    const scope = `${shortDate}${scopeTail}`
    const stringToSign = `AWS4-HMAC-SHA256\n${longDate}\n${scope}\n${hash("sha256", canonical, "hex")}`
    const signature = createHmac("sha256", signingKey(secret, shortDate)).update(stringToSign).digest("hex")
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`
    return { protocol, hostname, port, path, query: {}, headers }
  }

  return async (request) => {
    if (request.query !== undefined && Object.keys(request.query).length > 0)
      throw new Error("makePutSigner signs requests without a query only")
    const { accessKeyId, secretAccessKey, sessionToken } = credentials.fresh() ?? (await credentials.get())
    return sign(request, accessKeyId, secretAccessKey, sessionToken || undefined)
  }
}
