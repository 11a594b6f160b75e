/**
 * The guide's backup checklists as code.
 *
 * - `status` (daily, "verify backup completion"): the newest snapshot report of this source and
 *   destination exists, is younger than a threshold, reports no failure, and its source count
 *   matches the source now within a tolerance; a random sample is hash-verified on both sides.
 * - `drill` (quarterly, "test disaster recovery procedures"): restore a random sample from the
 *   backup into a scratch prefix (`_localex/drill/…` of the live store, or another location),
 *   verify the restored bytes against the live objects' hashes, measure the time it took (and
 *   from it the time a full restore would take: the RTO) and the age of the newest snapshot (the
 *   RPO), remove the scratch copies (DeletionPlan) and write a report.
 *
 * Samples are drawn while listing (reservoir sampling), so memory stays flat.
 */
import {
  ContentChecksum,
  DeletionPlan,
  Keys,
  type ObjectStore,
  type ObjectSummary,
  readBody,
  readText
} from "@localex/storage-core"
import { Clock, Effect, Random, Stream } from "effect"
import { writeOwn } from "./internal/ownWrite.js"
import { copyObject } from "./internal/transfer.js"
import { narrow, type Side, sideOf } from "./Location.js"
import { listSide, REPORTS_PREFIX, type SnapshotReport } from "./Snapshot.js"

type Store = ObjectStore["Service"]

export interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

/** The newest snapshot report written for exactly these two locations (undefined: none). */
export const newestSnapshot = Effect.fn("Checklist.newestSnapshot")(function* (source: Side, destination: Side) {
  const keys = yield* Stream.runCollect(
    destination.store.list({ prefix: `${REPORTS_PREFIX}snapshot/` }).pipe(
      Stream.filter((entry) => entry._tag === "Object"),
      Stream.map((entry) => (entry._tag === "Object" ? entry.key : ""))
    )
  )
  const newestFirst = [...keys].sort((a, b) => Keys.compare(b, a))
  for (const key of newestFirst.slice(0, 100)) {
    const report = yield* readText(destination.store, key).pipe(
      Effect.map((text) => JSON.parse(text) as SnapshotReport),
      Effect.catchDefect(() => Effect.succeed(undefined))
    )
    if (report?.source === source.name && report.destination === destination.name && !report.dryRun)
      return { key, report }
  }
  return undefined
})

/** Counts a side's objects and bytes and draws `size` relative keys at random, in one listing. */
const countAndSample = (side: Side, size: number) =>
  Effect.gen(function* () {
    const sample: Array<string> = []
    let objects = 0
    let bytes = 0
    yield* Stream.runForEach(listSide(side), ({ rel, object }) =>
      Effect.gen(function* () {
        objects++
        bytes += object.size
        if (sample.length < size) sample.push(rel)
        else {
          const slot = yield* Random.nextIntBetween(0, objects)
          if (slot < size) sample[slot] = rel
        }
      })
    )
    return { objects, bytes, sample: sample.sort(Keys.compare) }
  })

const hashOf = (store: Store, key: string) => Effect.flatMap(readBody(store, key), ContentChecksum.ofStream)

/** Whether `rel` holds the same bytes on both sides (read and hashed). */
const sameBytes = (a: Side, b: Side, rel: string) =>
  Effect.all([hashOf(a.store, a.prefix + rel), hashOf(b.store, b.prefix + rel)], { concurrency: 2 }).pipe(
    Effect.map(([x, y]) => (x === y ? undefined : `${rel}: SHA-256 differs`)),
    Effect.catch((error) => Effect.succeed(`${rel}: ${error.message}`))
  )

export interface StatusOptions {
  readonly prefix?: string
  /** The newest snapshot may be at most this old. Default 26 hours (a daily run, with slack). */
  readonly maxAgeHours?: number
  /** Allowed relative difference between the reported and the current source count. Default 0.01. */
  readonly tolerance?: number
  /** Objects hash-verified on both sides. Default 10. */
  readonly sample?: number
}

export interface StatusReport {
  readonly source: string
  readonly destination: string
  readonly snapshotKey: string | null
  readonly snapshotFinishedAt: string | null
  readonly ageHours: number | null
  readonly checks: ReadonlyArray<Check>
  readonly sampled: ReadonlyArray<string>
  readonly ok: boolean
}

export const status = Effect.fn("Checklist.status")(function* (
  sourceSide: Side,
  destinationSide: Side,
  options: StatusOptions = {}
) {
  const source = narrow(sourceSide, options.prefix)
  const destination = narrow(destinationSide, options.prefix)
  const maxAge = options.maxAgeHours ?? 26
  const tolerance = options.tolerance ?? 0.01
  const now = yield* Clock.currentTimeMillis
  const newest = yield* newestSnapshot(source, destination)
  const current = yield* countAndSample(source, options.sample ?? 10)
  const checks: Array<Check> = []
  const ageHours = newest === undefined ? null : (now - Date.parse(newest.report.finishedAt)) / 3_600_000
  checks.push({
    name: "snapshot exists",
    ok: newest !== undefined,
    detail:
      newest === undefined ? `no snapshot report under ${REPORTS_PREFIX}snapshot/ for these locations` : newest.key
  })
  if (newest !== undefined && ageHours !== null) {
    checks.push({
      name: "snapshot age",
      ok: ageHours <= maxAge,
      detail: `${ageHours.toFixed(1)} h old (limit ${maxAge} h)`
    })
    checks.push({
      name: "snapshot completed",
      ok: newest.report.failed.length === 0,
      detail: `${newest.report.failed.length} objects failed`
    })
    const reported = newest.report.sourceObjects.objects
    const drift = Math.abs(current.objects - reported) / Math.max(1, reported)
    checks.push({
      name: "source count",
      ok: newest.report.resumedAfter === null ? drift <= tolerance : true,
      detail:
        newest.report.resumedAfter === null
          ? `${reported} at the snapshot, ${current.objects} now (${(drift * 100).toFixed(2)} %, limit ${(tolerance * 100).toFixed(2)} %)`
          : `the snapshot resumed an earlier run; ${current.objects} objects now`
    })
  }
  const mismatches = (yield* Effect.forEach(current.sample, (rel) => sameBytes(source, destination, rel), {
    concurrency: 4
  })).filter((problem): problem is string => problem !== undefined)
  checks.push({
    name: "sample hash-verified",
    ok: mismatches.length === 0,
    detail:
      mismatches.length === 0
        ? `${current.sample.length} objects identical on both sides`
        : `${mismatches.length} of ${current.sample.length}: ${mismatches.slice(0, 5).join("; ")}`
  })
  const report: StatusReport = {
    source: source.name,
    destination: destination.name,
    snapshotKey: newest?.key ?? null,
    snapshotFinishedAt: newest?.report.finishedAt ?? null,
    ageHours,
    checks,
    sampled: current.sample,
    ok: checks.every((check) => check.ok)
  }
  return report
})

export interface DrillOptions {
  readonly prefix?: string
  /** Objects restored. Default 20. */
  readonly sample?: number
  /** Where the sample is restored; `_localex/drill/<time>/` of the source's store when omitted. */
  readonly into?: Side
  /** Keep the restored copies (default: removed after the drill). */
  readonly keep?: boolean
}

export interface DrillReport {
  readonly kind: "drill"
  readonly source: string
  readonly backup: string
  readonly scratch: string
  readonly startedAt: string
  readonly finishedAt: string
  readonly restored: { readonly objects: number; readonly bytes: number }
  readonly restoreMs: number
  /** Bytes a second restored in the drill. */
  readonly throughput: number
  readonly backupSize: { readonly objects: number; readonly bytes: number }
  /** A full restore at the drill's throughput, in seconds (the recovery time objective it supports). */
  readonly estimatedRtoSeconds: number | null
  /** Age of the newest snapshot, in seconds (the recovery point it gives); null without one. */
  readonly rpoSeconds: number | null
  readonly mismatches: ReadonlyArray<string>
  readonly ok: boolean
  readonly reportKey: string
}

export const drill = Effect.fn("Checklist.drill")(function* (
  sourceSide: Side,
  backupSide: Side,
  options: DrillOptions = {}
) {
  const source = narrow(sourceSide, options.prefix)
  const backup = narrow(backupSide, options.prefix)
  const startedAt = yield* Clock.currentTimeMillis
  const stamp = DeletionPlan.stamp(startedAt)
  const scratch =
    options.into ?? sideOf({ store: source.store, admin: source.admin }, `${Keys.RESERVED_PREFIX}drill/${stamp}/`)
  const newest = yield* newestSnapshot(source, backup)
  const listed = yield* countAndSample(backup, options.sample ?? 20)

  const restoreStart = yield* Clock.currentTimeMillis
  const restored = yield* Effect.forEach(
    listed.sample,
    (rel) =>
      copyObject(backup.store, backup.prefix + rel, scratch.store, scratch.prefix + rel, { ifNoneMatch: "*" }).pipe(
        Effect.map((info) => ({ rel, size: info.size, error: undefined as string | undefined })),
        Effect.catch((error) => Effect.succeed({ rel, size: 0, error: `${rel}: restore failed: ${error.message}` }))
      ),
    { concurrency: 8 }
  )
  const restoreMs = Math.max(1, (yield* Clock.currentTimeMillis) - restoreStart)
  const bytes = restored.reduce((sum, r) => sum + r.size, 0)
  const checked = yield* Effect.forEach(
    restored.filter((r) => r.error === undefined),
    (r) => sameBytes(scratch, source, r.rel),
    { concurrency: 4 }
  )
  const mismatches = [
    ...restored.flatMap((r) => (r.error === undefined ? [] : [r.error])),
    ...checked.filter((p): p is string => p !== undefined)
  ]

  if (options.keep !== true && options.into === undefined) {
    const candidates = yield* Stream.runCollect(
      scratch.store.list({ prefix: scratch.prefix }).pipe(
        Stream.filter((e): e is ObjectSummary => e._tag === "Object"),
        Stream.map((e) => DeletionPlan.candidateOf(e, "drill scratch copy"))
      )
    )
    const plan = DeletionPlan.makePlan({
      kind: "drill",
      location: scratch.name,
      now: yield* Clock.currentTimeMillis,
      criteria: { scratch: scratch.prefix },
      population: { objects: candidates.length, bytes },
      candidates: [...candidates],
      warnings: [],
      safety: DeletionPlan.DEFAULT_SAFETY
    })
    // The drill's own copies under _localex/: all of them go, whatever the share.
    yield* DeletionPlan.execute(scratch.store, plan, { force: true, reportsPrefix: `${REPORTS_PREFIX}deletions/` })
  }

  const finishedAt = yield* Clock.currentTimeMillis
  const throughput = (bytes / restoreMs) * 1000
  const reportKey = `${REPORTS_PREFIX}drill/${stamp}-drill.json`
  const report: DrillReport = {
    kind: "drill",
    source: source.name,
    backup: backup.name,
    scratch: scratch.name,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    restored: { objects: restored.length - restored.filter((r) => r.error !== undefined).length, bytes },
    restoreMs,
    throughput,
    backupSize: { objects: listed.objects, bytes: listed.bytes },
    estimatedRtoSeconds: bytes === 0 ? null : Math.ceil(listed.bytes / throughput),
    rpoSeconds: newest === undefined ? null : Math.round((finishedAt - Date.parse(newest.report.finishedAt)) / 1000),
    mismatches,
    ok: mismatches.length === 0 && listed.sample.length > 0,
    reportKey
  }
  yield* writeOwn(backup.store, reportKey, new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`), {
    contentType: "application/json",
    ifNoneMatch: "*"
  })
  return report
})

export const formatStatus = (report: StatusReport): ReadonlyArray<string> => [
  `backup status: ${report.source} → ${report.destination}`,
  ...report.checks.map((check) => `${check.ok ? "✓" : "✗"} ${check.name}: ${check.detail}`),
  report.ok ? "OK" : "NOT OK"
]

export const formatDrill = (report: DrillReport): ReadonlyArray<readonly [string, string]> => [
  ["source", report.source],
  ["backup", report.backup],
  ["scratch", report.scratch],
  ["restored", `${report.restored.objects} objects, ${report.restored.bytes} bytes in ${report.restoreMs} ms`],
  ["verified", report.mismatches.length === 0 ? "all identical to the source" : `${report.mismatches.length} problems`],
  ...report.mismatches.slice(0, 10).map((m) => ["  ✗", m] as const),
  [
    "RTO (est.)",
    report.estimatedRtoSeconds === null
      ? "unknown"
      : `${report.estimatedRtoSeconds} s for ${report.backupSize.bytes} bytes`
  ],
  ["RPO", report.rpoSeconds === null ? "no snapshot report" : `${report.rpoSeconds} s (newest snapshot)`],
  ["report", report.reportKey],
  ["result", report.ok ? "OK" : "NOT OK"]
]
