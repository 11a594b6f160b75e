/**
 * Point-in-time restore: make a prefix hold what it held at time T, in place or in another
 * location (another bucket or prefix, any driver).
 *
 * 1. The state at T comes from the versions listing (key order, newest first per key): per key,
 *    the newest version or delete marker not after T. A delete marker, or nothing yet, means the
 *    key did not exist at T.
 * 2. The plan compares that state with the target: unchanged (same version, or same single-part
 *    ETag), restore (a version to copy), extra (a key that did not exist at T).
 * 3. The plan is written as a manifest under `_localex/reports/backup/pitr/` of the target first
 *    (not on a dry run), then carried out: copies conditional on the ETag the plan saw (in place:
 *    a server-side copy of the version; elsewhere: streamed and checked against the SHA-256 read
 *    on the way); extra keys removed through DeletionPlan (in a versioned bucket that is a delete
 *    marker, itself undoable) or only reported with `keepExtra`.
 *
 * The plan is held in memory (one entry per key that changes): fine for a prefix, not meant for
 * a whole bucket of millions of changes.
 */
import {
  ContentChecksum,
  DeletionPlan,
  Keys,
  type ObjectStore,
  type ObjectSummary,
  type ObjectVersion,
  SafetyLimitExceeded,
  writeObject
} from "@localex/storage-core"
import { Clock, Effect, Stream } from "effect"
import { ChecksumMismatch, VersioningRequired } from "./Errors.js"
import { mergeJoin } from "./internal/mergeJoin.js"
import { narrow, type Side } from "./Location.js"
import { type FailedObject, listSide, REPORTS_PREFIX } from "./Snapshot.js"

export interface PitrOptions {
  /** The prefix restored (below the source side's). */
  readonly prefix?: string
  readonly at: Date
  /** Where to restore; in place when omitted. */
  readonly into?: Side
  /** Keys that did not exist at T are only reported, not removed. */
  readonly keepExtra?: boolean
  readonly dryRun?: boolean
  readonly concurrency?: number
  readonly safety?: Partial<DeletionPlan.SafetyLimits>
  readonly force?: boolean
}

export type PitrAction =
  | {
      readonly _tag: "Restore"
      readonly key: string
      readonly versionId: string
      readonly size: number
      readonly versionTime: string
      /** What the target held when planned (null: nothing). */
      readonly currentEtag: string | null
    }
  | { readonly _tag: "Extra"; readonly key: string; readonly object: DeletionPlan.DeletionCandidate }

export interface PitrReport {
  readonly kind: "point-in-time"
  readonly source: string
  readonly target: string
  readonly at: string
  readonly dryRun: boolean
  readonly keepExtra: boolean
  /** Keys that existed at T. */
  readonly keysAtT: number
  readonly unchanged: number
  readonly restored: number
  readonly toRestore: number
  /** Bytes of the versions to restore, and of those restored. */
  readonly bytesToRestore: number
  readonly bytesRestored: number
  /** Keys that did not exist at T but do now. */
  readonly extra: number
  readonly deleted: number
  readonly failed: ReadonlyArray<FailedObject>
  readonly manifestKey: string | null
  readonly reportKey: string | null
  /** The first 1,000 actions of the plan. */
  readonly actions: ReadonlyArray<PitrAction>
}

type Store = ObjectStore["Service"]

/** A key's version at T: the newest not after T (undefined: it did not exist then). */
const stateAt = (history: ReadonlyArray<ObjectVersion>, at: number) => {
  const version = history.find((v) => v.lastModified.getTime() <= at)
  return version === undefined || version.isDeleteMarker ? undefined : version
}

interface KeyState {
  readonly rel: string
  readonly atT: ObjectVersion | undefined
  /** The current (latest) version, when it is not a delete marker. */
  readonly current: ObjectVersion | undefined
}

/** The state at T of every key under the side's prefix that has any version, in key order. */
const statesAt = (side: Side, at: number) =>
  side.admin.listVersions({ prefix: side.prefix }).pipe(
    Stream.filter((v) => !Keys.isReserved(v.key)),
    Stream.groupAdjacentBy((v) => v.key),
    Stream.map(
      ([key, history]): KeyState => ({
        rel: key.slice(side.prefix.length),
        atT: stateAt(history, at),
        current: history.find((v) => v.isLatest && !v.isDeleteMarker)
      })
    )
  )

const sameContent = (version: ObjectVersion, etag: string) => version.etag === etag && !/-\d+$/.test(etag)

const extraCandidate = (key: string, size: number, etag: string, lastModified: Date) =>
  DeletionPlan.candidateOf(
    { _tag: "Object", key, size, etag, lastModified, storageClass: undefined },
    "did not exist at the restore time"
  )

/** Streams a version into another store, checked against the SHA-256 it carries (else computed first). */
const copyVersionAcross = Effect.fnUntraced(function* (
  source: Side,
  key: string,
  versionId: string,
  target: Store,
  targetKey: string,
  currentEtag: string | null
) {
  const got = yield* source.admin.getVersion(key, versionId)
  const sum = ContentChecksum.of(got.info) ?? (yield* ContentChecksum.ofStream(got.body))
  const body =
    ContentChecksum.of(got.info) === undefined ? (yield* source.admin.getVersion(key, versionId)).body : got.body
  yield* target.put(
    targetKey,
    ContentChecksum.verifying(body, sum, (actual) => new ChecksumMismatch({ key, expected: sum, actual })),
    {
      contentType: got.info.contentType ?? "application/octet-stream",
      ...(got.info.cacheControl === undefined ? {} : { cacheControl: got.info.cacheControl }),
      ...(got.info.contentDisposition === undefined ? {} : { contentDisposition: got.info.contentDisposition }),
      metadata: { ...got.info.metadata, [ContentChecksum.METADATA_NAME]: sum },
      contentLength: got.info.size,
      ...(currentEtag === null ? { ifNoneMatch: "*" as const } : { ifMatch: currentEtag })
    }
  )
})

const MAX_ACTIONS_IN_REPORT = 1000
const encoder = new TextEncoder()

export const run = Effect.fn("PointInTime.run")(function* (sourceSide: Side, options: PitrOptions) {
  const source = narrow(sourceSide, options.prefix)
  const target = options.into === undefined ? source : narrow(options.into, options.prefix)
  const inPlace = options.into === undefined
  const at = options.at.getTime()
  const versioning = yield* source.admin.getVersioning()
  if (versioning === "Disabled")
    return yield* new VersioningRequired({
      location: source.name,
      status: versioning,
      operation: "Point-in-time restore"
    })

  // 1–2: the plan.
  const actions: Array<PitrAction> = []
  let keysAtT = 0
  let unchanged = 0
  if (inPlace) {
    yield* Stream.runForEach(statesAt(source, at), (state) =>
      Effect.sync(() => {
        const key = state.rel
        if (state.atT !== undefined) keysAtT++
        if (state.atT === undefined) {
          if (state.current === undefined) unchanged++
          else
            actions.push({
              _tag: "Extra",
              key,
              object: extraCandidate(
                source.prefix + key,
                state.current.size,
                state.current.etag ?? "",
                state.current.lastModified
              )
            })
        } else if (
          state.current !== undefined &&
          (state.current.versionId === state.atT.versionId || sameContent(state.atT, state.current.etag ?? ""))
        )
          unchanged++
        else
          actions.push({
            _tag: "Restore",
            key,
            versionId: state.atT.versionId,
            size: state.atT.size,
            versionTime: state.atT.lastModified.toISOString(),
            currentEtag: state.current?.etag ?? null
          })
      })
    )
  } else {
    const joined = mergeJoin(
      statesAt(source, at).pipe(Stream.filter((s) => s.atT !== undefined)),
      listSide(target),
      (s) => s.rel,
      (l) => l.rel
    )
    yield* Stream.runForEach(joined, (pair) =>
      Effect.sync(() => {
        const now: ObjectSummary | undefined = pair.right?.object
        const version = pair.left?.atT
        if (version === undefined) {
          if (now !== undefined)
            actions.push({
              _tag: "Extra",
              key: pair.key,
              object: extraCandidate(now.key, now.size, now.etag, now.lastModified)
            })
          return
        }
        keysAtT++
        if (now !== undefined && now.size === version.size && sameContent(version, now.etag)) unchanged++
        else
          actions.push({
            _tag: "Restore",
            key: pair.key,
            versionId: version.versionId,
            size: version.size,
            versionTime: version.lastModified.toISOString(),
            currentEtag: now?.etag ?? null
          })
      })
    )
  }

  const restores = actions.filter((a): a is Extract<PitrAction, { _tag: "Restore" }> => a._tag === "Restore")
  const extras = actions.filter((a): a is Extract<PitrAction, { _tag: "Extra" }> => a._tag === "Extra")
  const startedAt = yield* Clock.currentTimeMillis
  const base = `${REPORTS_PREFIX}pitr/${DeletionPlan.stamp(startedAt)}`
  const report = (fields: Partial<PitrReport>): PitrReport => ({
    kind: "point-in-time",
    source: source.name,
    target: target.name,
    at: options.at.toISOString(),
    dryRun: options.dryRun === true,
    keepExtra: options.keepExtra === true,
    keysAtT,
    unchanged,
    restored: 0,
    toRestore: restores.length,
    bytesToRestore: restores.reduce((sum, action) => sum + action.size, 0),
    bytesRestored: 0,
    extra: extras.length,
    deleted: 0,
    failed: [],
    manifestKey: null,
    reportKey: null,
    actions: actions.slice(0, MAX_ACTIONS_IN_REPORT),
    ...fields
  })
  const safety = { ...DeletionPlan.DEFAULT_SAFETY, ...options.safety }
  const deletion = DeletionPlan.makePlan({
    kind: "point-in-time",
    location: target.name,
    now: startedAt,
    criteria: { source: source.name, at: options.at.toISOString() },
    population: { objects: keysAtT + extras.length, bytes: 0 },
    candidates: extras.map((e) => e.object),
    warnings: [],
    safety
  })
  if (options.dryRun === true) return report({})
  if (options.keepExtra !== true && deletion.safety.exceeded && options.force !== true)
    // Refused before anything is written, restores included: the plan is what the user reviews.
    return yield* new SafetyLimitExceeded({
      kind: deletion.kind,
      objects: deletion.totals.objects,
      bytes: deletion.totals.bytes,
      population: deletion.population.objects,
      share: deletion.safety.share,
      maxObjects: deletion.safety.limits.maxObjects,
      maxShare: deletion.safety.limits.maxShare
    })

  // 3: manifest first, then the copies, then the deletions.
  const manifestKey = `${base}-plan.json`
  yield* writeObject(
    target.store,
    manifestKey,
    encoder.encode(`${JSON.stringify({ ...report({}), actions }, null, 2)}\n`),
    { contentType: "application/json", ifNoneMatch: "*" }
  )
  const failed: Array<FailedObject> = []
  let restored = 0
  let bytesRestored = 0
  yield* Effect.forEach(
    restores,
    (action) => {
      const copy = inPlace
        ? source.admin.copyVersion(
            source.prefix + action.key,
            action.versionId,
            action.currentEtag === null ? { ifNoneMatch: "*" } : { ifMatch: action.currentEtag }
          )
        : copyVersionAcross(
            source,
            source.prefix + action.key,
            action.versionId,
            target.store,
            target.prefix + action.key,
            action.currentEtag
          )
      return copy.pipe(
        Effect.match({
          onSuccess: () => {
            restored++
            bytesRestored += action.size
          },
          onFailure: (error) => {
            failed.push({ key: action.key, error: error._tag, message: error.message })
          }
        })
      )
    },
    { concurrency: options.concurrency ?? 16, discard: true }
  )
  let deleted = 0
  if (options.keepExtra !== true && extras.length > 0) {
    const result = yield* DeletionPlan.execute(target.store, deletion, {
      ...(options.force === true ? { force: true } : {}),
      reportsPrefix: `${REPORTS_PREFIX}deletions/`
    })
    deleted = result.deleted.objects
    for (const f of result.failed) failed.push({ key: f.key, error: f.code, message: f.message })
  }
  const reportKey = `${base}-result.json`
  const final = report({ restored, bytesRestored, deleted, failed, manifestKey, reportKey })
  yield* writeObject(target.store, reportKey, encoder.encode(`${JSON.stringify(final, null, 2)}\n`), {
    contentType: "application/json",
    ifNoneMatch: "*"
  })
  return final
})

export const formatReport = (report: PitrReport): ReadonlyArray<readonly [string, string]> => [
  ["source", report.source],
  ["target", report.target],
  ["state at", report.at],
  ["keys then", `${report.keysAtT}`],
  ["unchanged", `${report.unchanged}`],
  [report.dryRun ? "would restore" : "restored", `${report.dryRun ? report.toRestore : report.restored}`],
  [
    report.keepExtra || report.dryRun ? "extra (kept)" : "extra deleted",
    report.keepExtra || report.dryRun ? `${report.extra}` : `${report.deleted} of ${report.extra}`
  ],
  ["failed", `${report.failed.length}`],
  ...report.failed.slice(0, 10).map((f) => ["  ✗", `${f.key}: ${f.message}`] as const),
  ...(report.manifestKey === null ? [] : [["manifest", report.manifestKey] as const]),
  ...(report.reportKey === null ? [] : [["report", report.reportKey] as const])
]
