import { assert, describe, it } from "@effect/vitest"
import { CachePolicy, DEFAULT_TTLS } from "../src/index.js"

const PHOTO = `items/42/photos/${"ab".repeat(32)}`

describe("CachePolicy", () => {
  it.each([
    // key, rule, Cache-Control, edge TTL, ETag
    [`${PHOTO}/large.webp`, "variant", "public, max-age=31536000, immutable", 31_536_000, false],
    [
      `profiles/7/photos/${"0f".repeat(32)}/thumbnail.avif`,
      "variant",
      "public, max-age=31536000, immutable",
      31_536_000,
      false
    ],
    [`${PHOTO}/manifest.json`, "manifest", "public, max-age=0, s-maxage=60, must-revalidate", 60, true],
    ["profiles/7/photo.json", "manifest", "public, max-age=0, s-maxage=60, must-revalidate", 60, true],
    ["items/123/photo.jpg", "mutable", "public, max-age=300", 300, true],
    // Not content-addressed (the id is not a SHA-256): a mutable key.
    ["items/42/photos/abc/large.webp", "mutable", "public, max-age=300", 300, true],
    ["_localex/reports/daily/1.json", "reserved", "private, no-store", 0, true]
  ] as const)("%s → %s", (key, rule, cacheControl, edgeTtl, etag) => {
    const decision = CachePolicy.decide(key, DEFAULT_TTLS)
    assert.strictEqual(decision.rule, rule)
    assert.strictEqual(decision.headers["Cache-Control"], cacheControl)
    assert.strictEqual(decision.edgeTtl, edgeTtl)
    assert.strictEqual(decision.etag, etag)
  })

  it("clamps TTLs the way CloudFront does: never below the min TTL, never above the max TTL", () => {
    const ttls = { minTTL: 600, defaultTTL: 86_400, maxTTL: 604_800 }
    assert.strictEqual(
      CachePolicy.decide(`${PHOTO}/large.jpg`, ttls).headers["Cache-Control"],
      "public, max-age=604800, immutable"
    )
    assert.strictEqual(CachePolicy.decide("items/1/a.jpg", ttls).edgeTtl, 600)
    assert.strictEqual(CachePolicy.decide(`${PHOTO}/manifest.json`, ttls).headers["CDN-Cache-Control"], "max-age=600")
    // No Cache-Control from the origin: the default TTL.
    assert.strictEqual(CachePolicy.clampTtl(undefined, ttls), 86_400)
    // no-store is still kept for the min TTL by CloudFront when that is above 0.
    assert.strictEqual(CachePolicy.decide("_localex/x", ttls).edgeTtl, 600)
  })

  it("the guide's getCacheHeaders(key, { minTTL, maxTTL, defaultTTL }) gives headers; text varies by encoding", () => {
    const headers = CachePolicy.getCacheHeaders("items/photo.jpg", {
      minTTL: 0,
      maxTTL: 31_536_000,
      defaultTTL: 2_592_000
    })
    assert.deepStrictEqual(headers, { "Cache-Control": "public, max-age=300" })
    assert.strictEqual(CachePolicy.getCacheHeaders(`${PHOTO}/manifest.json`).Vary, "Accept-Encoding")
    assert.strictEqual(CachePolicy.cacheControlFor(`${PHOTO}/medium.png`), "public, max-age=31536000, immutable")
  })
})
