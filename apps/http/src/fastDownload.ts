/**
 * The lean path of downloads on the fs driver: `GET /v1/signed/{key}` and `GET /v1/content/{key}`
 * answered in the node request listener, before the Effect router, with the file written to the
 * socket from reused buffers (fileBody.ts). The Effect route (router, middlewares, schema decoding, the store's
 * Effect and Stream) costs several times the file operations of a small download; this path
 * does what that route does for a download that succeeds, and nothing else.
 *
 * It takes only requests it answers exactly as the route would: GET, an origin-form path that
 * decodes to a valid key (rawPath.ts's rules: no `;` stripping, no slash merging), a query that
 * decodes, no Range or conditional header, a valid unexpired signature (or a bearer key with the
 * `read` scope), and an object that opens. Anything else — every error included — is passed on
 * untouched to the route, which answers as documented (problem+json, 503 + Retry-After, 206, 304,
 * 416…); a request passed on after the object failed to open has cost one extra open.
 *
 * What it keeps of the route: the same headers (download.ts: ETag, Last-Modified, the CDN cache
 * policy, Accept-Ranges, the safe-serving headers), the request log's route
 * (requestLog.ts writes the line), `localex_http_request_duration_seconds`, and the store's
 * metrics (`localex_store_operation_duration_seconds` and @localex/monitoring's
 * `localex_store_operation_seconds`, `localex_store_bytes_total`).
 */
import { closeSync } from "node:fs"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Cdn } from "@localex/cdn"
import { AppMetrics } from "@localex/monitoring"
import { type ObjectInfo, SignedUrl } from "@localex/storage-core"
import { openForReading } from "@localex/storage-core/fs"
import { type Context, Metric } from "effect"
import type { ApiKeys } from "./ApiKeys.js"
import { grants } from "./ApiKeys.js"
import { etagHeader } from "./conditional.js"
import { policyHeaders, safeServingHeaders } from "./download.js"
import { endWith, releaseBuffer, sendFile, takeBuffer } from "./fileBody.js"
import type { HttpSettings } from "./HttpConfig.js"
import type { Metrics } from "./Metrics.js"
import { badQuery } from "./rawPath.js"
import { noteRequest } from "./requestLog.js"
import type { SignedUrls } from "./SignedUrls.js"

/**
 * Takes a request (true), or leaves it to the route (false). A request taken may still be passed
 * on later with `passOn` (nothing has been written to its response then).
 */
export type FastLane = (request: IncomingMessage, response: ServerResponse, passOn: () => void) => boolean

const SIGNED = "/v1/signed/"
const CONTENT = "/v1/content/"
const BEARER = /^Bearer (\S+)$/

/** Headers whose presence sends a request to the route (it handles ranges and conditional requests). */
const ROUTE_HEADERS = ["range", "if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range"]

const downloaded = Metric.withAttributes(AppMetrics.storeBytes, { direction: "download" })
const getOk = Metric.withAttributes(AppMetrics.storeOperationSeconds, { operation: "get", outcome: "ok" })

export interface FastLaneServices {
  readonly root: string
  readonly config: Pick<HttpSettings, "activeContent" | "contentCsp">
  readonly signed: SignedUrls["Service"]
  readonly keys: ApiKeys["Service"]
  readonly cdn: Cdn["Service"]
  readonly metrics: Metrics["Service"]
  /** Where the Effect metrics are kept (the app's context: its MetricRegistry). */
  readonly context: Context.Context<never>
  /** False while the server stops (the route then closes each connection as its response ends). */
  readonly enabled: () => boolean
}

/** The key and the route of a download this lane may take, or undefined. */
const eligible = (
  request: IncomingMessage,
  services: FastLaneServices
): { readonly key: string; readonly route: string; readonly shared: boolean } | undefined => {
  if (request.method !== "GET") return undefined
  const url = request.url ?? ""
  const signed = url.startsWith(SIGNED)
  if (!signed && !url.startsWith(CONTENT)) return undefined
  for (const name of ROUTE_HEADERS) if (request.headers[name] !== undefined) return undefined
  const at = url.indexOf("?")
  const path = at === -1 ? url : url.slice(0, at)
  const query = at === -1 ? "" : url.slice(at + 1)
  if (query !== "" && badQuery(query)) return undefined
  const key = SignedUrl.decodeKeyPath(path.slice(signed ? SIGNED.length : CONTENT.length))
  if (key === undefined) return undefined
  if (signed) {
    const params = new URLSearchParams(query)
    const method = params.getAll("method")
    const expires = params.getAll("expires")
    const sig = params.getAll("sig")
    if (method.length !== 1 || method[0] !== "GET" || expires.length !== 1 || sig.length !== 1) return undefined
    if (!services.signed.accepts({ key, method: "GET", expires: expires[0]!, sig: sig[0]! })) return undefined
    return { key, route: "/v1/signed/*", shared: true }
  }
  const token = BEARER.exec(request.headers.authorization ?? "")?.[1]
  if (token === undefined) return undefined
  const verdict = services.keys.authenticate(token)
  if (verdict._tag !== "Valid" || !grants(verdict.key.scopes, "read")) return undefined
  return { key, route: "/v1/content/*", shared: false }
}

/** The response head of a whole object, as download.ts's `serveObject` writes it. */
const headers = (info: ObjectInfo, key: string, shared: boolean, services: FastLaneServices) => ({
  etag: etagHeader(info.etag),
  "last-modified": info.lastModified.toUTCString(),
  ...policyHeaders(services.cdn.decide(key), shared),
  "accept-ranges": "bytes",
  ...safeServingHeaders(info, services.config),
  "content-type": info.contentType ?? "application/octet-stream",
  "content-length": String(info.size)
})

export const makeFastLane = (services: FastLaneServices): FastLane => {
  // The Effect metrics, updated in place (Effect.runSync would start a fiber per request).
  const done = (opened: number, bytes: number) => {
    getOk.updateUnsafe(opened, services.context)
    downloaded.updateUnsafe(bytes, services.context)
  }
  return (request, response, passOn) => {
    if (!services.enabled()) return false
    const taken = eligible(request, services)
    if (taken === undefined) return false
    const started = performance.now()
    const seconds = () => (performance.now() - started) / 1000
    const buffer = takeBuffer()
    openForReading(services.root, taken.key, { buffer })
      .then(
        (object) => {
          if (object === undefined) {
            releaseBuffer(buffer)
            return passOn()
          }
          const opened = seconds()
          try {
            response.writeHead(200, headers(object.info, taken.key, taken.shared, services))
          } catch {
            // A stored header value Node refuses to send: nothing was written, the route answers.
            if ("fd" in object) closeSync(object.fd)
            releaseBuffer(buffer)
            return passOn()
          }
          noteRequest(request, { route: taken.route })
          services.metrics.storeSeconds.observe({ operation: "get", outcome: "ok" }, opened)
          services.metrics.requestSeconds.observe({ method: "GET", route: taken.route, status: "200" }, seconds())
          if ("content" in object) {
            endWith(response, object.content, buffer)
            return done(opened, object.content.length)
          }
          const { fd, head, info } = object
          if (head.length === info.size) {
            // Content short, metadata long: the one read had it all.
            closeSync(fd)
            endWith(response, head, buffer)
            return done(opened, head.length)
          }
          return sendFile(response, fd, buffer, head, info.size).then((bytes) => done(opened, bytes))
        },
        () => {
          releaseBuffer(buffer)
          passOn()
        }
      )
      // Nothing above should throw; if it does, the client sees the connection end rather than a hang.
      .catch((error: unknown) => response.destroy(error instanceof Error ? error : new Error(String(error))))
    return true
  }
}
