/**
 * The cache policy: which response headers a key is stored and served with, from rules by key
 * pattern, with TTLs clamped the way CloudFront clamps them.
 *
 * | rule        | keys                                                    | browser            | CDN edge          |
 * | ----------- | ------------------------------------------------------- | ------------------ | ----------------- |
 * | `variant`   | `{items,profiles}/{id}/photos/{sha256}/{size}.{ext}`    | max TTL, immutable | max TTL           |
 * | `manifest`  | `…/photos/{sha256}/manifest.json`, `profiles/{id}/photo.json` | revalidate (ETag) | 60 s        |
 * | `reserved`  | `_localex/…` (the project's own objects)                | private, no-store  | never             |
 * | `mutable`   | any other key (a file that may be replaced)             | 5 min              | 5 min             |
 *
 * A photo variant's key names its content (the SHA-256 of its pixels and settings), so it never
 * changes and can be cached for the longest time allowed. Anything that can change under its key
 * gets short TTLs and an `ETag` so caches revalidate it cheaply (`If-None-Match` → 304).
 */

// No imports: upload paths (image-processing, the CLI) load this module alone (`@localex/cdn/policy`).

/** CloudFront's three TTL bounds, in seconds. */
export interface TtlBounds {
  readonly minTTL: number
  readonly defaultTTL: number
  readonly maxTTL: number
}

/** The operations guide's TTLs: 0, 30 days, a year. */
export const DEFAULT_TTLS: TtlBounds = { minTTL: 0, defaultTTL: 2_592_000, maxTTL: 31_536_000 }

export type RuleName = "variant" | "manifest" | "reserved" | "mutable"

export interface CacheRule {
  readonly name: RuleName
  readonly pattern: RegExp
  /** Seconds the rule asks for, before clamping; "max" is the max TTL bound. */
  readonly ttl: number | "max"
  readonly immutable: boolean
  /** Browsers must revalidate every time (with the ETag) while the CDN keeps the copy for `ttl`. */
  readonly revalidate: boolean
  readonly cacheable: boolean
}

const PHOTO = "(?:items|profiles)/[^/]+/photos/[0-9a-f]{64}"

/** The rules, first match wins; the last matches every key. */
export const RULES: ReadonlyArray<CacheRule> = [
  {
    name: "reserved",
    pattern: /^_localex\//,
    ttl: 0,
    immutable: false,
    revalidate: false,
    cacheable: false
  },
  {
    name: "manifest",
    pattern: new RegExp(`^(?:${PHOTO}/manifest\\.json|profiles/[^/]+/photo\\.json)$`),
    ttl: 60,
    immutable: false,
    revalidate: true,
    cacheable: true
  },
  {
    name: "variant",
    pattern: new RegExp(`^${PHOTO}/[a-z]+\\.(?:avif|webp|jpg|jpeg|png)$`),
    ttl: "max",
    immutable: true,
    revalidate: false,
    cacheable: true
  },
  { name: "mutable", pattern: /^/, ttl: 300, immutable: false, revalidate: false, cacheable: true }
]

/**
 * How long CloudFront keeps an object whose origin asked for `requested` seconds (`max-age` or
 * `s-maxage`): never less than the min TTL, never more than the max TTL. Without a header it
 * uses the default TTL (`requested` undefined).
 */
export const clampTtl = (requested: number | undefined, ttls: TtlBounds): number =>
  requested === undefined ? ttls.defaultTTL : Math.min(ttls.maxTTL, Math.max(ttls.minTTL, requested))

export interface CacheDecision {
  readonly key: string
  readonly rule: RuleName
  /** Seconds a browser may use its copy without asking (0: revalidate every time). */
  readonly browserTtl: number
  /** Seconds CloudFront keeps the object, after its clamping (0: not cached). */
  readonly edgeTtl: number
  /** Serve an `ETag` and answer `If-None-Match` with 304. */
  readonly etag: boolean
  readonly headers: Readonly<Record<string, string>>
}

/** Content types that compress well; CloudFront compresses them, so caches must keep one copy per encoding. */
const COMPRESSIBLE = /\.(?:json|txt|csv|html?|css|js|svg|xml)$/i

const ruleFor = (key: string): CacheRule => RULES.find((rule) => rule.pattern.test(key)) as CacheRule

/** The cache decision for a key (TTLs default to the guide's: 0, 30 days, a year). */
export const decide = (key: string, ttls: TtlBounds = DEFAULT_TTLS): CacheDecision => {
  const rule = ruleFor(key)
  const vary = COMPRESSIBLE.test(key) ? { Vary: "Accept-Encoding" } : {}
  if (!rule.cacheable) {
    // CloudFront still caches a no-store response for the min TTL when that is above 0.
    return {
      key,
      rule: rule.name,
      browserTtl: 0,
      edgeTtl: ttls.minTTL,
      etag: true,
      headers: { "Cache-Control": "private, no-store", ...vary }
    }
  }
  const edgeTtl = clampTtl(rule.ttl === "max" ? ttls.maxTTL : rule.ttl, ttls)
  if (rule.revalidate) {
    return {
      key,
      rule: rule.name,
      browserTtl: 0,
      edgeTtl,
      etag: true,
      headers: {
        // Browsers revalidate (cheap with the ETag); shared caches keep it for the edge TTL
        // (`no-cache` would stop CloudFront caching it at all when the min TTL is 0).
        "Cache-Control": `public, max-age=0, s-maxage=${edgeTtl}, must-revalidate`,
        "CDN-Cache-Control": `max-age=${edgeTtl}`,
        ...vary
      }
    }
  }
  return {
    key,
    rule: rule.name,
    browserTtl: edgeTtl,
    edgeTtl,
    etag: !rule.immutable,
    headers: {
      "Cache-Control": `public, max-age=${edgeTtl}${rule.immutable ? ", immutable" : ""}`,
      ...vary
    }
  }
}

/** The guide's `getCacheHeaders(key, { minTTL, maxTTL, defaultTTL })`: the headers to store and serve a key with. */
export const getCacheHeaders = (key: string, ttls: TtlBounds = DEFAULT_TTLS): Readonly<Record<string, string>> =>
  decide(key, ttls).headers

/** The `Cache-Control` value to store an object with (what every upload path passes to `ObjectStore.put`). */
export const cacheControlFor = (key: string, ttls: TtlBounds = DEFAULT_TTLS): string =>
  decide(key, ttls).headers["Cache-Control"] as string
