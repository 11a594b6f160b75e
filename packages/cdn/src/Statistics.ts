/**
 * CDN statistics and the distribution review.
 *
 * - `collect`: a distribution's CloudWatch metrics over a window (`AWS/CloudFront`, dimensions
 *   `DistributionId` and `Region=Global`, us-east-1 only): requests, bytes downloaded, 4xx/5xx
 *   error rates (weighted by requests), and the cache hit rate when additional metrics are on.
 * - `dailyCheck`: the guide's "verify CDN performance" as pass/warn/fail.
 * - `review`: the distribution's settings against the guide's "high CDN costs" list
 *   (compression, TTLs, price class), as findings.
 */
import {
  type CacheBehavior,
  type CloudFrontClient,
  type DefaultCacheBehavior,
  type DistributionConfig,
  GetCachePolicyCommand,
  GetDistributionConfigCommand
} from "@aws-sdk/client-cloudfront"
import { type CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from "@aws-sdk/client-cloudwatch"
import { Effect } from "effect"
import { awsCall } from "./CdnClients.js"
import type { CdnAwsError } from "./Errors.js"

export interface Window {
  readonly since: Date
  readonly until: Date
}

export interface CdnStats {
  readonly distributionId: string
  readonly since: string
  readonly until: string
  readonly periodSeconds: number
  readonly requests: number
  readonly bytesDownloaded: number
  /** Percentages (0–100), weighted by requests; undefined without data. */
  readonly errorRate4xx?: number
  readonly errorRate5xx?: number
  readonly totalErrorRate?: number
  /** Only with CloudFront's additional metrics on. */
  readonly cacheHitRate?: number
}

const METRICS = [
  { id: "requests", name: "Requests", stat: "Sum" },
  { id: "bytes", name: "BytesDownloaded", stat: "Sum" },
  { id: "e4xx", name: "4xxErrorRate", stat: "Average" },
  { id: "e5xx", name: "5xxErrorRate", stat: "Average" },
  { id: "etotal", name: "TotalErrorRate", stat: "Average" },
  { id: "hits", name: "CacheHitRate", stat: "Average" }
] as const

/** A period that keeps the window within ~1,440 points, a multiple of 60 s. */
export const periodFor = (window: Window) =>
  Math.max(60, Math.ceil((window.until.getTime() - window.since.getTime()) / 1000 / 1440 / 60) * 60)

type Series = Map<number, number>

const series = (results: ReadonlyArray<MetricDataResult>, id: string): Series => {
  const points: Series = new Map()
  for (const result of results.filter((r) => r.Id === id))
    (result.Timestamps ?? []).forEach((time, index) => {
      points.set(time.getTime(), (points.get(time.getTime()) ?? 0) + (result.Values?.[index] ?? 0))
    })
  return points
}

const sum = (points: Series) => [...points.values()].reduce((a, b) => a + b, 0)

/** A rate averaged over the window, each period weighted by its requests (a plain mean when there are none). */
const weighted = (rates: Series, requests: Series): number | undefined => {
  if (rates.size === 0) return undefined
  let total = 0
  let weight = 0
  for (const [time, rate] of rates) {
    const count = requests.get(time) ?? 0
    total += rate * count
    weight += count
  }
  const value = weight === 0 ? sum(rates) / rates.size : total / weight
  return Math.round(value * 1000) / 1000
}

export const collect = (
  cloudwatch: CloudWatchClient,
  distributionId: string,
  window: Window
): Effect.Effect<CdnStats, CdnAwsError> =>
  Effect.gen(function* () {
    const period = periodFor(window)
    const results: Array<MetricDataResult> = []
    let token: string | undefined
    do {
      const page = yield* awsCall("CloudWatch.GetMetricData", (abortSignal) =>
        cloudwatch.send(
          new GetMetricDataCommand({
            StartTime: window.since,
            EndTime: window.until,
            ...(token === undefined ? {} : { NextToken: token }),
            MetricDataQueries: METRICS.map((metric) => ({
              Id: metric.id,
              ReturnData: true,
              MetricStat: {
                Metric: {
                  Namespace: "AWS/CloudFront",
                  MetricName: metric.name,
                  Dimensions: [
                    { Name: "DistributionId", Value: distributionId },
                    { Name: "Region", Value: "Global" }
                  ]
                },
                Period: period,
                Stat: metric.stat
              }
            }))
          }),
          { abortSignal }
        )
      )
      results.push(...(page.MetricDataResults ?? []))
      token = page.NextToken
    } while (token !== undefined)
    const requests = series(results, "requests")
    const rate = (id: string) => weighted(series(results, id), requests)
    const [e4xx, e5xx, etotal, hits] = [rate("e4xx"), rate("e5xx"), rate("etotal"), rate("hits")]
    return {
      distributionId,
      since: window.since.toISOString(),
      until: window.until.toISOString(),
      periodSeconds: period,
      requests: sum(requests),
      bytesDownloaded: sum(series(results, "bytes")),
      ...(e4xx === undefined ? {} : { errorRate4xx: e4xx }),
      ...(e5xx === undefined ? {} : { errorRate5xx: e5xx }),
      ...(etotal === undefined ? {} : { totalErrorRate: etotal }),
      ...(hits === undefined ? {} : { cacheHitRate: hits })
    }
  })

export type Verdict = "pass" | "warn" | "fail"

export interface Check {
  readonly name: string
  readonly verdict: Verdict
  readonly detail: string
}

export interface DailyCheck {
  readonly verdict: Verdict
  readonly checks: ReadonlyArray<Check>
}

/** Thresholds of the daily check, in percent. */
export const THRESHOLDS = {
  errorRate5xx: { warn: 0.5, fail: 1 },
  errorRate4xx: { warn: 5, fail: 10 },
  cacheHitRate: { warn: 85, fail: 60 }
} as const

const RANK: Record<Verdict, number> = { pass: 0, warn: 1, fail: 2 }

const above = (name: string, value: number | undefined, limits: { warn: number; fail: number }): Check =>
  value === undefined
    ? { name, verdict: "warn", detail: "no data in the window" }
    : {
        name,
        verdict: value >= limits.fail ? "fail" : value >= limits.warn ? "warn" : "pass",
        detail: `${value}% (warn at ${limits.warn}%, fail at ${limits.fail}%)`
      }

/** The guide's daily "verify CDN performance": traffic, error rates, hit ratio. */
export const dailyCheck = (stats: CdnStats): DailyCheck => {
  const checks: Array<Check> = [
    stats.requests > 0
      ? { name: "requests", verdict: "pass", detail: `${stats.requests} requests` }
      : { name: "requests", verdict: "warn", detail: "no requests in the window (or no metrics published)" },
    above("5xx error rate", stats.errorRate5xx, THRESHOLDS.errorRate5xx),
    above("4xx error rate", stats.errorRate4xx, THRESHOLDS.errorRate4xx),
    stats.cacheHitRate === undefined
      ? {
          name: "cache hit rate",
          verdict: "warn",
          detail: "not published: turn on CloudFront's additional metrics for the distribution"
        }
      : {
          name: "cache hit rate",
          verdict:
            stats.cacheHitRate < THRESHOLDS.cacheHitRate.fail
              ? "fail"
              : stats.cacheHitRate < THRESHOLDS.cacheHitRate.warn
                ? "warn"
                : "pass",
          detail: `${stats.cacheHitRate}% (warn below ${THRESHOLDS.cacheHitRate.warn}%, fail below ${THRESHOLDS.cacheHitRate.fail}%)`
        }
  ]
  const verdict = checks.reduce<Verdict>(
    (worst, check) => (RANK[check.verdict] > RANK[worst] ? check.verdict : worst),
    "pass"
  )
  return { verdict, checks }
}

export interface Finding {
  readonly setting: string
  readonly verdict: Verdict
  readonly detail: string
}

export interface Review {
  readonly distributionId: string
  readonly verdict: Verdict
  readonly findings: ReadonlyArray<Finding>
}

/** AWS's managed cache policies, by id. */
export const MANAGED_POLICIES: Record<string, string> = {
  "658327ea-f89d-4fab-a63d-7e88639e58f6": "CachingOptimized",
  "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": "CachingDisabled",
  "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": "CachingOptimizedForUncompressedObjects"
}

const DAY = 86_400

const ttlFindings = (
  where: string,
  ttls: { min?: number | undefined; default?: number | undefined; max?: number | undefined } | undefined,
  policy: string
): Array<Finding> => {
  if (ttls === undefined)
    return [{ setting: `${where} TTLs`, verdict: "warn", detail: `cache policy ${policy} could not be read` }]
  const findings: Array<Finding> = []
  if ((ttls.default ?? 0) < DAY)
    findings.push({
      setting: `${where} default TTL`,
      verdict: "warn",
      detail: `${ttls.default ?? 0} s: objects without Cache-Control go back to the origin at least daily; use ≥ 1 day (the policy's Cache-Control sets shorter TTLs where needed)`
    })
  if ((ttls.max ?? 0) < 365 * DAY)
    findings.push({
      setting: `${where} max TTL`,
      verdict: "warn",
      detail: `${ttls.max ?? 0} s caps the year-long, immutable photo variants; use 31536000`
    })
  return findings
}

/** The TTLs a behavior caches with: its legacy settings, or those of its cache policy. */
const behaviorTtls = (cloudfront: CloudFrontClient, behavior: DefaultCacheBehavior | CacheBehavior) =>
  Effect.gen(function* () {
    // A behavior with legacy TTL settings has no cache policy (some answers carry an empty id).
    if (!behavior.CachePolicyId) return { min: behavior.MinTTL, default: behavior.DefaultTTL, max: behavior.MaxTTL }
    const answer = yield* awsCall("CloudFront.GetCachePolicy", (abortSignal) =>
      cloudfront.send(new GetCachePolicyCommand({ Id: behavior.CachePolicyId }), { abortSignal })
    ).pipe(Effect.option)
    if (answer._tag === "None") {
      // Managed policies are not always readable (emulators): CachingOptimized's are known.
      return MANAGED_POLICIES[behavior.CachePolicyId] === "CachingOptimized"
        ? { min: 1, default: DAY, max: 365 * DAY }
        : undefined
    }
    const config = answer.value.CachePolicy?.CachePolicyConfig
    return { min: config?.MinTTL, default: config?.DefaultTTL, max: config?.MaxTTL }
  })

/** Reviews the distribution's settings for the guide's "high CDN costs" list. */
export const review = (cloudfront: CloudFrontClient, distributionId: string): Effect.Effect<Review, CdnAwsError> =>
  Effect.gen(function* () {
    const answer = yield* awsCall("CloudFront.GetDistributionConfig", (abortSignal) =>
      cloudfront.send(new GetDistributionConfigCommand({ Id: distributionId }), { abortSignal })
    )
    const config = answer.DistributionConfig as DistributionConfig
    const findings: Array<Finding> = []
    const behaviors: Array<[string, DefaultCacheBehavior | CacheBehavior]> = [
      ["default behavior", config.DefaultCacheBehavior as DefaultCacheBehavior],
      ...(config.CacheBehaviors?.Items ?? []).map((behavior): [string, CacheBehavior] => [
        `behavior ${behavior.PathPattern}`,
        behavior
      ])
    ]
    for (const [where, behavior] of behaviors) {
      findings.push(
        behavior.Compress === true
          ? { setting: `${where} compression`, verdict: "pass", detail: "on" }
          : {
              setting: `${where} compression`,
              verdict: "warn",
              detail: "off: manifests and other text are sent uncompressed (more bytes billed); turn Compress on"
            }
      )
      const policy = behavior.CachePolicyId || "(legacy TTL settings)"
      if (MANAGED_POLICIES[policy] === "CachingDisabled") {
        findings.push({
          setting: `${where} cache policy`,
          verdict: "fail",
          detail: "CachingDisabled: every request goes to the origin; use CachingOptimized for photos"
        })
        continue
      }
      const ttls = yield* behaviorTtls(cloudfront, behavior)
      const ttlIssues = ttlFindings(where, ttls, policy)
      findings.push(
        ...(ttlIssues.length > 0
          ? ttlIssues
          : [
              {
                setting: `${where} TTLs`,
                verdict: "pass" as const,
                detail: `${MANAGED_POLICIES[policy] ?? policy}: default ${ttls?.default} s, max ${ttls?.max} s`
              }
            ])
      )
    }
    const priceClass = config.PriceClass ?? "PriceClass_All"
    findings.push(
      priceClass === "PriceClass_All"
        ? {
            setting: "price class",
            verdict: "warn",
            detail:
              "PriceClass_All serves from every edge location, the most expensive ones too; a local marketplace needs PriceClass_100 (or _200)"
          }
        : { setting: "price class", verdict: "pass", detail: priceClass }
    )
    if (config.Enabled === false)
      findings.push({ setting: "enabled", verdict: "warn", detail: "the distribution is disabled" })
    const verdict = findings.reduce<Verdict>((worst, f) => (RANK[f.verdict] > RANK[worst] ? f.verdict : worst), "pass")
    return { distributionId, verdict, findings }
  })
