/**
 * Snapshot sync: make a destination hold what a source holds (the guide's
 * `aws s3 sync s3://localex-storage/items/ s3://localex-backup/items/`), between any two stores.
 *
 * - The two listings, both in S3's key order, are merge-joined as streams: memory does not grow
 *   with the number of objects (only `--delete`'s candidates are kept, up to the safety limit).
 * - Per key the content decides (internal/compare.ts): size, single-part ETags, `localex-sha256`.
 * - Copies stream through this process with the source's headers and metadata plus the checksum
 *   (internal/transfer.ts) — or, between buckets of one endpoint and credentials, are server-side
 *   copies — `concurrency` at a time, each conditional on what the destination held.
 * - Results are taken in key order; a checkpoint records how far the run got, so a run killed
 *   halfway resumes after it (internal/checkpoint.ts).
 * - `delete` removes destination objects the source does not have, through storage-core's
 *   DeletionPlan (manifest, safety limit, re-check) — only once the whole source listing was read:
 *   a listing that fails fails the run before anything is deleted.
 * - `_localex/` (reports, checkpoints, manifests) is never copied, compared or deleted.
 * - The report goes to `_localex/reports/backup/snapshot/` in the destination (not on a dry run).
 */
import { DeletionPlan, Keys, type ObjectStore, type ObjectSummary, type Units } from "@localex/storage-core"
import { Clock, Effect, Stream } from "effect"
import { EmptySource, TooManyFailures } from "./Errors.js"
import * as Checkpoints from "./internal/checkpoint.js"
import { fromHeads, fromListing, type Method, type MethodCounts, noMethods } from "./internal/compare.js"
import { type Joined, mergeJoin } from "./internal/mergeJoin.js"
import { writeOwn } from "./internal/ownWrite.js"
import { type Condition, copyObject } from "./internal/transfer.js"
import { narrow, type Side } from "./Location.js"

export interface SnapshotOptions {
  /** Narrows both sides to this prefix (below their own). */
  readonly prefix?: string
  /** Mirror deletions: remove destination objects the source does not have (through DeletionPlan). */
  readonly delete?: boolean
  /** Compare and plan only: nothing is written, copied or deleted. */
  readonly dryRun?: boolean
  /** Objects compared and copied at once. Default 16. */
  readonly concurrency?: number
  /** Resume after an unfinished run's checkpoint. Default true. */
  readonly resume?: boolean
  /** Keys between two checkpoint writes. Default 1,000. */
  readonly checkpointEvery?: number
  /** The run stops after this many failed objects. Default 100. */
  readonly maxFailures?: number
  /** `--delete`'s safety limit (storage-core's defaults: 10,000 objects, 25 %). */
  readonly safety?: Partial<DeletionPlan.SafetyLimits>
  /** Delete even above the safety limit. */
  readonly force?: boolean
  /**
   * Copy object tags with streamed copies (one more request per copied object from an S3 source;
   * server-side copies keep them anyway). Default true. A source that cannot read tags (fs) has none.
   */
  readonly tags?: boolean
  readonly onProgress?: (progress: SnapshotProgress) => void
}

export interface SnapshotProgress {
  readonly compared: number
  readonly copied: number
  readonly failed: number
  readonly bytesCopied: number
}

export interface FailedObject {
  readonly key: string
  readonly error: string
  readonly message: string
}

export interface SnapshotReport {
  readonly kind: "snapshot"
  readonly source: string
  readonly destination: string
  readonly dryRun: boolean
  readonly startedAt: string
  readonly finishedAt: string
  /** The key after which this run resumed an interrupted one (null: from the start). */
  readonly resumedAfter: string | null
  /** What the source listing held (after the resume point). */
  readonly sourceObjects: Units.Usage
  /** Copied (on a dry run: would be copied). */
  readonly copied: Units.Usage
  readonly unchanged: number
  /** Only in the destination, kept (no `delete`). */
  readonly extra: number
  /** How each pair present on both sides was compared. */
  readonly comparisons: MethodCounts
  /** Comparisons by size and time only (multipart objects without `localex-sha256`): worth a `verify --download`. */
  readonly weakComparisons: number
  readonly failed: ReadonlyArray<FailedObject>
  /** `delete`: the deletion (on a dry run, only its plan's totals). */
  readonly deletion: {
    readonly planned: Units.Usage
    readonly deleted: Units.Usage
    readonly manifestKey: string | null
    readonly skipped: number
    readonly failed: number
  } | null
  readonly reportKey: string | null
}

export const REPORTS_PREFIX = `${Keys.prefixes.reports}backup/`

type Store = ObjectStore["Service"]

/** A listing of a side: its objects outside `_localex/`, with keys relative to its prefix. */
export const listSide = (side: Side, startAfter: string | null = null) =>
  side.store
    .list({
      prefix: side.prefix,
      ...(startAfter === null ? {} : { startAfter: side.prefix + startAfter })
    })
    .pipe(
      Stream.filter((entry): entry is ObjectSummary => entry._tag === "Object" && !Keys.isReserved(entry.key)),
      Stream.map((object) => ({ rel: object.key.slice(side.prefix.length), object }))
    )

export type Listed = { readonly rel: string; readonly object: ObjectSummary }

/** The pairs of two sides' listings, key by key. */
export const joinSides = (source: Side, destination: Side, startAfter: string | null = null) =>
  mergeJoin(
    listSide(source, startAfter),
    listSide(destination, startAfter),
    (l) => l.rel,
    (l) => l.rel
  )

/** The verdict for a pair on both sides: from the listings, else from both HEADs. */
export const compareObjects = (source: Store, destination: Store, a: ObjectSummary, b: ObjectSummary) => {
  const quick = fromListing(a, b)
  if (quick !== undefined) return Effect.succeed(quick)
  return Effect.map(Effect.all([source.head(a.key), destination.head(b.key)], { concurrency: 2 }), ([x, y]) =>
    fromHeads(x, y)
  )
}

type Outcome =
  | { readonly _tag: "Copied"; readonly key: string; readonly bytes: number; readonly method: Method | undefined }
  | { readonly _tag: "Unchanged"; readonly key: string; readonly method: Method }
  | { readonly _tag: "Extra"; readonly key: string; readonly object: ObjectSummary }
  | { readonly _tag: "Failed"; readonly key: string; readonly error: string; readonly message: string }

/** The tags of a source object; none where the source cannot read tags (fs, an endpoint without the API). */
const tagsOf = (side: Side, key: string) =>
  side.admin
    .getObjectTags(key)
    .pipe(
      Effect.catchTag(["UnsupportedByDriver", "NotImplementedByEndpoint"], () =>
        Effect.succeed<Readonly<Record<string, string>>>({})
      )
    )

const failed = (key: string) => (error: { readonly _tag: string; readonly message: string }) =>
  Effect.succeed<Outcome>({ _tag: "Failed", key, error: error._tag, message: error.message })

const encoder = new TextEncoder()

export const run = Effect.fn("Snapshot.run")(function* (
  sourceSide: Side,
  destinationSide: Side,
  options: SnapshotOptions = {}
) {
  const source = narrow(sourceSide, options.prefix)
  const destination = narrow(destinationSide, options.prefix)
  const dryRun = options.dryRun === true
  const startedAt = yield* Clock.currentTimeMillis
  const checkpointKey = Checkpoints.checkpointKey(source.name, destination.name)
  const previous = yield* Checkpoints.load(destination.store, checkpointKey)
  const resumable = options.resume !== false && previous !== undefined && !previous.checkpoint.finished
  const resumedAfter = resumable ? (previous?.checkpoint.watermark ?? null) : null
  const pendingDeletes: Array<DeletionPlan.DeletionCandidate> =
    resumable && options.delete === true ? [...(previous?.checkpoint.pendingDeletes ?? [])] : []
  let checkpointEtag = previous?.etag
  const checkpointStarted = resumable ? (previous?.checkpoint.startedAt ?? "") : new Date(startedAt).toISOString()

  const writeCheckpoint = (watermark: string | null, finished: boolean) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      checkpointEtag = yield* Checkpoints.save(
        destination.store,
        checkpointKey,
        {
          source: source.name,
          destination: destination.name,
          startedAt: checkpointStarted,
          updatedAt: new Date(now).toISOString(),
          finished,
          watermark,
          pendingDeletes
        },
        checkpointEtag
      )
    })
  // Claims the run before any copy: a concurrent run of the same pair fails here or at its next write.
  if (!dryRun) yield* writeCheckpoint(resumedAfter, false)

  const serverSide =
    source.serverSide !== undefined && source.serverSide.scope === destination.serverSide?.scope
      ? source.serverSide.bucket
      : undefined
  const copy = (pair: Joined<Listed, Listed>, condition: Condition, method: Method | undefined) => {
    const from = (pair.left as Listed).object
    const copied: Outcome = { _tag: "Copied", key: pair.key, bytes: from.size, method }
    if (dryRun) return Effect.succeed<Outcome>(copied)
    const to = destination.prefix + pair.key
    return serverSide === undefined
      ? Effect.flatMap(options.tags === false ? Effect.succeed({}) : tagsOf(source, from.key), (tags) =>
          copyObject(source.store, from.key, destination.store, to, condition, tags)
        ).pipe(Effect.as(copied))
      : destination.admin.copyFromBucket(serverSide, from.key, { to, ...condition }).pipe(Effect.as(copied))
  }

  const decide = (pair: Joined<Listed, Listed>): Effect.Effect<Outcome> => {
    const { left, right } = pair
    if (left === undefined)
      return Effect.succeed<Outcome>({ _tag: "Extra", key: pair.key, object: (right as Listed).object })
    if (right === undefined) return copy(pair, { ifNoneMatch: "*" }, undefined).pipe(Effect.catch(failed(pair.key)))
    return compareObjects(source.store, destination.store, left.object, right.object).pipe(
      Effect.flatMap(
        (verdict): Effect.Effect<Outcome, Effect.Error<ReturnType<typeof copy>>> =>
          verdict.same
            ? Effect.succeed({ _tag: "Unchanged", key: pair.key, method: verdict.method })
            : copy(pair, { ifMatch: right.object.etag }, verdict.method)
      ),
      Effect.catch(failed(pair.key))
    )
  }

  const maxFailures = options.maxFailures ?? 100
  const every = Math.max(1, options.checkpointEvery ?? 1000)
  const safety = { ...DeletionPlan.DEFAULT_SAFETY, ...options.safety }
  const tally = {
    sourceObjects: { objects: 0, bytes: 0 },
    destinationObjects: { objects: 0, bytes: 0 },
    copied: { objects: 0, bytes: 0 },
    unchanged: 0,
    extra: 0,
    comparisons: noMethods(),
    failed: [] as Array<FailedObject>,
    sinceCheckpoint: 0
  }
  // Only as many candidates as the safety limit could let through are kept; the rest are counted.
  let extraBeyondLimit = 0

  yield* joinSides(source, destination, resumedAfter).pipe(
    Stream.tap((pair) =>
      Effect.sync(() => {
        if (pair.left !== undefined) {
          tally.sourceObjects.objects++
          tally.sourceObjects.bytes += pair.left.object.size
        }
        if (pair.right !== undefined) {
          tally.destinationObjects.objects++
          tally.destinationObjects.bytes += pair.right.object.size
        }
      })
    ),
    Stream.mapEffect(decide, { concurrency: options.concurrency ?? 16 }),
    Stream.runForEach((outcome) =>
      Effect.gen(function* () {
        switch (outcome._tag) {
          case "Copied":
            tally.copied.objects++
            tally.copied.bytes += outcome.bytes
            if (outcome.method !== undefined) tally.comparisons[outcome.method]++
            break
          case "Unchanged":
            tally.unchanged++
            tally.comparisons[outcome.method]++
            break
          case "Extra":
            tally.extra++
            if (options.delete === true) {
              if (pendingDeletes.length <= safety.maxObjects)
                pendingDeletes.push(DeletionPlan.candidateOf(outcome.object, "not in the source"))
              else extraBeyondLimit++
            }
            break
          case "Failed":
            tally.failed.push({ key: outcome.key, error: outcome.error, message: outcome.message })
            if (tally.failed.length > maxFailures)
              return yield* new TooManyFailures({
                failures: tally.failed.length,
                first: tally.failed[0]?.message ?? ""
              })
            break
        }
        options.onProgress?.({
          compared: tally.sourceObjects.objects,
          copied: tally.copied.objects,
          failed: tally.failed.length,
          bytesCopied: tally.copied.bytes
        })
        // A failed key is not done: the watermark stops before it, so a resumed run tries it again.
        if (!dryRun && tally.failed.length === 0 && ++tally.sinceCheckpoint >= every) {
          tally.sinceCheckpoint = 0
          yield* writeCheckpoint(outcome.key, false)
        }
      })
    )
  )

  // The whole source listing was read: only now may anything be deleted.
  let deletion: SnapshotReport["deletion"] = null
  if (
    options.delete === true &&
    resumedAfter === null &&
    tally.sourceObjects.objects === 0 &&
    pendingDeletes.length > 0 &&
    options.force !== true
  )
    // An empty source is far more often a wrong path or prefix than a bucket really emptied.
    return yield* new EmptySource({
      source: source.name,
      destination: destination.name,
      objects: pendingDeletes.length
    })
  if (options.delete === true) {
    const plan = DeletionPlan.makePlan({
      kind: "mirror",
      location: destination.name,
      now: yield* Clock.currentTimeMillis,
      criteria: { source: source.name, destination: destination.name, rule: "in the destination, not in the source" },
      population: {
        objects: tally.destinationObjects.objects + pendingDeletes.length,
        bytes: tally.destinationObjects.bytes
      },
      candidates: pendingDeletes,
      warnings:
        extraBeyondLimit > 0 ? [`${extraBeyondLimit} more candidates beyond the safety limit were not listed`] : [],
      safety
    })
    const planned = { objects: plan.totals.objects + extraBeyondLimit, bytes: plan.totals.bytes }
    if (dryRun) deletion = { planned, deleted: { objects: 0, bytes: 0 }, manifestKey: null, skipped: 0, failed: 0 }
    else {
      // Candidates beyond the limit were only counted: the plan holds more than maxObjects, so it is
      // over the limit already; forced, it deletes those it holds and the next run the rest.
      const result = yield* DeletionPlan.execute(destination.store, plan, {
        ...(options.force === true ? { force: true } : {}),
        reportsPrefix: `${REPORTS_PREFIX}deletions/`
      })
      deletion = {
        planned,
        deleted: result.deleted,
        manifestKey: result.manifestKey,
        skipped: result.skipped.length,
        failed: result.failed.length
      }
    }
  }

  const finishedAt = yield* Clock.currentTimeMillis
  const reportKey = dryRun ? null : `${REPORTS_PREFIX}snapshot/${DeletionPlan.stamp(finishedAt)}-snapshot.json`
  const report: SnapshotReport = {
    kind: "snapshot",
    source: source.name,
    destination: destination.name,
    dryRun,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    resumedAfter,
    sourceObjects: tally.sourceObjects,
    copied: tally.copied,
    unchanged: tally.unchanged,
    extra: options.delete === true ? 0 : tally.extra,
    comparisons: tally.comparisons,
    weakComparisons: tally.comparisons["size+mtime"],
    failed: tally.failed,
    deletion,
    reportKey
  }
  if (reportKey !== null) {
    yield* writeOwn(destination.store, reportKey, encoder.encode(`${JSON.stringify(report, null, 2)}\n`), {
      contentType: "application/json",
      ifNoneMatch: "*"
    })
    // Finished only when nothing failed: a failed key is retried by the next run, which resumes.
    yield* writeCheckpoint(tally.failed.length === 0 ? null : resumedAfter, tally.failed.length === 0)
  }
  return report
})

/** The report as text lines. */
export const formatReport = (report: SnapshotReport): ReadonlyArray<readonly [string, string]> => [
  ["source", report.source],
  ["destination", report.destination],
  ...(report.resumedAfter === null ? [] : [["resumed after", report.resumedAfter] as const]),
  ["source objects", `${report.sourceObjects.objects}`],
  [report.dryRun ? "would copy" : "copied", `${report.copied.objects} (${report.copied.bytes} bytes)`],
  ["unchanged", `${report.unchanged}`],
  ...(report.extra > 0 ? [["only in destination", `${report.extra} (kept; --delete removes them)`] as const] : []),
  ...(report.deletion === null
    ? []
    : [
        [
          report.dryRun ? "would delete" : "deleted",
          `${report.dryRun ? report.deletion.planned.objects : report.deletion.deleted.objects}`
        ] as const
      ]),
  [
    "compared by",
    `sha256 ${report.comparisons.sha256}, etag ${report.comparisons.etag}, size ${report.comparisons.size}, size+time ${report.comparisons["size+mtime"]}`
  ],
  ...(report.weakComparisons > 0
    ? [
        [
          "note",
          `${report.weakComparisons} multipart objects without localex-sha256 were compared by size and time only`
        ] as const
      ]
    : []),
  ["failed", `${report.failed.length}`],
  ...report.failed.slice(0, 10).map((f) => ["  ✗", `${f.key}: ${f.message}`] as const),
  ...(report.reportKey === null ? [] : [["report", report.reportKey] as const])
]
