/**
 * `@localex/monitoring/promise`: storage statistics and quota as plain async methods, for code
 * that does not use Effect. A failed call rejects with the packages' own error classes.
 */
import { Storage, type StorageOverrides } from "@localex/storage-core"
import { type CallOptions, serviceRuntime } from "@localex/storage-core/promise"
import { Effect, Layer } from "effect"
import type { InventoryStatsOptions } from "../Inventory.js"
import { checkQuota, type QuotaPolicy, type QuotaVerdict } from "../Quota.js"
import { StorageStatistics, layer as statsLayer } from "../Stats.js"
import type { StatsOptions, StorageStats } from "../StatsModel.js"

export * from "@localex/storage-core/errors"
export type { CallOptions } from "@localex/storage-core/promise"
export type { InventoryStatsOptions } from "../Inventory.js"
export { InventoryError } from "../Inventory.js"
export type { QuotaPolicy, QuotaVerdict } from "../Quota.js"
export { QuotaUsageUnknown } from "../Quota.js"
export type { StatsOptions, StorageStats } from "../StatsModel.js"

/** The guide's `stats.totalSize` and friends, beside the full statistics. */
export interface StorageStatsSummary {
  readonly totalSize: number
  readonly objectCount: number
  /** Bytes per storage class. */
  readonly byStorageClass: Readonly<Record<string, number>>
  readonly stats: StorageStats
}

export interface MonitoringService extends AsyncDisposable {
  /** Lists the bucket (or a prefix) once: totals, classes, prefixes, sizes, ages, largest, uploads, versions. */
  readonly getStorageStats: (options?: StatsOptions & CallOptions) => Promise<StorageStatsSummary>
  /** The same statistics (the guide's `fileService.getStorageStatistics()`). */
  readonly getStorageStatistics: (options?: StatsOptions & CallOptions) => Promise<StorageStatsSummary>
  /** The statistics from an S3 Inventory report (its manifest.json key) instead of a listing. */
  readonly getStorageStatsFromInventory: (
    manifestKey: string,
    options?: InventoryStatsOptions & CallOptions
  ) => Promise<StorageStatsSummary>
  /** Collects statistics for the policy's prefixes and judges them against its limits. */
  readonly checkQuota: (
    policy: QuotaPolicy,
    options?: StatsOptions & CallOptions
  ) => Promise<{ readonly stats: StorageStats; readonly verdict: QuotaVerdict }>
  readonly close: () => Promise<void>
}

const summary = (stats: StorageStats): StorageStatsSummary => ({
  totalSize: stats.totals.bytes,
  objectCount: stats.totals.objects,
  byStorageClass: Object.fromEntries(stats.byStorageClass.map((c) => [c.storageClass, c.bytes])),
  stats
})

export const createMonitoringService = (settings: StorageOverrides = {}): MonitoringService => {
  const { run, close } = serviceRuntime(Layer.provideMerge(statsLayer, Storage.layerConfig(settings)))
  const collect = ({ signal, ...options }: StatsOptions & CallOptions = {}) =>
    run(Effect.flatMap(StorageStatistics, (s) => s.collect(options)).pipe(Effect.map(summary)), { signal })
  return {
    getStorageStats: collect,
    getStorageStatistics: collect,
    getStorageStatsFromInventory: (manifestKey, { signal, ...options } = {}) =>
      run(Effect.flatMap(StorageStatistics, (s) => s.fromInventory(manifestKey, options)).pipe(Effect.map(summary)), {
        signal
      }),
    checkQuota: (policy, { signal, ...options } = {}) => run(checkQuota(policy, options), { signal }),
    close,
    [Symbol.asyncDispose]: close
  }
}
