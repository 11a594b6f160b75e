/**
 * What-if: the monthly saving of a lifecycle transition ("Glacier after N days") or of moving
 * objects to Intelligent-Tiering, from monitoring's age and size histograms, net of transition
 * requests and minimum-duration charges. Pure.
 *
 * Reading the statistics (said again in each result's `assumptions`):
 * - ages between histogram bounds are interpolated (objects spread evenly in a bucket); N on a
 *   bound (1, 7, 30, 90, 365) is exact;
 * - objects already in another class than STANDARD are taken to be the oldest (they got there
 *   by an age rule like this one);
 * - S3 lifecycle does not transition objects under 128 KiB: their share comes from the size
 *   histogram, taken to be the same at every age;
 * - each month, the objects now between N − 30 and N days old cross N (steady state).
 */
import type { StorageStats } from "@localex/monitoring"
import { type Amount, classUsage, minus, olderThan, shareBelow } from "./internal/histogram.js"
import { GB, type RegionPrices, type StorageClassName, tieredCost } from "./PriceModel.js"

/** S3 lifecycle's default: objects under 128 KiB are not transitioned. */
export const MIN_TRANSITION_BYTES = 128 * 1024
const MONTH_DAYS = 30

export interface LifecycleWhatIfOptions {
  /** Days after creation the rule moves objects. */
  readonly afterDays: number
  /** Where to. Default GLACIER (Glacier Flexible Retrieval). */
  readonly storageClass?: Exclude<StorageClassName, "STANDARD">
  /** When the same objects expire (days after creation), for the minimum-duration charge. None: kept. */
  readonly expireAfterDays?: number
}

export interface WhatIf {
  readonly what: string
  /** STANDARD objects the change applies to today. */
  readonly eligible: Amount
  /** What those objects cost a month now, and after the change (storage, overheads, fees). */
  readonly monthlyBefore: number
  readonly monthlyAfter: number
  /** Transitions of the objects that cross the threshold each month. */
  readonly monthlyTransitions: number
  /** Minimum-duration charges of objects expiring before the class's minimum (a month's worth). */
  readonly monthlyMinimumDurationCharge: number
  /** monthlyBefore − monthlyAfter − monthlyTransitions − monthlyMinimumDurationCharge. */
  readonly monthlySaving: number
  /** Transitioning today's eligible objects once. */
  readonly oneTimeCost: number
  /** Months until the one-time cost is paid back; null when the change saves nothing. */
  readonly breakEvenMonths: number | null
  readonly assumptions: ReadonlyArray<string>
}

/** STANDARD objects at least `days` old that a lifecycle rule would move (over 128 KiB). */
const eligibleOlderThan = (stats: StorageStats, days: number): Amount => {
  const others = minus(stats.totals, classUsage(stats, "STANDARD"))
  const standardOld = minus(olderThan(stats, days), others)
  const small = shareBelow(stats, MIN_TRANSITION_BYTES)
  return { objects: standardOld.objects * (1 - small.objects), bytes: standardOld.bytes * (1 - small.bytes) }
}

/** STANDARD's price of `gb` at the margin of the bucket's STANDARD usage (its volume steps). */
const standardMargin = (stats: StorageStats, prices: RegionPrices, gb: number) => {
  const tiers = prices.storageClasses.STANDARD.storage
  const total = classUsage(stats, "STANDARD").bytes / GB
  return tieredCost(total, tiers) - tieredCost(Math.max(0, total - gb), tiers)
}

const ASSUMPTIONS = [
  "ages between the histogram's bounds are interpolated",
  "objects in other classes than STANDARD are taken to be the oldest",
  "objects under 128 KiB are not transitioned (S3's default); their share is the size histogram's"
]

const result = (
  what: string,
  eligible: Amount,
  parts: Omit<WhatIf, "what" | "eligible" | "monthlySaving" | "breakEvenMonths" | "assumptions">,
  assumptions: ReadonlyArray<string>
): WhatIf => {
  const monthlySaving =
    parts.monthlyBefore - parts.monthlyAfter - parts.monthlyTransitions - parts.monthlyMinimumDurationCharge
  return {
    what,
    eligible,
    ...parts,
    monthlySaving,
    breakEvenMonths: monthlySaving > 0 ? parts.oneTimeCost / monthlySaving : null,
    assumptions
  }
}

/** The saving of a rule "move STANDARD objects to `storageClass` after `afterDays` days". */
export const lifecycleWhatIf = (stats: StorageStats, prices: RegionPrices, options: LifecycleWhatIfOptions): WhatIf => {
  const target = options.storageClass ?? "GLACIER"
  const classPrices = prices.storageClasses[target]
  const n = options.afterDays
  const eligible = eligibleOlderThan(stats, n)
  const crossing = minus(eligibleOlderThan(stats, Math.max(0, n - MONTH_DAYS)), eligible)
  const gb = eligible.bytes / GB
  const transition = (objects: number) => (objects / 1000) * classPrices.transitionPer1000
  const targetGb = (amount: Amount) => (amount.bytes + amount.objects * classPrices.overheadBytes) / GB
  const monthlyAfter =
    tieredCost(targetGb(eligible), classPrices.storage) +
    standardMargin(stats, prices, (eligible.objects * classPrices.standardOverheadBytes) / GB)
  // Objects that expire before the class's minimum are billed for the rest of it when deleted.
  const assumptions = [...ASSUMPTIONS]
  let minimumCharge = 0
  if (options.expireAfterDays !== undefined) {
    const stay = options.expireAfterDays - n
    const shortfall = classPrices.minimumDays - stay
    if (stay > 0 && shortfall > 0) {
      minimumCharge = tieredCost(targetGb(crossing), classPrices.storage) * (shortfall / MONTH_DAYS)
      assumptions.push(
        `objects expire ${stay} days after moving, ${shortfall} days short of ${target}'s ${classPrices.minimumDays}-day minimum`
      )
    }
  } else if (classPrices.minimumDays > 0) {
    assumptions.push(
      `objects are kept at least ${classPrices.minimumDays} days in ${target} (its minimum); deleting earlier costs the rest`
    )
  }
  return result(
    `${target} after ${n} days`,
    eligible,
    {
      monthlyBefore: standardMargin(stats, prices, gb),
      monthlyAfter,
      monthlyTransitions: transition(crossing.objects),
      monthlyMinimumDurationCharge: minimumCharge,
      oneTimeCost: transition(eligible.objects)
    },
    assumptions
  )
}

/**
 * The saving of moving STANDARD objects (over 128 KiB) to Intelligent-Tiering, taking an
 * object's age for the time since its last access (photos are read mostly when new): 30–90 days
 * in the Infrequent Access tier, 90 days and more in Archive Instant Access.
 */
export const tieringWhatIf = (stats: StorageStats, prices: RegionPrices): WhatIf => {
  const it = prices.intelligentTiering
  const eligible = eligibleOlderThan(stats, 0)
  const after30 = eligibleOlderThan(stats, 30)
  const after90 = eligibleOlderThan(stats, 90)
  const infrequent = minus(after30, after90)
  const frequentGb = (eligible.bytes - after30.bytes) / GB
  const monthlyAfter =
    standardMargin(stats, prices, frequentGb) +
    (infrequent.bytes / GB) * it.infrequentPerGb +
    (after90.bytes / GB) * it.archiveInstantPerGb +
    (eligible.objects / 1000) * it.monitoringPer1000Objects
  // New objects go to Intelligent-Tiering at once: the objects younger than 30 days are a month's uploads.
  const monthlyNew = minus(eligible, after30)
  const transition = prices.storageClasses.INTELLIGENT_TIERING.transitionPer1000
  return result(
    "INTELLIGENT_TIERING for objects of 128 KiB and more",
    eligible,
    {
      monthlyBefore: standardMargin(stats, prices, eligible.bytes / GB),
      monthlyAfter,
      monthlyTransitions: (monthlyNew.objects / 1000) * transition,
      monthlyMinimumDurationCharge: 0,
      oneTimeCost: (eligible.objects / 1000) * transition
    },
    [...ASSUMPTIONS, "an object's age stands for the time since it was last read"]
  )
}
