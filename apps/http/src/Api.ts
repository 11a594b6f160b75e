/**
 * The HTTP API, schema first: routes, inputs, outputs and errors. The OpenAPI document at
 * /openapi.json and the docs page at /docs are generated from this definition.
 *
 * Keys in paths: `/v1/files/{key}` and `/v1/signed/{key}` take the rest of the path as the
 * key, slashes included (`/v1/files/items/123/photo.jpg`); percent-encode each segment (or the
 * whole key, `%2F` for "/"). Keys that are not valid (`a/../b`) are refused with 400.
 */
import { PhotoManifest, PhotoVariant } from "@localex/image-processing"
import { Stats } from "@localex/monitoring"
import { Context, Schema } from "effect"
import { Multipart } from "effect/http"
import {
  HttpApi,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSchema,
  HttpApiSecurity,
  OpenApi
} from "effect/http-api"
import { Dashboard } from "./dashboardModel.js"
import {
  BadRequest,
  cdnProblems,
  DeleteIncompleteProblem,
  Forbidden,
  InvalidKeyProblem,
  InvalidManifestProblem,
  InvalidPhotoRefProblem,
  NotFound,
  PayloadTooLarge,
  PreconditionFailedProblem,
  RangeNotSatisfiableProblem,
  ServiceUnavailable,
  storeProblems,
  Unauthorized,
  uploadProblems
} from "./Problems.js"

/** Where the listing is routed: `GET /v1/files` shares its path with the stat route's (see rawPath.ts). */
export const LIST_ROUTE = "/v1/files/"

/** A route's template as metrics and the log show it (the listing as clients call it). */
export const routeLabel = (path: string): string => (path === LIST_ROUTE ? "/v1/files" : path)

// --- auth -------------------------------------------------------------------------------

export const Scopes = ["read", "write", "admin"] as const
export type Scope = (typeof Scopes)[number]

/** Who is calling: the API key that authenticated the request. */
export class Principal extends Context.Service<
  Principal,
  { readonly id: string; readonly scopes: ReadonlySet<Scope> }
>()("@localex/http/Principal") {}

/** The scope an endpoint needs; `admin` satisfies every scope. */
export const RequiredScope = Context.Reference<Scope>("@localex/http/RequiredScope", {
  defaultValue: () => "admin"
})

/** `Authorization: Bearer <api key>`: 401 without a known key, 403 without the endpoint's scope. */
export class Authorization extends HttpApiMiddleware.Service<Authorization, { provides: Principal }>()(
  "@localex/http/Authorization",
  { security: { bearer: HttpApiSecurity.bearer }, error: [Unauthorized, Forbidden] }
) {}

// --- every endpoint -------------------------------------------------------------------

/** Set on endpoints that stream their body to the store or the image pipeline (each with its own size cap). */
export const StreamedBody = Context.Reference<boolean>("@localex/http/StreamedBody", { defaultValue: () => false })

/**
 * Caps the body of every endpoint that is not `StreamedBody` at LOCALEX_HTTP_MAX_BODY_BYTES: 413
 * from Content-Length before any byte is read, or as soon as a body without one passes it.
 */
export class BodyLimit extends HttpApiMiddleware.Service<BodyLimit>()("@localex/http/BodyLimit", {
  error: PayloadTooLarge
}) {}

/**
 * Notes, for the request log (requestLog.ts), the route template as the endpoint starts (a request
 * abandoned mid-body is logged with it) and the cause of every 5xx the endpoint answers with.
 */
export class RequestNotes extends HttpApiMiddleware.Service<RequestNotes>()("@localex/http/RequestNotes") {}

// --- schemas ----------------------------------------------------------------------------

const Nullable = Schema.NullOr(Schema.String)

export const ObjectInfo = Schema.Struct({
  key: Schema.String,
  size: Schema.Number,
  etag: Schema.String,
  lastModified: Schema.String.annotate({ description: "ISO 8601" }),
  contentType: Nullable,
  cacheControl: Nullable,
  contentDisposition: Nullable,
  metadata: Schema.Record(Schema.String, Schema.String),
  storageClass: Nullable,
  versionId: Nullable
}).annotate({ identifier: "ObjectInfo" })

export const MAX_EXPIRES_IN = 7 * 24 * 60 * 60

/** A media type as a Content-Type header carries it: `type/subtype`, optional parameters, visible ASCII only. */
const MediaType = Schema.String.check(
  Schema.isPattern(
    /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+=("[\x20-\x21\x23-\x5b\x5d-\x7e]*"|[!#$%&'*+.^_`|~0-9A-Za-z-]+))*$/,
    {
      message: 'a media type such as "image/jpeg" or "text/plain; charset=utf-8" (no control characters)'
    }
  )
)

export const SignRequest = Schema.Struct({
  key: Schema.String,
  method: Schema.optional(Schema.Literals(["GET", "PUT"])).annotate({ description: "Default GET" }),
  expiresIn: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MAX_EXPIRES_IN }))).annotate({
    description: "Seconds the URL stays valid (default 900, at most 7 days)"
  }),
  contentType: Schema.optional(MediaType).annotate({ description: "PUT: the Content-Type the uploader must send" })
}).annotate({ identifier: "SignRequest" })

export const SignedUrl = Schema.Struct({
  url: Schema.String,
  method: Schema.Literals(["GET", "PUT"]),
  expiresAt: Schema.String,
  headers: Schema.Record(Schema.String, Schema.String).annotate({
    description: "Headers the request must carry for the signature to hold"
  })
}).annotate({ identifier: "SignedUrl" })

export const ListedObject = Schema.Struct({
  key: Schema.String,
  size: Schema.Number,
  etag: Schema.String,
  lastModified: Schema.String.annotate({ description: "ISO 8601" }),
  storageClass: Nullable
}).annotate({ identifier: "ListedObject" })

export const FileList = Schema.Struct({
  objects: Schema.Array(ListedObject),
  prefixes: Schema.Array(Schema.String).annotate({
    description: 'With a delimiter: the common prefixes ("folders") on this page'
  }),
  nextCursor: Schema.NullOr(Schema.String).annotate({
    description: "Pass as `cursor` for the next page; null on the last page"
  })
}).annotate({ identifier: "FileList" })

export const MAX_LIST_LIMIT = 1000

export const ListQuery = {
  prefix: Schema.optional(Schema.String).annotate({ description: "Only keys that start with this" }),
  delimiter: Schema.optional(Schema.String.check(Schema.isMinLength(1))).annotate({
    description: 'Group keys by this (usually "/"): deeper keys come back once, as a prefix'
  }),
  cursor: Schema.optional(Schema.String).annotate({ description: "The previous page's nextCursor" }),
  limit: Schema.optional(
    Schema.FiniteFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: MAX_LIST_LIMIT }))
  ).annotate({ description: `Entries per page, 1–${MAX_LIST_LIMIT} (default 100)` })
}

export const Health = Schema.Struct({
  status: Schema.Literal("ok"),
  driver: Schema.Literals(["fs", "s3", "memory"])
}).annotate({ identifier: "Health" })

export const PhotoVariantView = Schema.Struct({
  ...PhotoVariant.fields,
  url: Schema.String.annotate({
    description: "Where to download this variant: a signed URL (valid until urlsExpireAt), or the CDN's"
  })
}).annotate({ identifier: "PhotoVariant" })

/** A stored photo's manifest, with a URL per variant (the URLs are not stored: each response makes them). */
export const PhotoView = Schema.Struct({
  ...PhotoManifest.fields,
  variants: Schema.Array(PhotoVariantView),
  urlsExpireAt: Schema.NullOr(Schema.String).annotate({
    description: "ISO 8601: when the variants' signed URLs stop working; null for CDN URLs"
  })
}).annotate({ identifier: "Photo" })

export const SkippedManifest = Schema.Struct({
  key: Schema.String.annotate({ description: "The manifest that could not be read" }),
  reason: Schema.String
}).annotate({ identifier: "SkippedManifest" })

export const PhotoList = Schema.Struct({
  photos: Schema.Array(PhotoView),
  skipped: Schema.Array(SkippedManifest).annotate({
    description: "Photos left out because their manifest could not be read (empty when all were read)"
  })
}).annotate({ identifier: "PhotoList" })

/** `multipart/form-data` with one file part (any field name, e.g. `file`); the file is streamed, not buffered on disk. */
const PhotoUpload = Schema.Struct({ file: Multipart.SingleFileSchema }).pipe(HttpApiSchema.asMultipartStream())

/** The rest of the path after the route prefix: the object key. */
const keyParam = { "*": Schema.String.annotate({ description: "The object key (slashes allowed)" }) }

const Bytes = HttpApiSchema.StreamUint8Array({ contentType: "application/octet-stream" })

const describe = (summary: string, description?: string) =>
  OpenApi.annotations(description === undefined ? { summary } : { summary, description })

// --- groups -----------------------------------------------------------------------------

export class SystemApi extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/health", { success: Health, error: ServiceUnavailable }).annotateMerge(
      describe("Liveness and store check", "Lists one key from the store; 503 when the store does not answer.")
    ),
    HttpApiEndpoint.get("metrics", "/metrics", {
      success: Schema.String.pipe(HttpApiSchema.asText({ contentType: "text/plain; version=0.0.4" }))
    }).annotateMerge(describe("Prometheus metrics"))
  )
  .annotateMerge(OpenApi.annotations({ title: "System", description: "No authentication" })) {}

export class FilesApi extends HttpApiGroup.make("files")
  .add(
    HttpApiEndpoint.post("upload", "/v1/files", {
      query: { key: Schema.String.annotate({ description: "The key to store the body under" }) },
      headers: {
        "if-none-match": Schema.optional(Schema.Literal("*")).annotate({
          description: "* : fail with 412 if the key exists"
        }),
        "if-match": Schema.optional(Schema.String).annotate({
          description:
            'An ETag ("…") : replace only that version of the object, else 412; * : replace only an existing object'
        })
      },
      payload: Bytes,
      success: ObjectInfo.pipe(HttpApiSchema.status(201)),
      error: [InvalidKeyProblem, BadRequest, PreconditionFailedProblem, PayloadTooLarge, ...storeProblems]
    })
      .annotate(RequiredScope, "write")
      .annotate(StreamedBody, true)
      .annotateMerge(
        describe(
          "Upload a file (scope: write)",
          "The request body is streamed to the store under `key`, with the request's Content-Type. " +
            "Bodies over LOCALEX_HTTP_MAX_UPLOAD_BYTES are refused with 413 and nothing is stored. " +
            "If-None-Match: * creates only; If-Match replaces only the version it names (or any existing one, *); " +
            "both at once is 400."
        )
      ),
    HttpApiEndpoint.post("sign", "/v1/files/sign", {
      payload: SignRequest,
      success: SignedUrl,
      error: [InvalidKeyProblem, Forbidden, ...storeProblems]
    })
      .annotate(RequiredScope, "read")
      .annotateMerge(
        describe(
          "Sign a URL (scope: read for GET, write for PUT)",
          "A time-limited URL that downloads (GET) or uploads (PUT) one key without an API key."
        )
      ),
    HttpApiEndpoint.get("list", LIST_ROUTE, {
      query: ListQuery,
      success: FileList,
      error: [InvalidKeyProblem, BadRequest, ...storeProblems]
    })
      .annotate(RequiredScope, "read")
      .annotateMerge(
        describe(
          "List keys (scope: read)",
          "One page of the keys under `prefix`, in key order (UTF-8 bytes); `nextCursor` asks for the next."
        )
      ),
    HttpApiEndpoint.get("content", "/v1/content/*", {
      params: keyParam,
      success: [Bytes, HttpApiSchema.Empty(206), HttpApiSchema.Empty(304)],
      error: [InvalidKeyProblem, NotFound, RangeNotSatisfiableProblem, ...storeProblems]
    })
      .annotate(RequiredScope, "read")
      .annotateMerge(
        describe(
          "Download an object (scope: read)",
          "The object's bytes, with Range (206), If-None-Match / If-Modified-Since (304), ETag, Last-Modified; " +
            "served with X-Content-Type-Options: nosniff, a sandboxing Content-Security-Policy, and as an " +
            "attachment when its type is active (HTML, SVG, XML, JavaScript)."
        )
      ),
    HttpApiEndpoint.get("stat", "/v1/files/*", {
      params: keyParam,
      success: ObjectInfo,
      error: [InvalidKeyProblem, NotFound, ...storeProblems]
    })
      .annotate(RequiredScope, "read")
      .annotateMerge(describe("An object's metadata (scope: read)")),
    HttpApiEndpoint.delete("remove", "/v1/files/*", {
      params: keyParam,
      success: HttpApiSchema.NoContent,
      error: [InvalidKeyProblem, ...storeProblems]
    })
      .annotate(RequiredScope, "write")
      .annotateMerge(describe("Delete an object (scope: write); deleting a missing key succeeds"))
  )
  .middleware(Authorization)
  .annotateMerge(OpenApi.annotations({ title: "Files", description: "Bearer API key required" })) {}

const itemId = { itemId: Schema.String.annotate({ description: "The item's id (1–128 of A–Z a–z 0–9 . _ -)" }) }
const userId = { userId: Schema.String.annotate({ description: "The user's id (1–128 of A–Z a–z 0–9 . _ -)" }) }
const photoId = {
  photoId: Schema.String.annotate({ description: "The photo's id: 64 hex digits (its content address)" })
}

const uploadDescription =
  "Send `multipart/form-data` with one file part (`curl -F file=@photo.jpg`). The file is streamed and " +
  "refused with 413 past IMAGE_MAX_INPUT_BYTES, then checked (format from its bytes, pixels, decoding), " +
  "resized to thumbnail, medium and large in WebP and JPEG (PNG with transparency), and stored whole or " +
  "not at all. The same photo uploaded again returns the same photo."

export class PhotosApi extends HttpApiGroup.make("photos")
  .add(
    HttpApiEndpoint.post("uploadItemPhoto", "/v1/items/:itemId/photos", {
      params: itemId,
      payload: PhotoUpload,
      success: HttpApiSchema.WithHeaders(PhotoView.pipe(HttpApiSchema.status(201)), {
        location: Schema.String.annotate({ description: "/v1/items/{itemId}/photos/{photoId}" })
      }),
      error: [...uploadProblems, ...storeProblems]
    })
      .annotate(RequiredScope, "write")
      .annotate(StreamedBody, true)
      .annotateMerge(describe("Add a photo to an item (scope: write)", uploadDescription)),
    HttpApiEndpoint.get("listItemPhotos", "/v1/items/:itemId/photos", {
      params: itemId,
      success: PhotoList,
      error: [InvalidKeyProblem, ...storeProblems]
    })
      .annotate(RequiredScope, "read")
      .annotateMerge(
        describe(
          "An item's photos, in photo id order (scope: read)",
          "A photo whose manifest cannot be read is left out and listed in `skipped`, so one damaged photo does not hide the others."
        )
      ),
    HttpApiEndpoint.get("getItemPhoto", "/v1/items/:itemId/photos/:photoId", {
      params: { ...itemId, ...photoId },
      success: PhotoView,
      error: [InvalidPhotoRefProblem, InvalidKeyProblem, NotFound, InvalidManifestProblem, ...storeProblems]
    })
      .annotate(RequiredScope, "read")
      .annotateMerge(describe("One photo of an item: its manifest with variant URLs (scope: read)")),
    HttpApiEndpoint.delete("deleteItemPhoto", "/v1/items/:itemId/photos/:photoId", {
      params: { ...itemId, ...photoId },
      success: HttpApiSchema.NoContent,
      error: [InvalidPhotoRefProblem, NotFound, DeleteIncompleteProblem, ...storeProblems]
    })
      .annotate(RequiredScope, "write")
      .annotateMerge(describe("Delete a photo of an item: every variant, then its manifest (scope: write)")),
    HttpApiEndpoint.put("putProfilePhoto", "/v1/profiles/:userId/photo", {
      params: userId,
      payload: PhotoUpload,
      success: PhotoView,
      error: [...uploadProblems, ...storeProblems]
    })
      .annotate(RequiredScope, "write")
      .annotate(StreamedBody, true)
      .annotateMerge(
        describe(
          "Set a user's profile photo (scope: write)",
          `${uploadDescription} The user's previous profile photo is deleted once the new one is stored. ` +
            "Replacements that race each other leave exactly one photo: the last to be made the profile photo " +
            "(the pointer `profiles/{userId}/photo.json`, written with compare-and-swap). 503 when the photo kept " +
            "changing under this request (safe to retry)."
        )
      ),
    HttpApiEndpoint.get("getProfilePhoto", "/v1/profiles/:userId/photo", {
      params: userId,
      success: PhotoView,
      error: [InvalidKeyProblem, NotFound, InvalidManifestProblem, ...storeProblems]
    })
      .annotate(RequiredScope, "read")
      .annotateMerge(describe("A user's profile photo (scope: read); 404 when there is none")),
    HttpApiEndpoint.delete("deleteProfilePhoto", "/v1/profiles/:userId/photo", {
      params: userId,
      success: HttpApiSchema.NoContent,
      error: [InvalidKeyProblem, NotFound, InvalidManifestProblem, DeleteIncompleteProblem, ...storeProblems]
    })
      .annotate(RequiredScope, "write")
      .annotateMerge(describe("Delete a user's profile photo (scope: write); 404 when there is none"))
  )
  .middleware(Authorization)
  .annotateMerge(OpenApi.annotations({ title: "Photos", description: "Bearer API key required" })) {}

/** A whole number in a query string, within `[min, max]`. */
const intQuery = (min: number, max: number, description: string) =>
  Schema.optional(
    Schema.FiniteFromString.check(Schema.isInt(), Schema.isBetween({ minimum: min, maximum: max }))
  ).annotate({ description })

export const StatsQuery = {
  prefix: Schema.optional(Schema.String).annotate({
    description: "Only keys under this prefix (default: the whole bucket)"
  }),
  depth: intQuery(0, 16, "Folder levels byPrefix groups by (default 1)"),
  largest: intQuery(0, 1000, "How many of the largest objects to list (default 10)"),
  refresh: Schema.optional(Schema.Literals(["true", "false"])).annotate({
    description: "true: compute now instead of answering from the cache (LOCALEX_HTTP_STATS_TTL)"
  })
}

export class StatsApi extends HttpApiGroup.make("stats")
  .add(
    HttpApiEndpoint.get("stats", "/v1/stats", {
      query: StatsQuery,
      success: Stats.StorageStats.annotate({ identifier: "StorageStats" }),
      error: [InvalidKeyProblem, ...storeProblems]
    })
      .annotate(RequiredScope, "admin")
      .annotateMerge(
        describe(
          "Storage statistics (scope: admin)",
          "Totals, storage classes, prefixes, size and age histograms, the largest objects, incomplete multipart " +
            "uploads and noncurrent versions, from one listing of the bucket. A result is cached per query for " +
            "LOCALEX_HTTP_STATS_TTL (default 60 s; generatedAt says when it was computed); refresh=true computes it now."
        )
      )
  )
  .middleware(Authorization)
  .annotateMerge(OpenApi.annotations({ title: "Statistics", description: "Bearer API key with the admin scope" })) {}

export class DashboardApi extends HttpApiGroup.make("dashboard")
  .add(
    HttpApiEndpoint.get("dashboard", "/v1/dashboard", {
      query: {
        refresh: Schema.optional(Schema.Literals(["true", "false"])).annotate({
          description: "true: compute the statistics now instead of answering from the cache"
        })
      },
      success: Dashboard,
      error: [InvalidKeyProblem, ...storeProblems]
    })
      .annotate(RequiredScope, "admin")
      .annotateMerge(
        describe(
          "What the dashboard (/dashboard) shows (scope: admin)",
          "Storage by prefix, class and age; growth from stored statistics snapshots; the latest checklist report " +
            "of each job; the estimated monthly cost and the budget; alarm states; the CDN hit ratio. A source that " +
            "is not configured is a `not-configured` panel naming its setting; one that fails is an `error` panel."
        )
      )
  )
  .middleware(Authorization)
  .annotateMerge(OpenApi.annotations({ title: "Dashboard", description: "Bearer API key with the admin scope" })) {}

// --- admin: CDN -------------------------------------------------------------------------

/** Requests of the CDN admin routes are JSON (bodies are capped by BodyLimit); lists have a ceiling too. */
const MAX_CDN_TARGETS = 10_000

export const InvalidationRequest = Schema.Struct({
  paths: Schema.Array(Schema.String.check(Schema.isMinLength(1)))
    .check(Schema.isMinLength(1), Schema.isMaxLength(MAX_CDN_TARGETS))
    .annotate({ description: "Keys or paths (items/123/photo.jpg, /items/123/*)" }),
  dryRun: Schema.optional(Schema.Boolean).annotate({ description: "Plan and price only; send nothing" }),
  wait: Schema.optional(Schema.Boolean).annotate({
    description: "Answer once CloudFront has completed every invalidation"
  })
}).annotate({ identifier: "InvalidationRequest" })

const Count = Schema.Number.annotate({ description: "A count" })

export const InvalidationReport = Schema.Struct({
  mode: Schema.Literals(["cloudfront", "local"]),
  distributionId: Schema.optional(Schema.String),
  dryRun: Schema.Boolean,
  plan: Schema.Struct({
    requested: Count,
    paths: Schema.Array(Schema.String),
    individual: Count,
    wildcards: Count,
    duplicates: Count,
    collapsed: Schema.Array(Schema.Struct({ wildcard: Schema.String, covers: Count })),
    batches: Schema.Array(Schema.Struct({ callerReference: Schema.String, paths: Schema.Array(Schema.String) })),
    cost: Schema.Struct({ billablePaths: Count, freeRemaining: Count, usd: Schema.Number })
  }),
  invalidations: Schema.Array(
    Schema.Struct({ id: Schema.String, callerReference: Schema.String, paths: Count, status: Schema.String })
  ),
  note: Schema.optional(Schema.String).annotate({ description: "Why nothing was sent, when nothing was" })
}).annotate({ identifier: "InvalidationReport" })

export const WarmRequest = Schema.Struct({
  keys: Schema.Array(Schema.String.check(Schema.isMinLength(1)))
    .check(Schema.isMinLength(1), Schema.isMaxLength(MAX_CDN_TARGETS))
    .annotate({ description: "Keys, or URLs on the CDN domains (LOCALEX_CDN_DOMAINS); any other host is refused" }),
  concurrency: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 256 }))).annotate({
    description: "Requests in flight at once (default 16)"
  })
}).annotate({ identifier: "WarmRequest" })

const PassSummary = Schema.Struct({
  pass: Count,
  requests: Count,
  hits: Count,
  misses: Count,
  errors: Count,
  hitRatio: Schema.Number,
  p50Ms: Schema.Number,
  p95Ms: Schema.Number,
  elapsedMs: Schema.Number,
  requestsPerSecond: Schema.Number
}).annotate({ identifier: "WarmPassSummary" })

const WarmResult = Schema.Struct({
  target: Schema.String,
  url: Schema.String,
  status: Schema.optional(Schema.Number),
  cache: Schema.Literals(["hit", "miss", "unknown"]),
  age: Schema.optional(Schema.Number),
  latencyMs: Schema.Number,
  bytes: Count,
  error: Schema.optional(Schema.String)
}).annotate({ identifier: "WarmResult" })

export const WarmReport = Schema.Struct({
  domains: Schema.Array(Schema.String),
  passes: Schema.Array(Schema.Struct({ summary: PassSummary, results: Schema.Array(WarmResult) }))
}).annotate({ identifier: "WarmReport" })

export class CdnApi extends HttpApiGroup.make("cdn")
  .add(
    HttpApiEndpoint.post("invalidate", "/v1/admin/cdn/invalidations", {
      payload: InvalidationRequest,
      success: InvalidationReport,
      error: [...cdnProblems]
    })
      .annotate(RequiredScope, "admin")
      .annotateMerge(
        describe(
          "Invalidate CloudFront's copies (scope: admin)",
          "Paths are normalised, de-duplicated and collapsed to wildcards over the budget, then sent in batches " +
            "(retried while CloudFront has too many in progress). dryRun returns the plan and its cost only. " +
            "Without LOCALEX_CDN_DISTRIBUTION_ID (local mode) nothing is sent: the note says there is nothing to invalidate."
        )
      ),
    HttpApiEndpoint.post("warm", "/v1/admin/cdn/warm", {
      payload: WarmRequest,
      success: WarmReport,
      error: [...cdnProblems]
    })
      .annotate(RequiredScope, "admin")
      .annotateMerge(
        describe(
          "Warm the CDN's cache (scope: admin)",
          "Requests the CDN URLs of the keys (only on LOCALEX_CDN_DOMAINS: a URL on another host is refused with " +
            "400 before anything is fetched) with bounded concurrency; per key hit/miss, status and latency, and a " +
            "second pass's hit ratio and p50/p95."
        )
      )
  )
  .middleware(Authorization)
  .annotateMerge(OpenApi.annotations({ title: "CDN", description: "Bearer API key with the admin scope" })) {}

const signedQuery = {
  method: Schema.Literals(["GET", "PUT"]),
  expires: Schema.String.annotate({ description: "Expiry, Unix seconds" }),
  sig: Schema.String.annotate({ description: "HMAC-SHA256 signature, base64url" })
}

export class SignedApi extends HttpApiGroup.make("signed")
  .add(
    HttpApiEndpoint.get("download", "/v1/signed/*", {
      params: keyParam,
      query: signedQuery,
      success: [Bytes, HttpApiSchema.Empty(206), HttpApiSchema.Empty(304)],
      error: [InvalidKeyProblem, Forbidden, NotFound, RangeNotSatisfiableProblem, ...storeProblems]
    }).annotateMerge(
      describe(
        "Download through a signed URL (fs driver)",
        "Authorised by the signature. Supports Range (206), If-None-Match (304); sends ETag, Last-Modified, Cache-Control."
      )
    ),
    HttpApiEndpoint.put("upload", "/v1/signed/*", {
      params: keyParam,
      query: signedQuery,
      payload: Bytes,
      success: ObjectInfo.pipe(HttpApiSchema.status(201)),
      error: [InvalidKeyProblem, Forbidden, NotFound, PreconditionFailedProblem, PayloadTooLarge, ...storeProblems]
    })
      .annotate(StreamedBody, true)
      .annotateMerge(describe("Upload through a signed URL (fs driver)", "Authorised by the signature."))
  )
  .annotateMerge(
    OpenApi.annotations({ title: "Signed URLs", description: "Served for the fs driver; authorised by the signature" })
  ) {}

/**
 * Shows `/v1/…/*` as `/v1/…/{key}` in the OpenAPI document (the router takes the rest of the
 * path), and the listing at `/v1/files`, where clients call it (rawPath.ts routes it).
 */
const keyPaths = (spec: Record<string, unknown>): Record<string, unknown> => {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const [path, item] of Object.entries((spec.paths ?? {}) as Record<string, Record<string, unknown>>)) {
    const renamed = path.endsWith("/*") ? `${path.slice(0, -2)}/{key}` : path === LIST_ROUTE ? "/v1/files" : path
    const shown = JSON.parse(JSON.stringify(item).replaceAll('"name":"*"', '"name":"key"'))
    paths[renamed] = { ...paths[renamed], ...shown }
  }
  return { ...spec, paths: singleAnyOf(paths) }
}

/** `Schema.optional(x)` comes out as `{ anyOf: [x] }`; OpenAPI linters want `x` itself. */
const singleAnyOf = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(singleAnyOf)
  if (node === null || typeof node !== "object") return node
  const { anyOf, ...rest } = node as Record<string, unknown>
  const lone = Array.isArray(anyOf) && anyOf.length === 1 ? (anyOf[0] as Record<string, unknown>) : undefined
  const merged = lone === undefined ? (anyOf === undefined ? rest : { ...rest, anyOf }) : { ...lone, ...rest }
  return Object.fromEntries(Object.entries(merged).map(([key, value]) => [key, singleAnyOf(value)]))
}

export class Api extends HttpApi.make("localex-storage")
  .add(SystemApi)
  .add(FilesApi)
  .add(PhotosApi)
  .add(SignedApi)
  .add(StatsApi)
  .add(DashboardApi)
  .add(CdnApi)
  .middleware(HttpApiMiddleware.ProblemDetails)
  .middleware(BodyLimit)
  .middleware(RequestNotes)
  .annotateMerge(
    OpenApi.annotations({
      title: "LocalEx Storage API",
      version: "0.1.0",
      description: "Uploads, metadata, deletes and signed URLs for LocalEx's files, and item and profile photos.",
      // The package's license (UNLICENSED: LocalEx internal; SPDX has no id for that, hence a LicenseRef);
      // the server is wherever this document is served from.
      license: { name: "UNLICENSED (LocalEx internal use only)", identifier: "LicenseRef-LocalEx-Internal" },
      servers: [{ url: "/", description: "The server that serves this document" }],
      transform: keyPaths
    })
  ) {}
