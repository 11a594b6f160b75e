/**
 * Storage statistics: totals, storage classes, prefixes, size and age histograms, the largest
 * objects, incomplete multipart uploads, noncurrent versions and delete markers.
 *
 * Computed in one streamed pass over the listing (flat memory) — on S3 in parallel by splitting
 * the key space when the first pages show the store is slow to answer (storage-core's Listing) — or from an S3 Inventory report (Inventory.ts) for
 * buckets too large to list.
 */

import {
  BucketAdmin,
  type BucketAdminError,
  type InvalidKey,
  Keys,
  Listing,
  ObjectStore,
  type StoreError
} from "@localex/storage-core"
import { Clock, Context, Effect, Layer, Stream } from "effect"
import { type InventoryReadError, type InventoryStatsOptions, statsFromReport } from "./Inventory.js"
import { DEFAULTS, StatsAccumulator, VersionTally } from "./internal/accumulator.js"
import type { MultipartUsage, StatsOptions, StorageStats, VersionUsage } from "./StatsModel.js"

export * from "./StatsModel.js"

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
