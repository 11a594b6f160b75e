/**
 * Serves a stored object (GET and HEAD of /v1/signed/{key} and /v1/content/{key}): Range (206,
 * `Content-Range`; 416 outside the object), If-None-Match / If-Modified-Since (304), ETag,
 * Last-Modified, Accept-Ranges, and @localex/cdn's cache policy for the key (Cache-Control,
 * CDN-Cache-Control, Vary).
 *
 * Stored bytes are anyone's upload, served from the API's own origin, so they are served so that
 * a browser never runs them there: `X-Content-Type-Options: nosniff` (the type is the stored one,
 * never guessed), a sandboxing `Content-Security-Policy` (LOCALEX_HTTP_CONTENT_CSP), and
 * `Content-Disposition: attachment` for active types (HTML, SVG, XML, JavaScript, or a type that
 * does not parse) unless LOCALEX_HTTP_ACTIVE_CONTENT=inline.
 */
import type { CachePolicy } from "@localex/cdn"
import type { GetOptions, ObjectInfo, ObjectStore } from "@localex/storage-core"
import { Effect, Stream } from "effect"
import { type HttpServerRequest, HttpServerResponse } from "effect/http"
import { etagHeader, parseEtags, parseRange } from "./conditional.js"
import type { HttpSettings } from "./HttpConfig.js"
import { problemResponse, problems } from "./Problems.js"

/** Bodies larger than this are read one chunk ahead of the socket (at most one extra chunk in memory per download). */
const READ_AHEAD_ABOVE = 256 * 1024

const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/
const ACTIVE =
  /(^text\/html$|^application\/xhtml\+xml$|^image\/svg\+xml$|xml$|javascript$|ecmascript$|^text\/xsl$|^application\/wasm$)/

/** Whether a browser could run content of this type (its essence: lower case, no parameters). */
export const isActiveType = (contentType: string): boolean => {
  const essence = (contentType.split(";", 1)[0] ?? "").trim().toLowerCase()
  return !MEDIA_TYPE.test(essence) || ACTIVE.test(essence)
}

/** The headers that keep a stored object from running on this origin (see above). */
export const safeServingHeaders = (
  info: ObjectInfo,
  config: Pick<HttpSettings, "activeContent" | "contentCsp">
): Record<string, string> => {
  const contentType = info.contentType ?? "application/octet-stream"
  const forceAttachment = config.activeContent === "attachment" && isActiveType(contentType)
  const stored = info.contentDisposition
  const disposition =
    forceAttachment && (stored === undefined || !/^\s*attachment\b/i.test(stored)) ? "attachment" : stored
  return {
    "x-content-type-options": "nosniff",
    ...(config.contentCsp === "" ? {} : { "content-security-policy": config.contentCsp }),
    ...(disposition === undefined ? {} : { "content-disposition": disposition })
  }
}

export interface ServeOptions {
  readonly config: Pick<HttpSettings, "activeContent" | "contentCsp">
  /** The cache headers of a response for this object (Cache-Control, and CDN-Cache-Control, Vary where they apply). */
  readonly cachePolicy: (info: ObjectInfo) => Readonly<Record<string, string>>
}

/**
 * @localex/cdn's cache policy for a key as response headers. `shared: false` is for a response to
 * an API key: no shared cache may keep it (RFC 9111 §3.5 would let `public` or `s-maxage` do so),
 * so it becomes `private` with the policy's browser TTL, and CDN-Cache-Control is left out.
 */
export const policyHeaders = (decision: CachePolicy.CacheDecision, shared: boolean): Record<string, string> => {
  const headers = Object.fromEntries(
    Object.entries(decision.headers).map(([name, value]) => [name.toLowerCase(), value])
  )
  if (shared) return headers
  const { "cdn-cache-control": _edge, ...rest } = headers
  const cacheControl =
    decision.rule === "reserved"
      ? "private, no-store"
      : decision.browserTtl > 0
        ? `private, max-age=${decision.browserTtl}${decision.etag ? "" : ", immutable"}`
        : "private, no-cache"
  return { ...rest, "cache-control": cacheControl }
}

const cacheHeaders = (info: ObjectInfo, options: ServeOptions) => ({
  etag: etagHeader(info.etag),
  "last-modified": info.lastModified.toUTCString(),
  ...options.cachePolicy(info)
})

/** 416 with the object's size, so the client can ask again. */
const unsatisfiable = (key: string, size: number) =>
  problemResponse({
    name: "range-not-satisfiable",
    status: 416,
    title: "Range not satisfiable",
    detail: `The requested range is outside "${key}" (${size} bytes)`,
    headers: { "content-range": `bytes */${size}` }
  })

export const serveObject = Effect.fnUntraced(function* (
  store: ObjectStore["Service"],
  key: string,
  request: HttpServerRequest.HttpServerRequest,
  options: ServeOptions
) {
  const etags = parseEtags(request.headers["if-none-match"])
  const range = parseRange(request.headers.range)
  const since = request.headers["if-modified-since"]
  const sinceDate = since === undefined ? undefined : new Date(since)
  const notModified = (info: ObjectInfo) =>
    HttpServerResponse.empty({ status: 304, headers: cacheHeaders(info, options) })
  // A list of ETags, or a suffix range, needs the object's metadata first.
  const known = (etags !== undefined && etags.length > 1) || range?._tag === "Suffix"
  const info = known ? yield* problems(store.head(key)) : undefined
  if (info !== undefined && etags !== undefined && etags.length > 1 && etags.includes(info.etag)) {
    return notModified(info)
  }
  const get: GetOptions = {
    ...(etags?.length === 1 ? { ifNoneMatch: etags[0]! } : {}),
    ...(etags === undefined && sinceDate !== undefined && !Number.isNaN(sinceDate.getTime())
      ? { ifModifiedSince: sinceDate }
      : {}),
    ...(range === undefined
      ? {}
      : range._tag === "From"
        ? { range: range.end === undefined ? { start: range.start } : { start: range.start, end: range.end } }
        : // bytes=-N: the last N bytes (N = 0 is unsatisfiable).
          { range: { start: range.length > 0 ? Math.max(0, info!.size - range.length) : info!.size } })
  }
  const result = yield* store.get(key, get).pipe(
    Effect.map((result) => ({ _tag: "Body" as const, result })),
    Effect.catchTags({
      NotModified: () => Effect.map(store.head(key), (info) => ({ _tag: "NotModified" as const, info })),
      RangeNotSatisfiable: (error) => Effect.succeed({ _tag: "Unsatisfiable" as const, size: error.size })
    }),
    problems
  )
  if (result._tag === "NotModified") return notModified(result.info)
  if (result._tag === "Unsatisfiable") return unsatisfiable(key, result.size)
  const { info: object, body, range: served } = result.result
  const length = served === undefined ? object.size : served.end - served.start + 1
  // Read the next chunk while this one is written (as a piped file stream does); small bodies are one chunk.
  return HttpServerResponse.stream(length > READ_AHEAD_ABOVE ? Stream.buffer(body, { capacity: 1 }) : body, {
    status: served === undefined ? 200 : 206,
    contentType: object.contentType ?? "application/octet-stream",
    contentLength: length,
    headers: {
      ...cacheHeaders(object, options),
      "accept-ranges": "bytes",
      ...(served === undefined ? {} : { "content-range": `bytes ${served.start}-${served.end}/${served.size}` }),
      ...safeServingHeaders(object, options.config)
    }
  })
})
