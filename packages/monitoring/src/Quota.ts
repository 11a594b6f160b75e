/**
 * Storage quotas: limits on bytes and objects, for the bucket and per prefix, checked against
 * StorageStats. The verdict is `ok`, `warning` (some usage at or above `warnAt` of its limit)
 * or `exceeded` (some usage above its limit), with every number that led to it.
 */

import { Units } from "@localex/storage-core"
import { Effect, Schema } from "effect"
import { type StatsOptions, StorageStatistics, type StorageStats } from "./Stats.js"

const Limit = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const PrefixQuota = Schema.Struct({
  prefix: Schema.NonEmptyString,
  maxBytes: Schema.optionalKey(Limit),
  maxObjects: Schema.optionalKey(Limit)
})
export type PrefixQuota = typeof PrefixQuota.Type

export const QuotaPolicy = Schema.Struct({
  /** Warn at this share of a limit (0–1). Default 0.8. */
  warnAt: Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 })).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(0.8))
  ),
  /** Limits for the whole bucket. */
  maxBytes: Schema.optionalKey(Limit),
  maxObjects: Schema.optionalKey(Limit),
  prefixes: Schema.Array(PrefixQuota).pipe(Schema.withDecodingDefaultKey(Effect.succeed([])))
})
export type QuotaPolicy = typeof QuotaPolicy.Type

/** Decodes a policy from JSON-like input (a file, a request body). */
export const decodePolicy = Schema.decodeUnknownEffect(QuotaPolicy)

export type QuotaStatus = "ok" | "warning" | "exceeded"

export interface QuotaCheck {
  /** "" for the whole bucket. */
  readonly prefix: string
  readonly metric: "bytes" | "objects"
  readonly used: number
  readonly limit: number
  /** used / limit (Infinity for a zero limit that is used). */
  readonly share: number
  readonly status: QuotaStatus
}

export interface QuotaVerdict {
  readonly status: QuotaStatus
  readonly warnAt: number
  readonly checks: ReadonlyArray<QuotaCheck>
  /** One line per check that is not ok, or "all quotas ok". */
  readonly summary: ReadonlyArray<string>
}

/** The prefixes StorageStats must total for `evaluate` (pass them as `trackPrefixes`). */
export const trackPrefixes = (policy: QuotaPolicy): ReadonlyArray<string> => policy.prefixes.map((p) => p.prefix)

const RANK: Record<QuotaStatus, number> = { ok: 0, warning: 1, exceeded: 2 }

const check = (
  prefix: string,
  metric: "bytes" | "objects",
  used: number,
  limit: number,
  warnAt: number
): QuotaCheck => {
  const share = limit === 0 ? (used === 0 ? 0 : Number.POSITIVE_INFINITY) : used / limit
  const status: QuotaStatus = used > limit ? "exceeded" : share >= warnAt && used > 0 ? "warning" : "ok"
  return { prefix, metric, used, limit, share, status }
}

const describe = (c: QuotaCheck): string => {
  const where = c.prefix === "" ? "the bucket" : c.prefix
  const show = (n: number) => (c.metric === "bytes" ? Units.formatBytes(n) : `${n} objects`)
  const percent = Number.isFinite(c.share) ? `${(c.share * 100).toFixed(1)}%` : "over a zero limit"
  return `${c.status}: ${where} uses ${show(c.used)} of ${show(c.limit)} (${percent})`
}

/** The statistics do not say how much a limited prefix uses (they were collected without `trackPrefixes`). */
export class QuotaUsageUnknown extends Schema.TaggedError<QuotaUsageUnknown>()("QuotaUsageUnknown", {
  prefix: Schema.String
}) {
  override get message() {
    return `The statistics have no usage for "${this.prefix}": collect them with trackPrefixes(policy)`
  }
}

/**
 * The verdict of `policy` on `stats`. A prefix limit reads the prefix's usage from
 * `stats.tracked` (collect with `trackPrefixes(policy)`) or an exact `byPrefix` entry, and fails
 * with `QuotaUsageUnknown` rather than judge without the numbers.
 */
export const evaluate = Effect.fnUntraced(function* (stats: StorageStats, policy: QuotaPolicy) {
  const checks: Array<QuotaCheck> = []
  if (policy.maxBytes !== undefined) checks.push(check("", "bytes", stats.totals.bytes, policy.maxBytes, policy.warnAt))
  if (policy.maxObjects !== undefined)
    checks.push(check("", "objects", stats.totals.objects, policy.maxObjects, policy.warnAt))
  for (const limit of policy.prefixes) {
    const usage =
      stats.tracked.find((t) => t.prefix === limit.prefix) ??
      stats.byPrefix.entries.find((e) => e.prefix === limit.prefix)
    if (usage === undefined) return yield* new QuotaUsageUnknown({ prefix: limit.prefix })
    if (limit.maxBytes !== undefined)
      checks.push(check(limit.prefix, "bytes", usage.bytes, limit.maxBytes, policy.warnAt))
    if (limit.maxObjects !== undefined)
      checks.push(check(limit.prefix, "objects", usage.objects, limit.maxObjects, policy.warnAt))
  }
  const status = checks.reduce<QuotaStatus>((worst, c) => (RANK[c.status] > RANK[worst] ? c.status : worst), "ok")
  const flagged = checks.filter((c) => c.status !== "ok").map(describe)
  const verdict: QuotaVerdict = {
    status,
    warnAt: policy.warnAt,
    checks,
    summary: flagged.length === 0 ? ["all quotas ok"] : flagged
  }
  return verdict
})

/** Collects statistics (tracking the policy's prefixes) and judges them; returns both. */
export const checkQuota = Effect.fn("Quota.check")(function* (policy: QuotaPolicy, options: StatsOptions = {}) {
  const statistics = yield* StorageStatistics
  const stats = yield* statistics.collect({
    ...options,
    trackPrefixes: [...(options.trackPrefixes ?? []), ...trackPrefixes(policy)]
  })
  return { stats, verdict: yield* evaluate(stats, policy) }
})
