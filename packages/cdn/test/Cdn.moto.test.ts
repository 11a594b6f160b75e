// The Cdn service against CloudFront and CloudWatch on the local moto server.
import { CreateDistributionCommand, GetInvalidationCommand, ListInvalidationsCommand } from "@aws-sdk/client-cloudfront"
import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch"
import { assert } from "@effect/vitest"
import { createTestAccount, type TestAccount, testAws, uniqueName } from "@localex/local-aws"
import { Effect } from "effect"
import { beforeAll, describe, it } from "vitest"
import { Cdn, InvalidInvalidationPath } from "../src/index.js"
import { cdnOn, distributionConfig, motoClients } from "./support/aws.js"

const aws = testAws()

const use = <A, E>(f: (cdn: typeof Cdn.Service) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    return yield* f(yield* Cdn)
  })

describe.skipIf(!aws)("Cdn on moto", () => {
  let account: TestAccount
  let clients: ReturnType<typeof motoClients>
  let distributionId: string
  let domainName: string
  beforeAll(async () => {
    account = await createTestAccount(aws!)
    clients = motoClients(aws!, account)
    const created = await clients.cloudfront.send(
      new CreateDistributionCommand({ DistributionConfig: distributionConfig(uniqueName("photos")) })
    )
    distributionId = created.Distribution!.Id!
    domainName = created.Distribution!.DomainName!
  })
  const run = <A, E>(effect: Effect.Effect<A, E, Cdn>, settings = { distributionId }) =>
    Effect.runPromise(Effect.provide(effect, cdnOn(clients, settings)))
  const invalidations = async () =>
    (await clients.cloudfront.send(new ListInvalidationsCommand({ DistributionId: distributionId }))).InvalidationList
      ?.Items ?? []

  it("invalidates the normalised, de-duplicated paths with the plan's caller reference", async () => {
    const before = (await invalidations()).length
    const report = await run(
      use((cdn) =>
        cdn.invalidateCache(
          ["items/123/photo 1.jpg", "/items/123/photo 1.jpg", "profiles/456/*", "profiles/456/a.jpg"],
          {
            wait: true
          }
        )
      )
    )
    assert.strictEqual(report.mode, "cloudfront")
    assert.strictEqual(report.invalidations.length, 1)
    assert.strictEqual(report.invalidations[0]?.status, "Completed")
    const stored = await clients.cloudfront.send(
      new GetInvalidationCommand({ DistributionId: distributionId, Id: report.invalidations[0]!.id })
    )
    assert.deepStrictEqual(stored.Invalidation?.InvalidationBatch?.Paths?.Items, [
      "/items/123/photo%201.jpg",
      "/profiles/456/*"
    ])
    assert.strictEqual(stored.Invalidation?.InvalidationBatch?.CallerReference, report.plan.batches[0]?.callerReference)
    assert.strictEqual((await invalidations()).length, before + 1)
  })

  it("sends one request per batch of 3,000 paths", async () => {
    const before = (await invalidations()).length
    const paths = Array.from({ length: 3001 }, (_, i) => `items/${i}/photo.jpg`)
    const report = await run(use((cdn) => cdn.invalidateCache(paths, { maxPaths: 5000 })))
    assert.deepStrictEqual(
      report.invalidations.map((invalidation) => invalidation.paths),
      [3000, 1]
    )
    assert.strictEqual((await invalidations()).length, before + 2)
  })

  it("a dry run and a bad path send nothing; local mode has nothing to invalidate", async () => {
    const before = (await invalidations()).length
    const dry = await run(use((cdn) => cdn.invalidateCache(["items/*"], { dryRun: true })))
    assert.deepStrictEqual(dry.plan.paths, ["/items/*"])
    assert.deepStrictEqual(dry.invalidations, [])
    const bad = await run(Effect.flip(use((cdn) => cdn.invalidateCache(["items/1.jpg", "items/*/x.jpg"]))))
    assert.instanceOf(bad, InvalidInvalidationPath)
    const local = await Effect.runPromise(
      Effect.provide(
        use((cdn) => cdn.invalidateCache(["items/1.jpg"])),
        cdnOn(clients, {})
      )
    )
    assert.strictEqual(local.mode, "local")
    assert.match(local.note ?? "", /nothing to invalidate/)
    assert.strictEqual((await invalidations()).length, before)
  })

  it("warming's default domains are the distribution's domain (and aliases)", async () => {
    const domains = await run(use((cdn) => cdn.domains))
    assert.deepStrictEqual(domains, [domainName.toLowerCase()])
  })

  it("statistics: CloudFront's metrics over the window, weighted error rates, the daily check", async () => {
    const Dimensions = [
      { Name: "DistributionId", Value: distributionId },
      { Name: "Region", Value: "Global" }
    ]
    const hourAgo = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000)
    const twoHoursAgo = new Date(hourAgo.getTime() - 3_600_000)
    const point = (MetricName: string, Value: number, Timestamp: Date) => ({ MetricName, Dimensions, Value, Timestamp })
    await clients.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: "AWS/CloudFront",
        MetricData: [
          point("Requests", 900, twoHoursAgo),
          point("Requests", 100, hourAgo),
          point("BytesDownloaded", 5_000_000, twoHoursAgo),
          point("4xxErrorRate", 1, twoHoursAgo),
          point("4xxErrorRate", 11, hourAgo),
          point("5xxErrorRate", 0, twoHoursAgo),
          point("5xxErrorRate", 20, hourAgo),
          point("CacheHitRate", 90, twoHoursAgo),
          point("CacheHitRate", 90, hourAgo)
        ]
      })
    )
    const report = await run(
      use((cdn) => cdn.stats({ since: new Date(twoHoursAgo.getTime() - 60_000), until: new Date(Date.now() + 60_000) }))
    )
    assert.strictEqual(report.stats.requests, 1000)
    assert.strictEqual(report.stats.bytesDownloaded, 5_000_000)
    // (1 × 900 + 11 × 100) / 1000 = 2 %; (0 × 900 + 20 × 100) / 1000 = 2 %.
    assert.strictEqual(report.stats.errorRate4xx, 2)
    assert.strictEqual(report.stats.errorRate5xx, 2)
    assert.strictEqual(report.stats.cacheHitRate, 90)
    assert.strictEqual(report.check.verdict, "fail")
    assert.deepStrictEqual(
      report.check.checks.map((check) => [check.name, check.verdict]),
      [
        ["requests", "pass"],
        ["5xx error rate", "fail"],
        ["4xx error rate", "pass"],
        ["cache hit rate", "pass"]
      ]
    )
  })

  it("review: compression, TTLs and price class of the distribution", async () => {
    const behavior = { TargetOriginId: "photos", ViewerProtocolPolicy: "redirect-to-https" } as const
    const costly = await clients.cloudfront.send(
      new CreateDistributionCommand({
        DistributionConfig: distributionConfig(uniqueName("costly"), {
          PriceClass: "PriceClass_All",
          DefaultCacheBehavior: {
            ...behavior,
            Compress: false,
            ForwardedValues: { QueryString: false, Cookies: { Forward: "none" } },
            MinTTL: 0,
            DefaultTTL: 3600,
            MaxTTL: 86_400
          }
        })
      })
    )
    const review = await run(
      use((cdn) => cdn.review),
      {
        distributionId: costly.Distribution!.Id!
      }
    )
    assert.strictEqual(review.verdict, "warn")
    assert.deepStrictEqual(
      review.findings.map((finding) => [finding.setting, finding.verdict]),
      [
        ["default behavior compression", "warn"],
        ["default behavior default TTL", "warn"],
        ["default behavior max TTL", "warn"],
        ["price class", "warn"]
      ]
    )
    const tuned = await clients.cloudfront.send(
      new CreateDistributionCommand({
        DistributionConfig: distributionConfig(uniqueName("tuned"), {
          PriceClass: "PriceClass_100",
          DefaultCacheBehavior: {
            ...behavior,
            Compress: true,
            CachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6"
          }
        })
      })
    )
    const good = await run(
      use((cdn) => cdn.review),
      { distributionId: tuned.Distribution!.Id! }
    )
    assert.strictEqual(good.verdict, "pass")
  })
})
