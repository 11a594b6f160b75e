/**
 * Statistics snapshots kept in the store, for growth over time: each statistics run that should
 * be remembered (the cron app's storage checks) stores a small summary — totals, storage classes,
 * prefixes — under `_localex/stats/{yyyy}/{mm}/{generatedAt}.json`, create-only. The HTTP
 * dashboard reads the newest of them back, oldest first. Keys sort by time, so the newest are
 * the last keys of the listing.
 */
import { Keys, type ObjectStore, readText, writeObject } from "@localex/storage-core"
import { Effect, Schema, Stream } from "effect"
import { PrefixUsage, StorageClassUsage, type StorageStats, Usage } from "./StatsModel.js"

/** Where snapshots live (reserved: statistics never count them). */
export const PREFIX = `${Keys.prefixes.reserved}stats/`

export const StatsSnapshot = Schema.Struct({
  schemaVersion: Schema.Literal(1),
  /** When the statistics were computed (ISO 8601). */
  generatedAt: Schema.String,
  location: Schema.String,
  /** The prefix covered ("" for the whole bucket). */
  scope: Schema.String,
  totals: Usage,
  byStorageClass: Schema.Array(StorageClassUsage),
  byPrefix: Schema.Array(PrefixUsage)
})
export type StatsSnapshot = typeof StatsSnapshot.Type

/** The part of the statistics a snapshot keeps. */
export const snapshotOf = (stats: StorageStats): StatsSnapshot => ({
  schemaVersion: 1,
  generatedAt: stats.generatedAt,
  location: stats.location,
  scope: stats.scope,
  totals: stats.totals,
  byStorageClass: stats.byStorageClass,
  byPrefix: stats.byPrefix.entries
})

/** `_localex/stats/2026/12/2026-12-02T06-00-00-000Z.json`. */
export const snapshotKey = (generatedAt: string): string => {
  const iso = new Date(generatedAt).toISOString()
  return `${PREFIX}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.replace(/[:.]/g, "-")}.json`
}

type Store = ObjectStore["Service"]

/**
 * Stores the snapshot of `stats` (create-only). Returns false when one for the same instant is
 * already stored (a second runner with the same result): a snapshot is never replaced.
 */
export const write = Effect.fn("StatsHistory.write")(function* (store: Store, stats: StorageStats) {
  const snapshot = snapshotOf(stats)
  return yield* writeObject(
    store,
    snapshotKey(snapshot.generatedAt),
    new TextEncoder().encode(JSON.stringify(snapshot)),
    {
      contentType: "application/json",
      ifNoneMatch: "*"
    }
  ).pipe(
    Effect.as(true),
    Effect.catchTag("PreconditionFailed", () => Effect.succeed(false))
  )
})

export interface ReadOptions {
  /** The newest this many (default 366). */
  readonly limit?: number
  /** Only snapshots of this scope (default "": the whole bucket). */
  readonly scope?: string
}

export interface History {
  /** Oldest first. */
  readonly snapshots: ReadonlyArray<StatsSnapshot>
  /** Stored snapshots that did not decode, with why (left out of `snapshots`). */
  readonly skipped: ReadonlyArray<{ readonly key: string; readonly reason: string }>
}

const decode = Schema.decodeUnknownEffect(Schema.fromJsonString(StatsSnapshot))

/** The newest snapshots, oldest first; one that does not decode is listed in `skipped`. */
export const read = Effect.fn("StatsHistory.read")(function* (store: Store, options: ReadOptions = {}) {
  const limit = options.limit ?? 366
  const scope = options.scope ?? ""
  const keys = yield* store.list({ prefix: PREFIX }).pipe(
    Stream.filter((entry) => entry._tag === "Object" && entry.key.endsWith(".json")),
    Stream.map((entry) => (entry as { readonly key: string }).key),
    Stream.takeRight(limit),
    Stream.runCollect
  )
  const read = yield* Effect.forEach(
    keys,
    (key) =>
      readText(store, key).pipe(
        Effect.flatMap(decode),
        Effect.map((snapshot) => ({ key, snapshot }) as const),
        Effect.catchTag("SchemaError", (error) => Effect.succeed({ key, reason: error.message } as const)),
        // Deleted between the listing and the read: not part of the history any more.
        Effect.catchTag("ObjectNotFound", () => Effect.succeed(undefined))
      ),
    { concurrency: 8 }
  )
  const snapshots: Array<StatsSnapshot> = []
  const skipped: Array<{ key: string; reason: string }> = []
  for (const entry of read) {
    if (entry === undefined) continue
    if ("snapshot" in entry) {
      if (entry.snapshot.scope === scope) snapshots.push(entry.snapshot)
    } else skipped.push(entry)
  }
  snapshots.sort((a, b) => a.generatedAt.localeCompare(b.generatedAt))
  return { snapshots, skipped } satisfies History
})
