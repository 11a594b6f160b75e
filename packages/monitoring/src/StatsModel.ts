/** The storage statistics document (StorageStats) and the options that shape it. */
import { Units } from "@localex/storage-core"
import { Schema } from "effect"

const Count = Schema.Number

export const Usage = Units.Usage
export type Usage = Units.Usage

export const StorageClassUsage = Schema.Struct({ storageClass: Schema.String, objects: Count, bytes: Count })
export type StorageClassUsage = typeof StorageClassUsage.Type

/** Usage of one folder; prefix "" (or the scope itself) holds the objects directly in the scope. */
export const PrefixUsage = Schema.Struct({ prefix: Schema.String, objects: Count, bytes: Count })
export type PrefixUsage = typeof PrefixUsage.Type

export const SizeBucket = Schema.Struct({
  label: Schema.String,
  minBytes: Count,
  /** Exclusive; null for the last, open bucket. */
  maxBytes: Schema.NullOr(Count),
  objects: Count,
  bytes: Count
})
export type SizeBucket = typeof SizeBucket.Type

export const AgeBucket = Schema.Struct({
  label: Schema.String,
  minDays: Count,
  maxDays: Schema.NullOr(Count),
  objects: Count,
  bytes: Count
})
export type AgeBucket = typeof AgeBucket.Type

export const ObjectRef = Schema.Struct({
  key: Schema.String,
  size: Count,
  lastModified: Schema.String,
  storageClass: Schema.String
})
export type ObjectRef = typeof ObjectRef.Type

export const MultipartUsage = Schema.Struct({
  uploads: Count,
  bytes: Count,
  /** ISO time the oldest incomplete upload started; null when there is none. */
  oldestInitiated: Schema.NullOr(Schema.String)
})
export type MultipartUsage = typeof MultipartUsage.Type

export const VersionUsage = Schema.Struct({
  /** "Unknown" when the figures come from an Inventory report. */
  versioning: Schema.Literals(["Enabled", "Suspended", "Disabled", "Unknown"]),
  noncurrentVersions: Count,
  noncurrentBytes: Count,
  deleteMarkers: Count
})
export type VersionUsage = typeof VersionUsage.Type

/** The statistics of a bucket (or of a prefix of it). JSON-ready: dates are ISO strings. */
export const StorageStats = Schema.Struct({
  location: Schema.String,
  /** The prefix covered ("" for the whole bucket). */
  scope: Schema.String,
  source: Schema.Literals(["list", "inventory"]),
  generatedAt: Schema.String,
  /** Current objects (noncurrent versions are counted in `versions`). */
  totals: Usage,
  /** Largest first. */
  byStorageClass: Schema.Array(StorageClassUsage),
  byPrefix: Schema.Struct({
    depth: Count,
    /** In key order; at most `maxPrefixes` (the first in key order), the rest summed in `other`. */
    entries: Schema.Array(PrefixUsage),
    truncated: Schema.Boolean,
    other: Usage
  }),
  /** Usage under each prefix asked for with `trackPrefixes` (quota checks). */
  tracked: Schema.Array(PrefixUsage),
  sizeHistogram: Schema.Array(SizeBucket),
  ageHistogram: Schema.Array(AgeBucket),
  /** Largest first. */
  largest: Schema.Array(ObjectRef),
  oldest: Schema.NullOr(ObjectRef),
  newest: Schema.NullOr(ObjectRef),
  /** Zero on fs; null when the source cannot tell (an Inventory report) or it was not asked for. */
  multipartUploads: Schema.NullOr(MultipartUsage),
  /** null when the source cannot tell or it was not asked for. */
  versions: Schema.NullOr(VersionUsage),
  listing: Schema.Struct({
    mode: Schema.Literals(["sequential", "parallel", "inventory"]),
    /** Key ranges listed (parallel: first pages, ranges and their splits), 1 (sequential), or report files read (inventory). */
    shards: Count,
    durationMs: Count,
    /** When the mode was chosen from page latency (the s3 default): a page's end-to-end time, the faster of the first two. */
    pageMs: Schema.optionalKey(Count)
  })
})
export type StorageStats = typeof StorageStats.Type

export interface StatsOptions {
  /** Only keys under this prefix. Default: the whole bucket. */
  readonly prefix?: string
  /** Folder levels `byPrefix` groups by, below `prefix`. Default 1 (`items/`, `profiles/`, …). */
  readonly depth?: number
  /** Most `byPrefix` entries kept (memory bound). Default 10,000. */
  readonly maxPrefixes?: number
  /** How many of the largest objects to list. Default 10. */
  readonly largest?: number
  /** Prefixes to total separately (`tracked`), e.g. those a quota limits. */
  readonly trackPrefixes?: ReadonlyArray<string>
  /**
   * List key ranges concurrently. Default on s3: chosen from the first two pages, listed
   * sequentially and timed — fan out only when the faster took at least 40 ms (network-bound,
   * e.g. AWS S3), stay sequential otherwise (CPU-bound, e.g. a local gateway). Off on fs.
   * true/false force it.
   */
  readonly parallel?: boolean
  /** Key ranges listed at once. Default 16. */
  readonly concurrency?: number
  /** Keys per list request: S3's 1,000 by default (smaller only to exercise the key-range split in tests). */
  readonly pageSize?: number
  /** Count incomplete multipart uploads. Default true. */
  readonly multipart?: boolean
  /** Count noncurrent versions and delete markers. Default true. */
  readonly versions?: boolean
  /** The time ages are measured from. Default: the Clock. */
  readonly now?: Date
  /** Count the project's own objects (`_localex/`: reports, manifests, leases) too. Default false. */
  readonly includeReserved?: boolean
}
