// Cache warming through a real caching proxy: Debian's varnish, started on loopback in front of
// an origin that serves with the cache policy's headers and counts what reaches it.
import { CloudFrontClient } from "@aws-sdk/client-cloudfront"
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch"
import { assert } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, it } from "vitest"
import { Cdn, CdnClients, type CdnSettings, DEFAULT_TTLS, Warming, WarmTargetRefused } from "../src/index.js"
import { ensureVarnish, type Origin, startOrigin, startVarnish, type Varnish } from "../src/testing.js"

const varnishd = ensureVarnish((line) => console.error(`[cdn] ${line}`))
const unavailable = typeof varnishd === "string" ? undefined : varnishd.unavailable
if (unavailable !== undefined) {
  if (process.env.CI === "true") throw new Error(`[cdn] varnish is required under CI: ${unavailable}`)
  console.error(`[cdn] SKIPPING cache-warming tests: ${unavailable}`)
}

const clients = CdnClients.layer({
  cloudfront: new CloudFrontClient({ region: "us-east-1" }),
  cloudwatch: new CloudWatchClient({ region: "us-east-1" })
})

const PHOTO = (i: number) => `items/${i}/photos/${i.toString(16).padStart(64, "0")}/large.webp`

describe.skipIf(unavailable !== undefined)("warming through varnish", () => {
  let origin: Origin
  let varnish: Varnish
  beforeAll(async () => {
    origin = await startOrigin({ size: 4096, delayMs: 5 })
    varnish = await startVarnish(origin.port)
  })
  afterAll(async () => {
    await varnish?.stop()
    await origin?.close()
  })
  const warm = (targets: ReadonlyArray<string>, options: Warming.WarmOptions, settings: Partial<CdnSettings> = {}) =>
    Effect.runPromise(
      Effect.gen(function* () {
        return yield* (yield* Cdn).warmCache(targets, options)
      }).pipe(
        Effect.provide(
          Cdn.layer({ domains: [], ttls: DEFAULT_TTLS, baseUrl: varnish.url, ...settings }).pipe(Layer.provide(clients))
        )
      )
    )

  it("first pass misses and fills the cache, second pass hits; the origin sees each key once", async () => {
    const keys = Array.from({ length: 40 }, (_, i) => PHOTO(i))
    const report = await warm(keys, { concurrency: 8, passes: 2 })
    const [first, second] = report.passes
    assert.deepStrictEqual(report.domains, ["127.0.0.1"])
    assert.strictEqual(first?.summary.misses, 40)
    assert.strictEqual(first?.summary.hits, 0)
    assert.strictEqual(second?.summary.hits, 40)
    assert.strictEqual(second?.summary.hitRatio, 1)
    assert.strictEqual(second?.summary.errors, 0)
    for (const result of [...(first?.results ?? []), ...(second?.results ?? [])]) {
      assert.strictEqual(result.status, 200)
      assert.strictEqual(result.bytes, 4096)
    }
    assert.isAbove(second?.summary.p95Ms ?? 0, 0)
    for (const key of keys) assert.strictEqual(origin.hits.get(`/${key}`), 1, key)
  })

  it("never more requests in flight than the concurrency", async () => {
    const keys = Array.from({ length: 24 }, (_, i) => `items/conc/${i}.jpg`)
    const before = origin.maxInFlight()
    const report = await warm(keys, { concurrency: 3, passes: 1 })
    assert.strictEqual(report.passes[0]?.summary.misses, 24)
    assert.isAtMost(origin.maxInFlight(), Math.max(before, 3))
  })

  it("each request has a deadline: a stalled origin is an error, not a hang", async () => {
    const started = Date.now()
    const report = await warm(["slow/photo.jpg", "items/fast.jpg"], { timeoutMs: 300, passes: 1 })
    const [slow, fast] = report.passes[0]?.results ?? []
    assert.strictEqual(slow?.status, undefined)
    assert.match(slow?.error ?? "", /no answer within 300 ms/)
    assert.strictEqual(fast?.status, 200)
    assert.isBelow(Date.now() - started, 3_000)
    assert.strictEqual(report.passes[0]?.summary.errors, 1)
  })

  it("a URL outside the CDN domains is refused before anything is requested", async () => {
    const before = [...origin.hits.values()].reduce((a, b) => a + b, 0)
    for (const [targets, settings] of [
      [["items/1.jpg", "http://169.254.169.254/latest/meta-data/"], {}],
      [["items/1.jpg", `http://localhost:${varnish.port}/items/2.jpg`], {}],
      [["file:///etc/passwd"], {}],
      // Configured domains that do not include the base URL's host: keys are refused too.
      [["items/1.jpg"], { domains: ["cdn.localex.example"] }]
    ] as const) {
      const error = await warm(targets, { passes: 1 }, settings).then(
        () => undefined,
        (e: unknown) => e
      )
      assert.instanceOf(error, WarmTargetRefused, JSON.stringify(targets))
    }
    assert.strictEqual(
      [...origin.hits.values()].reduce((a, b) => a + b, 0),
      before
    )
  })
})

describe("warming's pure parts", () => {
  it("classifies CloudFront's and varnish's X-Cache, else Age", () => {
    assert.strictEqual(Warming.classify("Hit from cloudfront", null), "hit")
    assert.strictEqual(Warming.classify("RefreshHit from cloudfront", null), "hit")
    assert.strictEqual(Warming.classify("Miss from cloudfront", "0"), "miss")
    assert.strictEqual(Warming.classify(null, "12"), "hit")
    assert.strictEqual(Warming.classify(null, "0"), "miss")
    assert.strictEqual(Warming.classify("Error from cloudfront", null), "unknown")
  })

  it("p50/p95 by nearest rank", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1)
    assert.strictEqual(Warming.quantile(sorted, 0.5), 50)
    assert.strictEqual(Warming.quantile(sorted, 0.95), 95)
    assert.strictEqual(Warming.quantile([], 0.95), 0)
  })
})
