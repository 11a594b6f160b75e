/**
 * Savings advice: a ranked list of what would make the bucket cheaper, each with its evidence,
 * the monthly amount at the price model's prices, and what to run. The evidence comes from
 * monitoring's statistics (incomplete multipart uploads, noncurrent versions, sizes, ages), the
 * expired-file and orphan clean-up plans (dry runs: nothing is deleted), and CDN traffic given
 * as data (from CloudFront metrics or access logs). `rank` is the pure part.
 */
import { Stats, type StorageStats } from "@localex/monitoring"
import { Units } from "@localex/storage-core"
import { Context, Effect, Layer } from "effect"
import { ExpiredCleanup, type ExpiredPlanError } from "./Cleanup.js"
import { OrphanCleanup, type OrphanPlanError } from "./Orphans.js"
import { GB, type RegionPrices, tieredCost } from "./PriceModel.js"
import type { ReferenceSource } from "./ReferenceSource.js"
import { lifecycleWhatIf } from "./WhatIf.js"

/** A month of CDN traffic, for the hit-ratio advice. */
export interface CdnTraffic {
  readonly requests: number
  /** Requests answered from CloudFront's cache. */
  readonly hits: number
}

export interface Evidence {
  readonly stats: StorageStats
  /** The expired-file clean-up's plan totals (temp/ and the other rules). */
  readonly expired?: { readonly objects: number; readonly bytes: number }
  /** The orphan clean-up's plan totals, when references were given. */
  readonly orphans?: { readonly objects: number; readonly bytes: number }
  readonly cdn?: CdnTraffic
}

export interface AdviceOptions {
  /** Originals at least this large count as oversized. Default 10 MiB (a histogram bound). */
  readonly oversizedBytes?: number
  /** What an oversized original could be re-encoded to. Default 2 MiB. */
  readonly originalTargetBytes?: number
  /** Objects older than this are "old" for the archive advice. Default 365 days (the guide's). */
  readonly archiveAfterDays?: number
  /** A CDN hit ratio below this is low. Default 0.9. */
  readonly targetHitRatio?: number
}

export type AdviceKind =
  | "incomplete-multipart-uploads"
  | "noncurrent-versions"
  | "old-standard-objects"
  | "expired-temp-files"
  | "orphans"
  | "oversized-originals"
  | "low-cdn-hit-ratio"

export interface Advice {
  readonly kind: AdviceKind
  readonly title: string
  /** USD a month this would save. */
  readonly monthlySaving: number
  readonly evidence: ReadonlyArray<string>
  /** What to run or change. */
  readonly action: string
}

const MiB = 1024 * 1024

/** STANDARD's price of `bytes` at the top of the bucket's STANDARD usage. */
const standardPrice = (stats: StorageStats, prices: RegionPrices, bytes: number) => {
  const tiers = prices.storageClasses.STANDARD.storage
  const standard = stats.byStorageClass.find((c) => c.storageClass === "STANDARD")?.bytes ?? 0
  const top = (standard + bytes) / GB
  return tieredCost(top, tiers) - tieredCost(top - bytes / GB, tiers)
}

const usage = (objects: number, bytes: number) => `${objects} objects, ${Units.formatBytes(bytes)}`

/** The advice the evidence supports, largest saving first; kinds without evidence are left out. */
export const rank = (evidence: Evidence, prices: RegionPrices, options: AdviceOptions = {}): Array<Advice> => {
  const { stats } = evidence
  const advice: Array<Advice> = []
  const uploads = stats.multipartUploads
  if (uploads !== null && uploads.uploads > 0)
    advice.push({
      kind: "incomplete-multipart-uploads",
      title: "Abort incomplete multipart uploads",
      monthlySaving: standardPrice(stats, prices, uploads.bytes),
      evidence: [
        `${uploads.uploads} uploads never completed hold ${Units.formatBytes(uploads.bytes)} of parts, billed like objects`,
        ...(uploads.oldestInitiated === null ? [] : [`the oldest started ${uploads.oldestInitiated}`])
      ],
      action: "apply the lifecycle rule abort-incomplete-uploads (`localex-storage lifecycle apply`)"
    })
  const versions = stats.versions
  if (versions !== null && versions.noncurrentVersions > 0)
    advice.push({
      kind: "noncurrent-versions",
      title: "Expire noncurrent versions",
      monthlySaving: standardPrice(stats, prices, versions.noncurrentBytes),
      evidence: [`${usage(versions.noncurrentVersions, versions.noncurrentBytes)} in noncurrent versions`],
      action:
        "apply the lifecycle rule expire-noncurrent-versions (`localex-storage lifecycle apply --noncurrent-days 30`)"
    })
  const archiveAfter = options.archiveAfterDays ?? 365
  const archive = lifecycleWhatIf(stats, prices, { afterDays: archiveAfter })
  if (archive.eligible.objects >= 1 && archive.monthlySaving > 0)
    advice.push({
      kind: "old-standard-objects",
      title: `Move objects older than ${archiveAfter} days to Glacier`,
      monthlySaving: archive.monthlySaving,
      evidence: [
        `${usage(Math.round(archive.eligible.objects), archive.eligible.bytes)} in STANDARD are older than ${archiveAfter} days (estimated from the age histogram)`,
        `moving them once costs $${archive.oneTimeCost.toFixed(2)} in transition requests`
      ],
      action: `\`localex-storage lifecycle apply\` (photos to GLACIER after ${archiveAfter} days); see \`localex-storage cost whatif --glacier-after ${archiveAfter}\``
    })
  if (evidence.expired !== undefined && evidence.expired.objects > 0)
    advice.push({
      kind: "expired-temp-files",
      title: "Delete expired files",
      monthlySaving: standardPrice(stats, prices, evidence.expired.bytes),
      evidence: [
        `${usage(evidence.expired.objects, evidence.expired.bytes)} are past their expiry (temp/ older than 24 hours)`
      ],
      action: "`localex-storage cleanup expired` (or the lifecycle rule expire-temp)"
    })
  if (evidence.orphans !== undefined && evidence.orphans.objects > 0)
    advice.push({
      kind: "orphans",
      title: "Delete orphaned files",
      monthlySaving: standardPrice(stats, prices, evidence.orphans.bytes),
      evidence: [`${usage(evidence.orphans.objects, evidence.orphans.bytes)} are referenced by nothing`],
      action: "`localex-storage cleanup orphans --references <file>`"
    })
  const threshold = options.oversizedBytes ?? 10 * MiB
  const target = options.originalTargetBytes ?? 2 * MiB
  const big = stats.sizeHistogram.filter((bucket) => bucket.minBytes >= threshold)
  const bigObjects = big.reduce((sum, b) => sum + b.objects, 0)
  const bigBytes = big.reduce((sum, b) => sum + b.bytes, 0)
  const shrinkable = bigBytes - bigObjects * target
  if (bigObjects > 0 && shrinkable > 0)
    advice.push({
      kind: "oversized-originals",
      title: `Re-encode originals of ${Units.formatBytes(threshold)} and more`,
      monthlySaving: standardPrice(stats, prices, shrinkable),
      evidence: [
        `${usage(bigObjects, bigBytes)} are at least ${Units.formatBytes(threshold)}; at ${Units.formatBytes(target)} each they would take ${Units.formatBytes(shrinkable)} less`,
        ...stats.largest
          .filter((o) => o.size >= threshold)
          .slice(0, 3)
          .map((o) => `${o.key} (${Units.formatBytes(o.size)})`)
      ],
      action:
        "re-process them through the image pipeline (`localex-storage image upload`), whose limits keep new uploads small"
    })
  const cdn = evidence.cdn
  const targetRatio = options.targetHitRatio ?? 0.9
  if (cdn !== undefined && cdn.requests > 0 && cdn.hits / cdn.requests < targetRatio) {
    const ratio = cdn.hits / cdn.requests
    const avoidable = (targetRatio - ratio) * cdn.requests
    advice.push({
      kind: "low-cdn-hit-ratio",
      title: "Raise the CDN hit ratio",
      monthlySaving: (avoidable / 1000) * prices.storageClasses.STANDARD.getPer1000,
      evidence: [
        `CloudFront answered ${(ratio * 100).toFixed(1)} % of ${cdn.requests} requests from its cache (target ${(targetRatio * 100).toFixed(0)} %)`,
        `${Math.round(avoidable)} requests a month would not reach the bucket at the target`
      ],
      action:
        "longer Cache-Control max-age on photos (immutable, content-addressed keys) and a CDN warm-up of popular items"
    })
  }
  return advice.sort((a, b) => b.monthlySaving - a.monthlySaving)
}

export interface AdviseOptions extends AdviceOptions {
  readonly prices: RegionPrices
  /** Orphans are looked for only with references. */
  readonly references?: ReferenceSource
  readonly cdn?: CdnTraffic
}

export type AdviseError = Stats.StatsError | ExpiredPlanError | OrphanPlanError

export class Advisor extends Context.Service<
  Advisor,
  {
    /** Gathers the evidence (statistics, clean-up dry runs) and ranks the advice. */
    readonly advise: (
      options: AdviseOptions
    ) => Effect.Effect<{ readonly stats: StorageStats; readonly advice: ReadonlyArray<Advice> }, AdviseError>
  }
>()("@localex/cost/Advisor") {}

export const make = Effect.gen(function* () {
  const statistics = yield* Stats.StorageStatistics
  const expired = yield* ExpiredCleanup
  const orphans = yield* OrphanCleanup

  const advise = Effect.fn("Advisor.advise")(function* (options: AdviseOptions) {
    const stats = yield* statistics.collect({})
    // Rules only: per-object expiry would cost a HEAD per object.
    const expiredPlan = yield* expired.plan({ expiresAtPrefixes: [] })
    const orphanPlan = options.references === undefined ? undefined : yield* orphans.plan(options.references)
    const evidence: Evidence = {
      stats,
      expired: expiredPlan.totals,
      ...(orphanPlan === undefined ? {} : { orphans: orphanPlan.totals }),
      ...(options.cdn === undefined ? {} : { cdn: options.cdn })
    }
    return { stats, advice: rank(evidence, options.prices, options) }
  })
  return Advisor.of({ advise })
})

export const layer: Layer.Layer<Advisor, never, Stats.StorageStatistics | ExpiredCleanup | OrphanCleanup> =
  Layer.effect(Advisor, make)
