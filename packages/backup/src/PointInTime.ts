/**
 * Point-in-time restore: make a prefix hold what it held at time T, in place or in another
 * location (another bucket or prefix, any driver). Memory does not grow with the number of keys
 * or versions: nothing holds the listing or the plan.
 *
 * 1. The state at T comes from the versions listing (key order, newest first per key), folded key
 *    by key as it streams: per key, the newest version or delete marker not after T (a delete
 *    marker, or nothing yet, means the key did not exist at T) and the current version.
 * 2. Each key is decided as it goes by: unchanged (same version, or same single-part ETag),
 *    restore (a version to copy), extra (a key that did not exist at T). The decisions stream into
 *    the plan manifest, an NDJSON object under `_localex/reports/backup/pitr/` of the target
 *    (a header line, one action a line, an `End` line with the totals); a dry run only counts them.
 * 3. Only then, with the totals known, the safety limit on deletions is checked (a refused plan's
 *    manifest stays, for review); then the manifest is read back as a stream and carried out:
 *    copies `concurrency` at a time, conditional on the ETag the plan saw (in place: a server-side
 *    copy of the version; elsewhere: streamed and checked against the SHA-256 read on the way);
 *    extra keys removed through DeletionPlan in batches of `DELETE_BATCH` (in a versioned bucket
 *    that is a delete marker, itself undoable) or only reported with `keepExtra`.
 *
 * The report keeps the first 1,000 actions and failures; the manifest has them all.
 */
import {
  ContentChecksum,
  DeletionPlan,
  Keys,
  type ObjectStore,
  type ObjectSummary,
  type ObjectVersion,
  readBody,
  SafetyLimitExceeded
} from "@localex/storage-core"
import { Clock, Effect, Stream } from "effect"
import { ChecksumMismatch, VersioningRequired } from "./Errors.js"
import { mergeJoin } from "./internal/mergeJoin.js"
import { writeOwn, writeOwnStream } from "./internal/ownWrite.js"
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
  readonly onProgress?: (progress: PitrProgress) => void
}

export interface PitrProgress {
  /** `plan`: keys decided so far; `apply`: actions carried out so far. */
  readonly phase: "plan" | "apply"
  readonly done: number
  readonly restored: number
  readonly deleted: number
  readonly failed: number
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

type Restore = Extract<PitrAction, { _tag: "Restore" }>

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
  /** The first 1,000 failures (`failures` counts them all). */
  readonly failed: ReadonlyArray<FailedObject>
  readonly failures: number
  /** The plan, NDJSON: a header line, one action a line, an `End` line with the totals. */
  readonly manifestKey: string | null
  readonly reportKey: string | null
  /** The first 1,000 actions of the plan (the manifest has them all). */
  readonly actions: ReadonlyArray<PitrAction>
}

/** The manifest's first line. */
export interface PitrManifestHeader {
  readonly kind: "point-in-time-plan"
  readonly source: string
  readonly target: string
  readonly at: string
  readonly keepExtra: boolean
  readonly createdAt: string
}

/** The manifest's last line: a manifest without it is incomplete. */
export interface PitrManifestEnd {
  readonly _tag: "End"
  readonly keysAtT: number
  readonly unchanged: number
  readonly toRestore: number
  readonly bytesToRestore: number
  readonly extra: number
}

type Store = ObjectStore["Service"]

interface KeyState {
  readonly rel: string
  /** The version at T (undefined: the key did not exist then). */
  readonly atT: ObjectVersion | undefined
  /** The current (latest) version, when it is not a delete marker. */
  readonly current: ObjectVersion | undefined
}

/** What is known of a key while its versions stream by. */
interface Fold {
  readonly key: string
  /** The newest version or delete marker not after T, so far. */
  atT: ObjectVersion | undefined
  current: ObjectVersion | undefined
}

const step = (fold: Fold, version: ObjectVersion, at: number): Fold => {
  const time = version.lastModified.getTime()
  // The newest not after T. Equal times keep the first listed (the listing puts the newest first),
  // and a later one listed after an older one (an engine's order) still wins.
  if (time <= at && (fold.atT === undefined || time > fold.atT.lastModified.getTime())) fold.atT = version
  if (version.isLatest && !version.isDeleteMarker) fold.current = version
  return fold
}

const stateOf = (fold: Fold, prefix: string): KeyState => ({
  rel: fold.key.slice(prefix.length),
  atT: fold.atT?.isDeleteMarker === false ? fold.atT : undefined,
  current: fold.current
})

/** The state at T of every key under the side's prefix that has any version, in key order. */
const statesAt = (
  side: Side,
  at: number
): Stream.Stream<KeyState, Stream.Error<ReturnType<Side["admin"]["listVersions"]>>> =>
  side.admin.listVersions({ prefix: side.prefix }).pipe(
    Stream.filter((v) => !Keys.isReserved(v.key)),
    Stream.mapAccum(
      (): Fold | undefined => undefined,
      (fold, version): readonly [Fold, ReadonlyArray<KeyState>] =>
        fold !== undefined && fold.key === version.key
          ? [step(fold, version, at), []]
          : [
              step({ key: version.key, atT: undefined, current: undefined }, version, at),
              fold === undefined ? [] : [stateOf(fold, side.prefix)]
            ],
      { onHalt: (fold) => (fold === undefined ? [] : [stateOf(fold, side.prefix)]) }
    )
  )

const sameContent = (version: ObjectVersion, etag: string) => version.etag === etag && !/-\d+$/.test(etag)

const extraCandidate = (key: string, size: number, etag: string, lastModified: Date) =>
  DeletionPlan.candidateOf(
    { _tag: "Object", key, size, etag, lastModified, storageClass: undefined },
    "did not exist at the restore time"
  )

const restoreOf = (key: string, version: ObjectVersion, currentEtag: string | null): Restore => ({
  _tag: "Restore",
  key,
  versionId: version.versionId,
  size: version.size,
  versionTime: version.lastModified.toISOString(),
  currentEtag
})

/** A key's decision: whether it existed at T, and what to do (undefined: nothing, it is unchanged). */
interface Decision {
  readonly existed: boolean
  readonly action: PitrAction | undefined
}

const decideInPlace = (prefix: string, state: KeyState): Decision => {
  const { atT, current } = state
  if (atT === undefined)
    return {
      existed: false,
      action:
        current === undefined
          ? undefined
          : {
              _tag: "Extra",
              key: state.rel,
              object: extraCandidate(prefix + state.rel, current.size, current.etag ?? "", current.lastModified)
            }
    }
  const same = current !== undefined && (current.versionId === atT.versionId || sameContent(atT, current.etag ?? ""))
  return { existed: true, action: same ? undefined : restoreOf(state.rel, atT, current?.etag ?? null) }
}

const decideInto = (key: string, state: KeyState | undefined, now: ObjectSummary | undefined): Decision => {
  const version = state?.atT
  if (version === undefined)
    return {
      existed: false,
      action:
        now === undefined
          ? undefined
          : { _tag: "Extra", key, object: extraCandidate(now.key, now.size, now.etag, now.lastModified) }
    }
  const same = now !== undefined && now.size === version.size && sameContent(version, now.etag)
  return { existed: true, action: same ? undefined : restoreOf(key, version, now?.etag ?? null) }
}

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

/** Actions and failures kept in the report. */
const REPORT_SAMPLE = 1000
/** Extra keys handed to DeletionPlan at once (each batch: re-check, manifest, deletes, report). */
export const DELETE_BATCH = 10_000
const encoder = new TextEncoder()

/** Values as NDJSON, a few hundred lines a chunk. */
const ndjson = <E>(values: Stream.Stream<unknown, E>): Stream.Stream<Uint8Array, E> =>
  values.pipe(
    Stream.map((value) => `${JSON.stringify(value)}\n`),
    Stream.rechunk(512),
    Stream.mapArray((lines) => [encoder.encode(lines.join(""))] as const)
  )

/** The actions of a manifest this run just wrote, read back as a stream (gone meanwhile: a defect). */
const manifestActions = (store: Store, key: string) =>
  Stream.unwrap(readBody(store, key).pipe(Effect.catchTag("ObjectNotFound", (error) => Effect.die(error)))).pipe(
    Stream.decodeText,
    Stream.splitLines,
    Stream.filter((line) => line.length > 0),
    Stream.map((line) => JSON.parse(line) as PitrAction | PitrManifestHeader | PitrManifestEnd),
    Stream.filter((line): line is PitrAction => "_tag" in line && line._tag !== "End")
  )

export const run = Effect.fn("PointInTime.run")(function* (sourceSide: Side, options: PitrOptions) {
  const source = narrow(sourceSide, options.prefix)
  const target = options.into === undefined ? source : narrow(options.into, options.prefix)
  const inPlace = options.into === undefined
  const at = options.at.getTime()
  const dryRun = options.dryRun === true
  const keepExtra = options.keepExtra === true
  const versioning = yield* source.admin.getVersioning()
  if (versioning === "Disabled")
    return yield* new VersioningRequired({
      location: source.name,
      status: versioning,
      operation: "Point-in-time restore"
    })

  // 1–2: every key decided as the listing streams; the actions go to the manifest (or are counted).
  const decisions = inPlace
    ? Stream.map(statesAt(source, at), (state) => decideInPlace(source.prefix, state))
    : Stream.map(
        mergeJoin(
          statesAt(source, at).pipe(Stream.filter((s) => s.atT !== undefined)),
          listSide(target),
          (s) => s.rel,
          (l) => l.rel
        ),
        (pair) => decideInto(pair.key, pair.left, pair.right?.object)
      )
  const totals = { keysAtT: 0, unchanged: 0, toRestore: 0, bytesToRestore: 0, extra: 0, extraBytes: 0, decided: 0 }
  const sample: Array<PitrAction> = []
  const progress = { restored: 0, deleted: 0, failed: 0 }
  const actions = decisions.pipe(
    Stream.tap((decision) =>
      Effect.sync(() => {
        totals.decided++
        if (decision.existed) totals.keysAtT++
        const action = decision.action
        if (action === undefined) totals.unchanged++
        else if (action._tag === "Restore") {
          totals.toRestore++
          totals.bytesToRestore += action.size
        } else {
          totals.extra++
          totals.extraBytes += action.object.size
        }
        if (action !== undefined && sample.length < REPORT_SAMPLE) sample.push(action)
        options.onProgress?.({ phase: "plan", done: totals.decided, ...progress })
      })
    ),
    Stream.map((decision) => decision.action),
    Stream.filter((action): action is PitrAction => action !== undefined)
  )

  const startedAt = yield* Clock.currentTimeMillis
  const base = `${REPORTS_PREFIX}pitr/${DeletionPlan.stamp(startedAt)}`
  const failed: Array<FailedObject> = []
  const report = (fields: Partial<PitrReport>): PitrReport => ({
    kind: "point-in-time",
    source: source.name,
    target: target.name,
    at: options.at.toISOString(),
    dryRun,
    keepExtra,
    keysAtT: totals.keysAtT,
    unchanged: totals.unchanged,
    restored: progress.restored,
    toRestore: totals.toRestore,
    bytesToRestore: totals.bytesToRestore,
    bytesRestored: 0,
    extra: totals.extra,
    deleted: progress.deleted,
    failed,
    failures: progress.failed,
    manifestKey: null,
    reportKey: null,
    actions: sample,
    ...fields
  })
  if (dryRun) {
    yield* Stream.runDrain(actions)
    return report({})
  }

  const manifestKey = `${base}-plan.ndjson`
  const header: PitrManifestHeader = {
    kind: "point-in-time-plan",
    source: source.name,
    target: target.name,
    at: options.at.toISOString(),
    keepExtra,
    createdAt: new Date(startedAt).toISOString()
  }
  const end = (): PitrManifestEnd => ({
    _tag: "End",
    keysAtT: totals.keysAtT,
    unchanged: totals.unchanged,
    toRestore: totals.toRestore,
    bytesToRestore: totals.bytesToRestore,
    extra: totals.extra
  })
  const lines = Stream.make(header).pipe(
    Stream.concat(actions),
    Stream.concat(Stream.suspend(() => Stream.make(end())))
  )
  yield* writeOwnStream(target.store, manifestKey, ndjson(lines), {
    contentType: "application/x-ndjson",
    ifNoneMatch: "*"
  })

  // 3: the safety limit, now that the totals are known; then the manifest, carried out.
  const safety = { ...DeletionPlan.DEFAULT_SAFETY, ...options.safety }
  const population = totals.keysAtT + totals.extra
  const assessment = DeletionPlan.assessSafety(totals.extra, population, safety)
  if (!keepExtra && assessment.exceeded && options.force !== true)
    // Refused before anything changes, restores included: the manifest is what the user reviews.
    return yield* new SafetyLimitExceeded({
      kind: "point-in-time",
      objects: totals.extra,
      bytes: totals.extraBytes,
      population,
      share: assessment.share,
      maxObjects: safety.maxObjects,
      maxShare: safety.maxShare
    })

  const fail = (key: string, error: string, message: string) => {
    progress.failed++
    if (failed.length < REPORT_SAMPLE) failed.push({ key, error, message })
  }
  let bytesRestored = 0
  let applied = 0
  const restore = (action: Restore) =>
    (inPlace
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
    ).pipe(
      Effect.match({
        onSuccess: () => {
          progress.restored++
          bytesRestored += action.size
        },
        onFailure: (error) => fail(action.key, error._tag, error.message)
      })
    )

  let extras: Array<DeletionPlan.DeletionCandidate> = []
  let batches = 0
  const deleteExtras = Effect.gen(function* () {
    if (extras.length === 0) return
    const candidates = extras
    extras = []
    batches++
    const plan = DeletionPlan.makePlan({
      kind: "point-in-time",
      location: target.name,
      now: yield* Clock.currentTimeMillis,
      criteria: { source: source.name, at: options.at.toISOString(), manifest: manifestKey, batch: batches },
      population: { objects: population, bytes: 0 },
      candidates,
      warnings: [],
      safety
    })
    const result = yield* DeletionPlan.execute(target.store, plan, {
      // The whole plan passed the limit above (or was forced): a batch of it passes too.
      force: true,
      reportsPrefix: `${REPORTS_PREFIX}deletions/${DeletionPlan.stamp(startedAt)}-pitr-${batches}-`
    })
    progress.deleted += result.deleted.objects
    for (const f of result.failed) fail(f.key, f.code, f.message)
  })

  let read = 0
  yield* manifestActions(target.store, manifestKey).pipe(
    Stream.tap(() => Effect.sync(() => read++)),
    Stream.mapEffect(
      (action) => (action._tag === "Restore" ? Effect.as(restore(action), undefined) : Effect.succeed(action)),
      {
        concurrency: options.concurrency ?? 16
      }
    ),
    Stream.runForEach((extra) =>
      Effect.gen(function* () {
        applied++
        if (extra !== undefined && !keepExtra) {
          extras.push(extra.object)
          if (extras.length >= DELETE_BATCH) yield* deleteExtras
        }
        options.onProgress?.({ phase: "apply", done: applied, ...progress })
      })
    )
  )
  yield* deleteExtras
  if (read !== totals.toRestore + totals.extra)
    // Our own manifest, just written, read back different: changed under us, not a user error.
    return yield* Effect.die(
      new Error(
        `the plan ${manifestKey} read back with ${read} actions, not the ${totals.toRestore + totals.extra} written`
      )
    )

  const reportKey = `${base}-result.json`
  const final = report({ bytesRestored, manifestKey, reportKey })
  yield* writeOwn(target.store, reportKey, encoder.encode(`${JSON.stringify(final, null, 2)}\n`), {
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
  ["failed", `${report.failures}`],
  ...report.failed.slice(0, 10).map((f) => ["  ✗", `${f.key}: ${f.message}`] as const),
  ...(report.manifestKey === null ? [] : [["manifest", report.manifestKey] as const]),
  ...(report.reportKey === null ? [] : [["report", report.reportKey] as const])
]
