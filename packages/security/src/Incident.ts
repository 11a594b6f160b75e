/**
 * Incident response on a versioned bucket: what changed under a prefix between two times (from
 * the versions, and the access logs when given), and containment — every changed key back to its
 * state before the incident (backup's point-in-time restore) and off the CDN (cdn's invalidation).
 * Each run writes a JSON manifest and a Markdown report under `_localex/reports/security/incident/`
 * (a dry run writes nothing and returns them).
 */
import type { LocationInvalid, VersioningRequired } from "@localex/backup"
import { Cdn } from "@localex/cdn"
import type { AccessLogSourceError } from "@localex/monitoring"
import {
  BucketAdmin,
  type BucketAdminError,
  DeletionPlan,
  type InvalidKey,
  Keys,
  ObjectStore,
  type PreconditionFailed,
  type SafetyLimitExceeded,
  type StoreError
} from "@localex/storage-core"
import { Clock, Context, Effect, Layer } from "effect"
import type { LogSource } from "./AccessLogReport.js"
import { type Changes, collect } from "./incident/changes.js"
import { type ContainOptions, type ContainReport, INCIDENT_PREFIX, run, writeNew } from "./incident/contain.js"
import { InvalidIncidentRequest } from "./incident/Errors.js"
import { changesMarkdown, containMarkdown } from "./incident/markdown.js"

export type { ChangeKind, Changes, KeyChange, RequestSeen, VersionEvent, VersionState } from "./incident/changes.js"
export type { CdnStep, ContainOptions, ContainReport, PlannedAction } from "./incident/contain.js"
export { ContainmentIncomplete, InvalidIncidentRequest } from "./incident/Errors.js"
export { formatChanges, formatContain } from "./incident/text.js"
export { changesMarkdown, containMarkdown, INCIDENT_PREFIX }

export interface ChangesOptions {
  readonly prefix: string
  readonly since: Date
  readonly until: Date
  readonly logs?: { readonly source: LogSource; readonly name: string }
}

export interface ChangesReport extends Changes {
  readonly kind: "incident-changes"
  readonly manifestKey: string
  readonly reportKey: string
  /** The Markdown report (also stored at `reportKey`). */
  readonly markdown: string
}

export type IncidentError =
  | InvalidIncidentRequest
  | VersioningRequired
  | BucketAdminError
  | StoreError
  | InvalidKey
  | PreconditionFailed
  | AccessLogSourceError
  | SafetyLimitExceeded
  | LocationInvalid

export class Incident extends Context.Service<
  Incident,
  {
    /** What changed under the prefix in `[since, until)`; writes the manifest and the report. */
    readonly changes: (options: ChangesOptions) => Effect.Effect<ChangesReport, IncidentError>
    /** Restores the changed keys to their state before `before` and invalidates them on the CDN. */
    readonly contain: (
      options: ContainOptions
    ) => Effect.Effect<ContainReport & { readonly markdown: string }, IncidentError>
  }
>()("@localex/security/Incident") {
  static readonly layer: Layer.Layer<Incident, never, ObjectStore | BucketAdmin | Cdn> = Layer.effect(
    Incident,
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const admin = yield* BucketAdmin
      const cdn = yield* Cdn
      return Incident.of({
        changes: Effect.fn("Incident.changes")(function* (options) {
          yield* checkPrefix(options.prefix)
          const since = options.since.getTime()
          const until = options.until.getTime()
          if (Number.isNaN(since) || Number.isNaN(until) || since >= until)
            return yield* new InvalidIncidentRequest({
              field: "--until",
              value: options.until.toISOString(),
              reason: `must be after --since ${options.since.toISOString()}`
            })
          const changes = yield* collect(admin, options.prefix, since, until, options.logs)
          const base = `${INCIDENT_PREFIX}${DeletionPlan.stamp(yield* Clock.currentTimeMillis)}-changes`
          const markdown = changesMarkdown(changes)
          const report: ChangesReport = {
            kind: "incident-changes",
            ...changes,
            manifestKey: `${base}.json`,
            reportKey: `${base}.md`,
            markdown
          }
          const { markdown: _, ...manifest } = report
          yield* writeNew(store, report.manifestKey, `${JSON.stringify(manifest, null, 2)}\n`, "application/json")
          yield* writeNew(store, report.reportKey, markdown, "text/markdown; charset=utf-8")
          return report
        }),
        contain: Effect.fn("Incident.contain")(function* (options) {
          yield* checkPrefix(options.prefix)
          const now = yield* Clock.currentTimeMillis
          if (Number.isNaN(options.before.getTime()) || options.before.getTime() > now)
            return yield* new InvalidIncidentRequest({
              field: "--before",
              value: String(options.before),
              reason: "must be a time in the past"
            })
          const report = yield* run(store, admin, cdn, options, now)
          return { ...report, markdown: containMarkdown(report) }
        })
      })
    })
  )
}

/** A prefix is required (containing a whole bucket is not a prefix's job) and may not be LocalEx's own. */
const checkPrefix = (prefix: string) => {
  if (prefix.trim() === "")
    return Effect.fail(
      new InvalidIncidentRequest({
        field: "--prefix",
        value: prefix,
        reason: "is empty: say which prefix, e.g. items/"
      })
    )
  if (Keys.isReserved(prefix))
    return Effect.fail(
      new InvalidIncidentRequest({
        field: "--prefix",
        value: prefix,
        reason: `${Keys.RESERVED_PREFIX} is LocalEx's own prefix (its reports and manifests)`
      })
    )
  return Effect.void
}
