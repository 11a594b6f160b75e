// `localex-storage cdn …` spawned as a user runs it: local mode, moto's CloudFront and
// CloudWatch, and warming through varnish in front of a local origin.
import { generateKeyPairSync } from "node:crypto"
import { writeFile } from "node:fs/promises"
import { join } from "node:path"
import { CloudFrontClient, CreateDistributionCommand, ListInvalidationsCommand } from "@aws-sdk/client-cloudfront"
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch"
import { assert } from "@effect/vitest"
import { ensureVarnish, type Origin, startOrigin, startVarnish, type Varnish } from "@localex/cdn/testing"
import { awsClientConfig, createTestAccount, type TestAccount, testAws, uniqueName } from "@localex/local-aws"
import { logLine, SAMPLE_T0 } from "@localex/monitoring/testing"
import { afterAll, beforeAll, describe, it } from "vitest"
import { run, tempDir } from "./helpers.js"

const PHOTO = `items/42/photos/${"ab".repeat(32)}`
// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON documents, checked field by field below
const json = (text: string) => JSON.parse(text) as Record<string, any>

describe("cdn (local mode)", () => {
  it("headers: the cache policy of a key", async () => {
    await using dir = await tempDir()
    const result = await run(["--json", "cdn", "headers", `${PHOTO}/large.webp`], { env: {}, cwd: dir.path })
    assert.strictEqual(result.code, 0, result.stderr)
    const decision = json(result.text)
    assert.strictEqual(decision.rule, "variant")
    assert.strictEqual(decision.headers["Cache-Control"], "public, max-age=31536000, immutable")
    const short = await run(["--json", "cdn", "headers", "items/123/photo.jpg"], {
      env: { LOCALEX_CDN_MIN_TTL: "10m" },
      cwd: dir.path
    })
    assert.strictEqual(json(short.text).headers["Cache-Control"], "public, max-age=600")
  })

  it("object put stores the cache policy's Cache-Control unless --cache-control says otherwise", async () => {
    await using dir = await tempDir()
    const file = join(dir.path, "a.webp")
    await writeFile(file, "pixels")
    const env = { LOCALEX_STORAGE_DRIVER: "fs", LOCALEX_STORAGE_FS_ROOT: join(dir.path, "data") }
    for (const [key, extra, expected] of [
      [`${PHOTO}/large.webp`, [], "public, max-age=31536000, immutable"],
      ["items/1/a.webp", [], "public, max-age=300"],
      ["items/2/a.webp", ["--cache-control", "no-store"], "no-store"]
    ] as const) {
      const put = await run(["--json", "object", "put", file, key, ...extra], { env, cwd: dir.path })
      assert.strictEqual(put.code, 0, put.stderr)
      const stat = await run(["--json", "object", "stat", key], { env, cwd: dir.path })
      assert.strictEqual(json(stat.text).cacheControl, expected, key)
    }
  })

  it("invalidate: nothing to invalidate without a distribution; a bad path or setting is a usage error", async () => {
    await using dir = await tempDir()
    const local = await run(["--json", "cdn", "invalidate", "items/1/a.jpg", "/items/1/a.jpg"], {
      env: {},
      cwd: dir.path
    })
    assert.strictEqual(local.code, 0, local.stderr)
    const report = json(local.text)
    assert.strictEqual(report.mode, "local")
    assert.deepStrictEqual(report.plan.paths, ["/items/1/a.jpg"])
    assert.deepStrictEqual(report.invalidations, [])
    const bad = await run(["cdn", "invalidate", "items/*/a.jpg"], { env: {}, cwd: dir.path })
    assert.strictEqual(bad.code, 2)
    assert.match(bad.stderr, /wildcard \(\*\) is allowed only as the last character/)
    const badTtl = await run(["cdn", "headers", "a.jpg"], { env: { LOCALEX_CDN_MIN_TTL: "soon" }, cwd: dir.path })
    assert.strictEqual(badTtl.code, 2)
    assert.match(badTtl.stderr, /LOCALEX_CDN_MIN_TTL/)
  })

  it("stats and review need a distribution (exit 2, naming the setting)", async () => {
    await using dir = await tempDir()
    const window = await run(["cdn", "stats", "--since", "yesterday-ish"], { env: {}, cwd: dir.path })
    assert.strictEqual(window.code, 2)
    assert.match(window.stderr, /--since "yesterday-ish"/)
    for (const command of ["stats", "review"]) {
      const result = await run(["cdn", command], { env: {}, cwd: dir.path })
      assert.strictEqual(result.code, 2, command)
      assert.match(result.stderr, /LOCALEX_CDN_DISTRIBUTION_ID/)
    }
  })

  it("sign: a CloudFront-signed URL for a key under the base URL; no key is a usage error", async () => {
    await using dir = await tempDir()
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" }
    })
    const keyFile = join(dir.path, "key.pem")
    await writeFile(keyFile, privateKey)
    const env = {
      LOCALEX_CDN_BASE_URL: "https://cdn.localex.test",
      LOCALEX_CDN_KEY_PAIR_ID: "KTEST",
      LOCALEX_CDN_PRIVATE_KEY_FILE: keyFile
    }
    const before = Math.floor(Date.now() / 1000)
    const result = await run(["cdn", "sign", "items/1/a.jpg", "--expires", "15m"], { env, cwd: dir.path })
    assert.strictEqual(result.code, 0, result.stderr)
    const url = new URL(result.text.trim())
    assert.strictEqual(url.origin + url.pathname, "https://cdn.localex.test/items/1/a.jpg")
    assert.strictEqual(url.searchParams.get("Key-Pair-Id"), "KTEST")
    const expires = Number(url.searchParams.get("Expires"))
    assert.isAtLeast(expires, before + 900)
    assert.isAtMost(expires, before + 960)
    const missing = await run(["cdn", "sign", "items/1/a.jpg"], {
      env: { LOCALEX_CDN_BASE_URL: env.LOCALEX_CDN_BASE_URL },
      cwd: dir.path
    })
    assert.strictEqual(missing.code, 2)
    assert.match(missing.stderr, /LOCALEX_CDN_KEY_PAIR_ID/)
  })
})

const aws = testAws()

describe.skipIf(!aws)("cdn on moto", () => {
  let account: TestAccount
  let distributionId: string
  let env: Record<string, string>
  beforeAll(async () => {
    account = await createTestAccount(aws!)
    const cloudfront = new CloudFrontClient(awsClientConfig(aws!, account))
    const name = uniqueName("photos")
    const created = await cloudfront.send(
      new CreateDistributionCommand({
        DistributionConfig: {
          CallerReference: name,
          Comment: "cli test",
          Enabled: true,
          PriceClass: "PriceClass_100",
          Origins: {
            Quantity: 1,
            Items: [
              { Id: "photos", DomainName: `${name}.s3.amazonaws.com`, S3OriginConfig: { OriginAccessIdentity: "" } }
            ]
          },
          DefaultCacheBehavior: {
            TargetOriginId: "photos",
            ViewerProtocolPolicy: "redirect-to-https",
            Compress: false,
            CachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6"
          }
        }
      })
    )
    distributionId = created.Distribution!.Id!
    env = {
      AWS_ENDPOINT_URL: aws!.endpoint,
      AWS_REGION: aws!.region,
      AWS_ACCESS_KEY_ID: account.accessKeyId,
      AWS_SECRET_ACCESS_KEY: account.secretAccessKey,
      LOCALEX_CDN_DISTRIBUTION_ID: distributionId
    }
  })

  it("invalidate --wait: sent to CloudFront and completed; --dry-run sends nothing", async () => {
    await using dir = await tempDir()
    const cloudfront = new CloudFrontClient(awsClientConfig(aws!, account))
    const count = async () =>
      (await cloudfront.send(new ListInvalidationsCommand({ DistributionId: distributionId }))).InvalidationList
        ?.Quantity ?? 0
    const dry = await run(["--json", "cdn", "invalidate", "--dry-run", "items/9/*"], { env, cwd: dir.path })
    assert.strictEqual(dry.code, 0, dry.stderr)
    assert.strictEqual(await count(), 0)
    const result = await run(
      ["--json", "cdn", "invalidate", "--wait", "items/123/photo.jpg", "profiles/456/photo.jpg"],
      {
        env,
        cwd: dir.path
      }
    )
    assert.strictEqual(result.code, 0, result.stderr)
    const report = json(result.text)
    assert.strictEqual(report.mode, "cloudfront")
    assert.strictEqual(report.invalidations[0].status, "Completed")
    assert.deepStrictEqual(report.plan.paths, ["/items/123/photo.jpg", "/profiles/456/photo.jpg"])
    assert.strictEqual(await count(), 1)
  })

  it("stats: the daily check over CloudWatch's data; review: findings", async () => {
    await using dir = await tempDir()
    const cloudwatch = new CloudWatchClient(awsClientConfig(aws!, account))
    const Dimensions = [
      { Name: "DistributionId", Value: distributionId },
      { Name: "Region", Value: "Global" }
    ]
    const Timestamp = new Date(Date.now() - 30 * 60_000)
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: "AWS/CloudFront",
        MetricData: [
          { MetricName: "Requests", Dimensions, Value: 500, Timestamp },
          { MetricName: "4xxErrorRate", Dimensions, Value: 1, Timestamp },
          { MetricName: "5xxErrorRate", Dimensions, Value: 0, Timestamp },
          { MetricName: "CacheHitRate", Dimensions, Value: 95, Timestamp }
        ]
      })
    )
    const stats = await run(
      ["--json", "cdn", "stats", "--since", "2h", "--until", new Date(Date.now() + 60_000).toISOString()],
      { env, cwd: dir.path }
    )
    assert.strictEqual(stats.code, 0, stats.stderr)
    const report = json(stats.text)
    assert.strictEqual(report.stats.requests, 500)
    assert.strictEqual(report.check.verdict, "pass")
    const review = await run(["--json", "cdn", "review"], { env, cwd: dir.path })
    assert.strictEqual(review.code, 0, review.stderr)
    const findings = json(review.text).findings as Array<{ setting: string; verdict: string }>
    assert.deepStrictEqual(
      findings.filter((f) => f.verdict !== "pass").map((f) => f.setting),
      ["default behavior compression"]
    )
  })
})

const varnishd = ensureVarnish()

describe.skipIf(typeof varnishd !== "string")("cdn warm through varnish", () => {
  let origin: Origin
  let varnish: Varnish
  beforeAll(async () => {
    origin = await startOrigin({ size: 2048 })
    varnish = await startVarnish(origin.port)
  })
  afterAll(async () => {
    await varnish?.stop()
    await origin?.close()
  })

  it("keys and --from-file: first pass misses, second hits; an outside URL is refused (exit 2)", async () => {
    await using dir = await tempDir()
    const list = join(dir.path, "popular.txt")
    await writeFile(list, "# most requested\nitems/3/a.jpg\n\nitems/4/a.jpg\n")
    const env = { LOCALEX_CDN_BASE_URL: varnish.url }
    const result = await run(
      ["--json", "cdn", "warm", "items/1/a.jpg", "items/2/a.jpg", "--from-file", list, "--concurrency", "2"],
      {
        env,
        cwd: dir.path
      }
    )
    assert.strictEqual(result.code, 0, result.stderr)
    const report = json(result.text)
    assert.strictEqual(report.passes[0].summary.misses, 4)
    assert.strictEqual(report.passes[1].summary.hits, 4)
    assert.strictEqual(origin.hits.get("/items/3/a.jpg"), 1)
    const refused = await run(["cdn", "warm", "http://169.254.169.254/latest/meta-data/"], { env, cwd: dir.path })
    assert.strictEqual(refused.code, 2)
    assert.match(refused.stderr, /not a CDN domain/)
  })

  it("--from-logs warms the most read keys of the access logs (--top), nothing else", async () => {
    await using dir = await tempDir()
    // Reads: items/7 five times, items/8 three, items/9 once; a failed read and a PUT do not count.
    const read = (key: string, i: number) =>
      logLine({ time: SAMPLE_T0 + i * 1000, operation: "REST.GET.OBJECT", key, status: 200, bytesSent: 2048 })
    const lines = [
      ...[0, 1, 2, 3, 4].map((i) => read("items/7/a.jpg", i)),
      ...[5, 6, 7].map((i) => read("items/8/a.jpg", i)),
      read("items/9/a.jpg", 8),
      logLine({ time: SAMPLE_T0, operation: "REST.GET.OBJECT", key: "items/10/a.jpg", status: 404 }),
      logLine({ time: SAMPLE_T0, operation: "REST.PUT.OBJECT", key: "items/11/a.jpg", status: 200 })
    ]
    await writeFile(join(dir.path, "access.log"), `${lines.join("\n")}\n`)
    const env = { LOCALEX_CDN_BASE_URL: varnish.url }
    const result = await run(["--json", "cdn", "warm", "--from-logs", "access.log", "--top", "2", "--passes", "1"], {
      env,
      cwd: dir.path
    })
    assert.strictEqual(result.code, 0, result.stderr)
    const warmed = (json(result.text).passes[0].results as Array<{ target: string }>).map((r) => r.target).sort()
    assert.deepStrictEqual(warmed, ["items/7/a.jpg", "items/8/a.jpg"])
    assert.strictEqual(origin.hits.get("/items/9/a.jpg"), undefined)
    const none = await run(["cdn", "warm", "--from-logs", "empty.log"], { env, cwd: dir.path })
    assert.strictEqual(none.code, 1, "a missing log file is an operation failure")
  })
})
