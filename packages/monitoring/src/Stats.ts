/**
 * Storage statistics: totals, storage classes, prefixes, size and age histograms, the largest
 * objects, incomplete multipart uploads, noncurrent versions and delete markers.
 *
 * Computed in one streamed pass over the listing (flat memory) — on S3 in parallel by splitting
 * the key space when the first pages show the store is slow to answer (internal/ops-listing.ts) — or from an S3 Inventory report (Inventory.ts) for
 * buckets too large to list.
 */

import {
  BucketAdmin,
  type BucketAdminError,
  type InvalidKey,
  Keys,
  Listing,
  ObjectStore,
  type StoreError,
  Units
} from "@localex/storage-core"
import { Clock, Context, Effect, Layer, Schema, Stream } from "effect"
import { type InventoryReadError, type InventoryStatsOptions, statsFromReport } from "./Inventory.js"
import { DEFAULTS, StatsAccumulator, VersionTally } from "./internal/accumulator.js"

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

export type StatsError = InvalidKey | StoreError | Exclude<BucketAdminError, { readonly _tag: "UnsupportedByDriver" }>

export { DEFAULTS } from "./internal/accumulator.js"

export class StorageStatistics extends Context.Service<
  StorageStatistics,
  {
    /** Lists the bucket (or `prefix`) once and returns its statistics. */
    readonly collect: (options?: StatsOptions) => Effect.Effect<StorageStats, StatsError>
    /** The same statistics from the S3 Inventory report whose manifest.json is at `manifestKey` (see Inventory.ts). */
    readonly fromInventory: (
      manifestKey: string,
      options?: InventoryStatsOptions
    ) => Effect.Effect<StorageStats, InventoryReadError>
  }
>()("@localex/storage-core/StorageStatistics") {}

/** Noncurrent versions and delete markers; zero on fs, null where the endpoint lacks versioning. */
const versionUsage = (admin: BucketAdmin["Service"], prefix: string) =>
  Effect.gen(function* () {
    const versioning = yield* admin.getVersioning()
    const tally = new VersionTally()
    if (versioning !== "Disabled") {
      yield* admin
        .listVersions(prefix === "" ? {} : { prefix })
        .pipe(Stream.runForEach((version) => Effect.sync(() => tally.add(version))))
    }
    const usage: VersionUsage = {
      versioning,
      noncurrentVersions: tally.noncurrentVersions,
      noncurrentBytes: tally.noncurrentBytes,
      deleteMarkers: tally.deleteMarkers
    }
    return usage
  }).pipe(
    Effect.catchTag("UnsupportedByDriver", () =>
      Effect.succeed<VersionUsage | null>({
        versioning: "Disabled",
        noncurrentVersions: 0,
        noncurrentBytes: 0,
        deleteMarkers: 0
      })
    ),
    Effect.catchTag("NotImplementedByEndpoint", () => Effect.succeed(null))
  )

const multipartUsage = (admin: BucketAdmin["Service"], prefix: string) =>
  admin.listIncompleteUploads(prefix === "" ? {} : { prefix }).pipe(
    Stream.runFold(
      (): { uploads: number; bytes: number; oldest: Date | undefined } => ({ uploads: 0, bytes: 0, oldest: undefined }),
      (acc, upload) => {
        acc.uploads++
        acc.bytes += upload.bytes
        if (acc.oldest === undefined || upload.initiated < acc.oldest) acc.oldest = upload.initiated
        return acc
      }
    ),
    Effect.map((acc): MultipartUsage | null => ({
      uploads: acc.uploads,
      bytes: acc.bytes,
      oldestInitiated: acc.oldest === undefined ? null : acc.oldest.toISOString()
    })),
    Effect.catchTag("UnsupportedByDriver", () =>
      Effect.succeed<MultipartUsage | null>({ uploads: 0, bytes: 0, oldestInitiated: null })
    ),
    Effect.catchTag("NotImplementedByEndpoint", () => Effect.succeed(null))
  )

export const make = Effect.gen(function* () {
  const store = yield* ObjectStore
  const admin = yield* BucketAdmin

  const collect = Effect.fn("StorageStatistics.collect")(function* (options: StatsOptions = {}) {
    const startedAt = yield* Clock.currentTimeMillis
    const now = options.now?.getTime() ?? startedAt
    const scope = options.prefix ?? ""
    const counted = options.includeReserved === true ? () => true : (key: string) => !Keys.isReserved(key)
    const parallel = options.parallel ?? (store.driver === "s3" ? "auto" : false)
    const accumulator = new StatsAccumulator({
      scope,
      depth: options.depth ?? DEFAULTS.depth,
      maxPrefixes: options.maxPrefixes ?? DEFAULTS.maxPrefixes,
      largest: options.largest ?? DEFAULTS.largest,
      track: options.trackPrefixes ?? [],
      now
    })
    const listing = Listing.listAll(store, {
      prefix: scope,
      parallel,
      concurrency: options.concurrency ?? DEFAULTS.concurrency,
      ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize })
    })
    const [, multipartUploads, versions] = yield* Effect.all(
      [
        Stream.runForEachArray(listing.objects, (objects) =>
          Effect.sync(() => {
            for (const o of objects)
              if (counted(o.key)) accumulator.add(o.key, o.size, o.lastModified.getTime(), o.storageClass)
          })
        ),
        options.multipart === false ? Effect.succeed(null) : multipartUsage(admin, scope),
        options.versions === false ? Effect.succeed(null) : versionUsage(admin, scope)
      ],
      { concurrency: "unbounded" }
    )
    const finishedAt = yield* Clock.currentTimeMillis
    const pageMs = listing.pageMs()
    const stats: StorageStats = {
      location: store.location,
      scope,
      source: "list",
      generatedAt: new Date(now).toISOString(),
      ...accumulator.result(),
      multipartUploads,
      versions,
      listing: {
        mode: listing.mode(),
        shards: listing.shards(),
        durationMs: finishedAt - startedAt,
        ...(pageMs === undefined ? {} : { pageMs: Math.round(pageMs * 10) / 10 })
      }
    }
    return stats
  })

  const fromInventory = Effect.fn("StorageStatistics.fromInventory")(function* (
    manifestKey: string,
    options?: InventoryStatsOptions
  ) {
    return yield* statsFromReport(store, manifestKey, options)
  })

  return StorageStatistics.of({ collect, fromInventory })
})

/** Needs ObjectStore and BucketAdmin (its fs layer is enough on fs). */
export const layer: Layer.Layer<StorageStatistics, never, ObjectStore | BucketAdmin> = Layer.effect(
  StorageStatistics,
  make
)
