/**
 * Reading monitoring's histograms for a threshold that falls inside a bucket. Objects are
 * taken as spread evenly within a bucket (linear interpolation); a threshold on a bucket's
 * bound (1, 7, 30, 90, 365 days; 1 KiB, 10 KiB, …) is exact. The open last age bucket ends at
 * the oldest object's age.
 */
import type { StorageStats } from "@localex/monitoring"

export interface Amount {
  readonly objects: number
  readonly bytes: number
}

const DAY = 24 * 60 * 60 * 1000
export const none: Amount = { objects: 0, bytes: 0 }

/** The share of [lo, hi) at or above `threshold`. */
const shareAbove = (lo: number, hi: number, threshold: number) => {
  if (threshold <= lo) return 1
  if (threshold >= hi) return 0
  return (hi - threshold) / (hi - lo)
}

/** Age of the oldest current object in days, from the statistics' own time. */
export const oldestAgeDays = (stats: StorageStats): number =>
  stats.oldest === null ? 0 : Math.max(0, (Date.parse(stats.generatedAt) - Date.parse(stats.oldest.lastModified)) / DAY)

/** Current objects at least `days` old. */
export const olderThan = (stats: StorageStats, days: number): Amount => {
  const oldest = oldestAgeDays(stats)
  let objects = 0
  let bytes = 0
  for (const bucket of stats.ageHistogram) {
    const hi = bucket.maxDays ?? Math.max(oldest, bucket.minDays)
    const share = hi === bucket.minDays ? (days <= hi ? 1 : 0) : shareAbove(bucket.minDays, hi, days)
    objects += bucket.objects * share
    bytes += bucket.bytes * share
  }
  return { objects, bytes }
}

/** The share of objects (and of bytes) smaller than `threshold` bytes. */
export const shareBelow = (stats: StorageStats, threshold: number): { objects: number; bytes: number } => {
  let objects = 0
  let bytes = 0
  for (const bucket of stats.sizeHistogram) {
    const hi = bucket.maxBytes ?? Number.POSITIVE_INFINITY
    const below = 1 - shareAbove(bucket.minBytes, hi, threshold)
    objects += bucket.objects * below
    bytes += bucket.bytes * below
  }
  return {
    objects: stats.totals.objects === 0 ? 0 : objects / stats.totals.objects,
    bytes: stats.totals.bytes === 0 ? 0 : bytes / stats.totals.bytes
  }
}

/** Usage of one storage class (S3's STANDARD is what a store reports without a class). */
export const classUsage = (stats: StorageStats, storageClass: string): Amount => {
  const entry = stats.byStorageClass.find((c) => c.storageClass === storageClass)
  return entry === undefined ? none : { objects: entry.objects, bytes: entry.bytes }
}

export const minus = (a: Amount, b: Amount): Amount => ({
  objects: Math.max(0, a.objects - b.objects),
  bytes: Math.max(0, a.bytes - b.bytes)
})
