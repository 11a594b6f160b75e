/**
 * The one mechanism behind every destructive cleanup (expired files, orphans):
 *
 * 1. a plan lists what would be deleted and why, with the evidence (size, ETag, time) — a dry
 *    run stops here;
 * 2. a plan above the safety limit (count, or share of the objects considered) is refused
 *    unless forced;
 * 3. the real run first writes the plan as a manifest under `_localex/reports/cleanup/`, then deletes in
 *    batches, re-checking each object just before: one that changed since planning (other
 *    ETag, size or time) or is gone is skipped, not deleted;
 * 4. then it writes the result report next to the manifest.
 *
 * ObjectStore has no conditional delete (S3's If-Match on DELETE is not on every engine; Ceph
 * RGW lacks it), so the re-check is a HEAD per object, in the same batch as its delete: the window
 * in which a write can slip between check and delete is that batch's duration.
 */
import { Clock, Effect, Schema, Stream } from "effect"
import type { InvalidKey, ObjectNotFound, PreconditionFailed, StoreError } from "./Errors.js"
import { readText, write } from "./internal/objectIo.js"
import * as Keys from "./Keys.js"
import type { ObjectStore, ObjectSummary } from "./ObjectStore.js"
import { formatBytes, type Usage } from "./Units.js"

/** What a plan deletes: clean-ups (cost), and the mirror and point-in-time deletions of backup. */
export type DeletionKind = "expired" | "orphans" | "mirror" | "point-in-time" | "drill"

export const DeletionCandidate = Schema.Struct({
  key: Schema.String,
  size: Schema.Number,
  etag: Schema.String,
  /** ISO time, as listed when planning. */
  lastModified: Schema.String,
  reason: Schema.String
})
export type DeletionCandidate = typeof DeletionCandidate.Type

export interface SafetyLimits {
  /** Refuse plans that delete more objects than this. Default 10,000. */
  readonly maxObjects: number
  /** Refuse plans that delete more than this share (0–1) of the objects considered. Default 0.25. */
  readonly maxShare: number
  /** The share rule applies only to plans of more objects than this (small buckets). Default 100. */
  readonly shareAppliesAbove: number
}

export const DEFAULT_SAFETY: SafetyLimits = { maxObjects: 10_000, maxShare: 0.25, shareAppliesAbove: 100 }

export interface SafetyAssessment {
  readonly limits: SafetyLimits
  /** Candidates / objects considered. */
  readonly share: number
  readonly exceeded: boolean
  readonly reason: string | null
}

export interface DeletionPlan {
  readonly kind: DeletionKind
  readonly location: string
  readonly createdAt: string
  /** What decided (rules, grace period, reference source…), as JSON. */
  readonly criteria: Readonly<Record<string, unknown>>
  /** The objects considered (the share of the safety limit is of these). */
  readonly population: Usage
  readonly totals: Usage
  readonly safety: SafetyAssessment
  /** Sorted by key. */
  readonly candidates: ReadonlyArray<DeletionCandidate>
  /** Things worth a look that did not stop planning (e.g. an unreadable expires-at). */
  readonly warnings: ReadonlyArray<string>
}

export class SafetyLimitExceeded extends Schema.TaggedError<SafetyLimitExceeded>()("SafetyLimitExceeded", {
  kind: Schema.String,
  objects: Schema.Number,
  bytes: Schema.Number,
  population: Schema.Number,
  share: Schema.Number,
  maxObjects: Schema.Number,
  maxShare: Schema.Number
}) {
  override get message() {
    return `The ${this.kind} cleanup would delete ${this.objects} objects (${formatBytes(this.bytes)}, ${(this.share * 100).toFixed(1)}% of ${this.population} considered), over the safety limit of ${this.maxObjects} objects or ${(this.maxShare * 100).toFixed(0)}%: review the plan with a dry run, then run again with force`
  }
}

export const assessSafety = (objects: number, population: number, limits: SafetyLimits): SafetyAssessment => {
  const share = population === 0 ? 0 : objects / population
  const reason =
    objects > limits.maxObjects
      ? `${objects} objects is more than the limit of ${limits.maxObjects}`
      : objects > limits.shareAppliesAbove && share > limits.maxShare
        ? `${(share * 100).toFixed(1)}% of the ${population} objects considered is more than the limit of ${(limits.maxShare * 100).toFixed(0)}%`
        : null
  return { limits, share, exceeded: reason !== null, reason }
}

export const candidateOf = (object: ObjectSummary, reason: string): DeletionCandidate => ({
  key: object.key,
  size: object.size,
  etag: object.etag,
  lastModified: object.lastModified.toISOString(),
  reason
})

/** Builds a plan; candidates are sorted by key. */
export const makePlan = (fields: {
  readonly kind: DeletionKind
  readonly location: string
  readonly now: number
  readonly criteria: Readonly<Record<string, unknown>>
  readonly population: Usage
  readonly candidates: Array<DeletionCandidate>
  readonly warnings: ReadonlyArray<string>
  readonly safety: SafetyLimits
}): DeletionPlan => {
  const candidates = fields.candidates.sort((a, b) => Keys.compare(a.key, b.key))
  const bytes = candidates.reduce((sum, c) => sum + c.size, 0)
  return {
    kind: fields.kind,
    location: fields.location,
    createdAt: new Date(fields.now).toISOString(),
    criteria: fields.criteria,
    population: fields.population,
    totals: { objects: candidates.length, bytes },
    safety: assessSafety(candidates.length, fields.population.objects, fields.safety),
    candidates,
    warnings: fields.warnings
  }
}

export interface SkippedDeletion {
  readonly key: string
  readonly reason: "changed" | "missing"
  readonly detail: string
}

export interface FailedDeletion {
  readonly key: string
  readonly code: string
  readonly message: string
}

export interface DeletionReport {
  readonly kind: DeletionKind
  readonly location: string
  readonly planCreatedAt: string
  readonly startedAt: string
  readonly finishedAt: string
  /** Where the plan was written before deleting; null when there was nothing to delete. */
  readonly manifestKey: string | null
  readonly reportKey: string | null
  readonly planned: Usage
  readonly deleted: Usage
  readonly skipped: ReadonlyArray<SkippedDeletion>
  readonly failed: ReadonlyArray<FailedDeletion>
}

export interface DeletionProgress {
  readonly done: number
  readonly total: number
  readonly deleted: number
}

export interface ExecuteOptions {
  /** Run even when the plan is over the safety limit. */
  readonly force?: boolean
  /** Keys per DeleteObjects request (≤ 1,000). Default 1,000. */
  readonly batchSize?: number
  /** HEAD re-checks in flight at once. Default 16. */
  readonly concurrency?: number
  /** Where manifests and reports go. Default "_localex/reports/cleanup/". */
  readonly reportsPrefix?: string
  /** Called after each batch (progress bars). */
  readonly onProgress?: (progress: DeletionProgress) => void
}

export interface CleanupRunOptions extends ExecuteOptions {
  /** Plan only: nothing is written or deleted. */
  readonly dryRun?: boolean
}

/** A cleanup run: the plan, and what was done (null on a dry run). */
export interface CleanupOutcome {
  readonly plan: DeletionPlan
  readonly report: DeletionReport | null
}

/** A plan without its full candidate list: counts, bytes, safety and the first `sampleSize` candidates. */
export interface PlanSummary extends Omit<DeletionPlan, "candidates"> {
  readonly sample: ReadonlyArray<DeletionCandidate>
}

export const summarize = (plan: DeletionPlan, sampleSize = 20): PlanSummary => {
  const { candidates, ...rest } = plan
  return { ...rest, sample: candidates.slice(0, sampleSize) }
}

export type ExecuteError = SafetyLimitExceeded | InvalidKey | PreconditionFailed | StoreError

/** Plans of more candidates than this are written as NDJSON (a header line, then one candidate a line). */
export const NDJSON_ABOVE = 10_000

/** 2025-01-02T03:04:05.678Z → 20250102T030405678Z: sortable, and safe in any key or file name. */
export const stamp = (ms: number): string => new Date(ms).toISOString().replace(/[-:.]/g, "")

const encoder = new TextEncoder()
type Store = ObjectStore["Service"]

/** The first NDJSON line: the plan without its candidates. */
const header = ({ candidates: _, ...rest }: DeletionPlan): Omit<DeletionPlan, "candidates"> => rest

/** Writes the plan where a reader finds it before anything is deleted; returns its key. */
export const writeManifest = (store: Store, plan: DeletionPlan, key: string) => {
  if (plan.candidates.length <= NDJSON_ABOVE) {
    return write(store, key, encoder.encode(`${JSON.stringify(plan, null, 2)}\n`), {
      contentType: "application/json",
      ifNoneMatch: "*"
    }).pipe(Effect.as(key))
  }
  const ndjsonKey = key.replace(/\.json$/, ".ndjson")
  const lines = Stream.fromIterable([header(plan), ...plan.candidates]).pipe(
    Stream.map((value) => `${JSON.stringify(value)}\n`),
    Stream.rechunk(512),
    Stream.mapArray((chunk) => [encoder.encode(chunk.join(""))] as const)
  )
  return write(store, ndjsonKey, lines, { contentType: "application/x-ndjson", ifNoneMatch: "*" }).pipe(
    Effect.as(ndjsonKey)
  )
}

/** Whether the object still is what the plan saw: same size, ETag and time (to the second, as HEAD reports it). */
const unchanged = (candidate: DeletionCandidate, info: { size: number; etag: string; lastModified: Date }): boolean =>
  candidate.size === info.size &&
  candidate.etag === info.etag &&
  Math.floor(Date.parse(candidate.lastModified) / 1000) === Math.floor(info.lastModified.getTime() / 1000)

type Check = { readonly candidate: DeletionCandidate; readonly skip: SkippedDeletion | undefined }

const recheck = (store: Store, candidate: DeletionCandidate): Effect.Effect<Check, InvalidKey | StoreError> =>
  store.head(candidate.key).pipe(
    Effect.map(
      (info): Check =>
        unchanged(candidate, info)
          ? { candidate, skip: undefined }
          : {
              candidate,
              skip: {
                key: candidate.key,
                reason: "changed",
                detail: `planned ${candidate.size} B, ETag ${candidate.etag}, ${candidate.lastModified}; now ${info.size} B, ETag ${info.etag}, ${info.lastModified.toISOString()}`
              }
            }
    ),
    Effect.catchTag("ObjectNotFound", (_: ObjectNotFound) =>
      Effect.succeed<Check>({ candidate, skip: { key: candidate.key, reason: "missing", detail: "already gone" } })
    )
  )

/**
 * Carries out a plan: safety limit, manifest, re-checked batched deletes, result report.
 * An empty plan deletes and writes nothing.
 */
export const execute = Effect.fn("DeletionPlan.execute")(function* (
  store: Store,
  plan: DeletionPlan,
  options: ExecuteOptions = {}
) {
  if (plan.safety.exceeded && options.force !== true) {
    return yield* new SafetyLimitExceeded({
      kind: plan.kind,
      objects: plan.totals.objects,
      bytes: plan.totals.bytes,
      population: plan.population.objects,
      share: plan.safety.share,
      maxObjects: plan.safety.limits.maxObjects,
      maxShare: plan.safety.limits.maxShare
    })
  }
  const startedAt = yield* Clock.currentTimeMillis
  const prefix = options.reportsPrefix ?? `${Keys.prefixes.reports}cleanup/`
  const base = `${prefix}${stamp(startedAt)}-${plan.kind}`
  const total = plan.candidates.length
  if (total === 0) {
    const report: DeletionReport = {
      kind: plan.kind,
      location: plan.location,
      planCreatedAt: plan.createdAt,
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date(startedAt).toISOString(),
      manifestKey: null,
      reportKey: null,
      planned: plan.totals,
      deleted: { objects: 0, bytes: 0 },
      skipped: [],
      failed: []
    }
    return report
  }
  const manifestKey = yield* writeManifest(store, plan, `${base}-plan.json`)

  const batchSize = Math.min(1000, Math.max(1, options.batchSize ?? 1000))
  const skipped: Array<SkippedDeletion> = []
  const failed: Array<FailedDeletion> = []
  const deleted = { objects: 0, bytes: 0 }
  let done = 0
  for (let from = 0; from < total; from += batchSize) {
    const batch = plan.candidates.slice(from, from + batchSize)
    const checks = yield* Effect.forEach(batch, (candidate) => recheck(store, candidate), {
      concurrency: options.concurrency ?? 16
    })
    const toDelete: Array<DeletionCandidate> = []
    for (const check of checks) {
      if (check.skip === undefined) toDelete.push(check.candidate)
      else skipped.push(check.skip)
    }
    if (toDelete.length > 0) {
      const outcomes = yield* store.deleteMany(toDelete.map((c) => c.key))
      outcomes.forEach((outcome, i) => {
        const candidate = toDelete[i] as DeletionCandidate
        if (outcome.deleted) {
          deleted.objects++
          deleted.bytes += candidate.size
        } else failed.push({ key: outcome.key, code: outcome.code, message: outcome.message })
      })
    }
    done += batch.length
    if (options.onProgress !== undefined) {
      const progress = { done, total, deleted: deleted.objects }
      const report = options.onProgress
      yield* Effect.sync(() => report(progress))
    }
  }

  const finishedAt = yield* Clock.currentTimeMillis
  const reportKey = `${base}-result.json`
  const report: DeletionReport = {
    kind: plan.kind,
    location: plan.location,
    planCreatedAt: plan.createdAt,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    manifestKey,
    reportKey,
    planned: plan.totals,
    deleted,
    skipped,
    failed
  }
  yield* write(store, reportKey, encoder.encode(`${JSON.stringify(report, null, 2)}\n`), {
    contentType: "application/json",
    ifNoneMatch: "*"
  })
  return report
})

/** A manifest that cannot be read back as a plan. */
export class ManifestUnreadable extends Schema.TaggedError<ManifestUnreadable>()("ManifestUnreadable", {
  key: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `The cleanup manifest "${this.key}" cannot be read: ${this.reason}`
  }
}

const parseManifest = (key: string, text: string): DeletionPlan => {
  if (!key.endsWith(".ndjson")) return JSON.parse(text) as DeletionPlan
  const [first, ...rest] = text.split("\n").filter((line) => line !== "")
  const head = JSON.parse(first ?? "{}") as Omit<DeletionPlan, "candidates">
  return { ...head, candidates: rest.map((line) => JSON.parse(line) as DeletionCandidate) }
}

/** Reads a manifest back (JSON or NDJSON): the plan as it was written. */
export const readManifest = Effect.fn("DeletionPlan.readManifest")(function* (store: Store, key: string) {
  const text = yield* readText(store, key)
  return yield* Effect.try({
    try: () => parseManifest(key, text),
    catch: (cause) => new ManifestUnreadable({ key, reason: String(cause) })
  })
})
