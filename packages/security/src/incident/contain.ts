/**
 * Containment: every key of a prefix that changed at or after T goes back to its state before T
 * — backup's point-in-time restore, in place (a restored key is a server-side copy of its old
 * version, conditional on the ETag the plan saw; a key that did not exist gets a delete marker,
 * so nothing is lost) — and those keys are invalidated on the CDN.
 *
 * Order: changes → plan (a dry run of the restore) → the manifest under `_localex/` (create-only)
 * → restore → CDN → a check of what remains → result and Markdown report. A dry run stops after
 * the plan and writes nothing. A rerun after a partial failure plans again from the versions: keys
 * already restored are unchanged, and the CDN is asked again for every key changed since T.
 */
import { Location, type LocationInvalid, PointInTime, type VersioningRequired } from "@localex/backup"
import type { Cdn } from "@localex/cdn"
import type { AccessLogSourceError } from "@localex/monitoring"
import {
  type BucketAdmin,
  type BucketAdminError,
  DeletionPlan,
  type InvalidKey,
  type ObjectStore,
  type PreconditionFailed,
  type SafetyLimitExceeded,
  type StoreError,
  writeObject
} from "@localex/storage-core"
import { Effect } from "effect"
import type { LogSource } from "../AccessLogReport.js"
import { collect } from "./changes.js"
import { containMarkdown } from "./markdown.js"
import type { CdnStep, ContainReport, PlannedAction } from "./report.js"

export type { CdnStep, ContainReport, PlannedAction } from "./report.js"

export interface ContainOptions {
  readonly prefix: string
  readonly before: Date
  readonly dryRun?: boolean
  /** Past the restore's safety limit on deletions (keys created during the incident). */
  readonly force?: boolean
  readonly safety?: Partial<DeletionPlan.SafetyLimits>
  /** Logs to attribute the changes to requests. */
  readonly logs?: { readonly source: LogSource; readonly name: string }
  /** Wait for the CDN invalidations to complete. */
  readonly waitForCdn?: boolean
}

export const INCIDENT_PREFIX = "_localex/reports/security/incident/"

export type ContainError =
  | VersioningRequired
  | LocationInvalid
  | BucketAdminError
  | StoreError
  | InvalidKey
  | PreconditionFailed
  | AccessLogSourceError
  | SafetyLimitExceeded

type Store = ObjectStore["Service"]
type Admin = BucketAdmin["Service"]

const planOf = (prefix: string, report: PointInTime.PitrReport): Array<PlannedAction> =>
  report.actions.map((a) =>
    a._tag === "Restore"
      ? { action: "restore", key: prefix + a.key, versionId: a.versionId, size: a.size, versionTime: a.versionTime }
      : { action: "delete", key: prefix + a.key, size: a.object.size }
  )

const cdnStep = (
  cdn: Cdn["Service"],
  keys: ReadonlyArray<string>,
  dryRun: boolean,
  wait: boolean
): Effect.Effect<CdnStep> => {
  const base = { distributionId: cdn.settings.distributionId ?? null, invalidationIds: [] }
  if (cdn.settings.distributionId === undefined)
    return Effect.succeed({
      ...base,
      status: "skipped",
      paths: [],
      note: "no CDN distribution is configured (LOCALEX_CDN_DISTRIBUTION_ID): CDN invalidation skipped"
    })
  if (keys.length === 0)
    return Effect.succeed({ ...base, status: "nothing to invalidate", paths: [], note: "no key changed" })
  return cdn.invalidateCache(keys, { dryRun, wait }).pipe(
    Effect.map(
      (report): CdnStep => ({
        ...base,
        status: dryRun ? "planned" : "invalidated",
        paths: report.plan.paths,
        invalidationIds: report.invalidations.map((i) => i.id),
        note: report.note ?? null
      })
    ),
    Effect.catch((error) => Effect.succeed<CdnStep>({ ...base, status: "failed", paths: [], note: error.message }))
  )
}

const encoder = new TextEncoder()

/** Writes a new object under `_localex/` (create-only: a rerun writes new keys, never over old ones). */
export const writeNew = (store: Store, key: string, text: string, contentType: string) =>
  writeObject(store, key, encoder.encode(text), { contentType, ifNoneMatch: "*" })

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

/** Plans (and unless `dryRun`, carries out) the containment; the report's `ok` says whether every step succeeded. */
export const run = (
  store: Store,
  admin: Admin,
  cdn: Cdn["Service"],
  options: ContainOptions,
  now: number
): Effect.Effect<ContainReport, ContainError> =>
  Effect.gen(function* () {
    const dryRun = options.dryRun === true
    const before = options.before.getTime()
    const side = Location.sideOf({ store, admin })
    const changes = yield* collect(admin, options.prefix, before, now + 1, options.logs)
    // Backup's point in time is inclusive: "before T" is its state at T − 1 ms.
    const pitrOptions = {
      prefix: options.prefix,
      at: new Date(before - 1),
      ...(options.force === true ? { force: true } : {}),
      ...(options.safety === undefined ? {} : { safety: options.safety })
    }
    const planned = yield* PointInTime.run(side, { ...pitrOptions, dryRun: true })
    const plan = planOf(options.prefix, planned)
    const keys = changes.changes.map((c) => c.key)
    const base = `${INCIDENT_PREFIX}${DeletionPlan.stamp(now)}-contain`
    const restoreStep = {
      toRestore: planned.toRestore,
      bytesToRestore: planned.bytesToRestore,
      restored: 0,
      bytesRestored: 0,
      toDelete: planned.extra,
      deleted: 0,
      failed: [],
      pitrReportKey: null
    }
    const report = (fields: Partial<ContainReport>): ContainReport => ({
      kind: "incident-contain",
      location: store.location,
      prefix: options.prefix,
      before: options.before.toISOString(),
      dryRun,
      startedAt: new Date(now).toISOString(),
      changes,
      plan,
      restore: restoreStep,
      cdn: { status: "planned", distributionId: null, paths: [], invalidationIds: [], note: null },
      remaining: null,
      ok: true,
      manifestKey: null,
      resultKey: null,
      reportKey: null,
      ...fields
    })
    if (dryRun) return report({ cdn: yield* cdnStep(cdn, keys, true, false) })

    const manifestKey = `${base}-plan.json`
    yield* writeNew(store, manifestKey, json(report({ manifestKey })), "application/json")
    const done = yield* PointInTime.run(side, { ...pitrOptions, dryRun: false })
    const full = (key: string) => (key.startsWith(options.prefix) ? key : options.prefix + key)
    const failed = done.failed.map((f) => ({ ...f, key: full(f.key) }))
    const cdnDone = yield* cdnStep(cdn, keys, false, options.waitForCdn === true)
    const remaining = planOf(options.prefix, yield* PointInTime.run(side, { ...pitrOptions, dryRun: true })).map(
      (a) => a.key
    )
    const final = report({
      restore: {
        ...restoreStep,
        restored: done.restored,
        bytesRestored: done.bytesRestored,
        deleted: done.deleted,
        failed,
        pitrReportKey: done.reportKey
      },
      cdn: cdnDone,
      remaining,
      ok: failed.length === 0 && cdnDone.status !== "failed" && remaining.length === 0,
      manifestKey,
      resultKey: `${base}-result.json`,
      reportKey: `${base}-report.md`
    })
    yield* writeNew(store, final.resultKey as string, json(final), "application/json")
    yield* writeNew(store, final.reportKey as string, containMarkdown(final), "text/markdown; charset=utf-8")
    return final
  })
