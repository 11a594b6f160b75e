/**
 * Incomplete multipart uploads: uploads started and never completed or aborted (a transfer that
 * failed while its endpoint was out of reach, a client killed mid-upload). Their parts are billed
 * like stored objects yet belong to no object. This clean-up aborts those older than a minimum
 * age (so a transfer running now is never touched), on demand; the abort-incomplete-uploads
 * lifecycle rule (LifecyclePolicy) does the same on a schedule.
 *
 * Like the other clean-ups: a dry run is the plan; a real run aborts each planned upload and
 * writes a result report under `_localex/reports/cleanup/`. A second run finds nothing left.
 * The fs and memory drivers write each object in one go: they have no multipart uploads, and
 * the plan is empty (with a note saying so).
 */
import {
  BucketAdmin,
  type BucketAdminError,
  DeletionPlan,
  Keys,
  ObjectStore,
  Units,
  writeObject
} from "@localex/storage-core"
import { Clock, Context, Duration, Effect, Layer, Stream } from "effect"

/** Uploads younger than this are left alone by default: they may still be running. */
export const DEFAULT_OLDER_THAN: Duration.Duration = Duration.hours(24)

export interface UploadCandidate {
  readonly key: string
  readonly uploadId: string
  readonly initiated: string
  readonly parts: number
  readonly bytes: number
}

export interface UploadsPlan {
  readonly kind: "uploads"
  readonly location: string
  readonly createdAt: string
  readonly criteria: { readonly olderThan: string; readonly prefix: string }
  /** Every incomplete upload seen, old enough or not. */
  readonly population: { readonly uploads: number; readonly bytes: number }
  readonly totals: { readonly uploads: number; readonly bytes: number }
  readonly candidates: ReadonlyArray<UploadCandidate>
  readonly warnings: ReadonlyArray<string>
}

export interface UploadsReport {
  readonly kind: "uploads"
  readonly location: string
  readonly startedAt: string
  readonly finishedAt: string
  /** Null when there was nothing to abort (nothing written). */
  readonly reportKey: string | null
  readonly aborted: { readonly uploads: number; readonly bytes: number }
  readonly failed: ReadonlyArray<{ readonly key: string; readonly uploadId: string; readonly message: string }>
}

export interface UploadsOutcome {
  readonly plan: UploadsPlan
  /** Null on a dry run. */
  readonly report: UploadsReport | null
}

export interface UploadsOptions {
  /** Only uploads started longer ago than this. Default 24 hours. */
  readonly olderThan?: Duration.Input
  readonly prefix?: string
  /** The time ages are measured from. Default: the Clock. */
  readonly now?: Date
  /** Plan only: nothing is aborted or written. */
  readonly dryRun?: boolean
  /** Aborts in flight at once. Default 8. */
  readonly concurrency?: number
  /** Where the result report goes. Default "_localex/reports/cleanup/". */
  readonly reportsPrefix?: string
  /** Called after each abort (progress bars). */
  readonly onProgress?: (progress: DeletionPlan.DeletionProgress) => void
}

export class UploadCleanup extends Context.Service<
  UploadCleanup,
  {
    readonly plan: (options?: UploadsOptions) => Effect.Effect<UploadsPlan, BucketAdminError>
    readonly run: (
      options?: UploadsOptions
    ) => Effect.Effect<UploadsOutcome, BucketAdminError | DeletionPlan.ExecuteError>
  }
>()("@localex/cost/UploadCleanup") {}

export const make = Effect.gen(function* () {
  const store = yield* ObjectStore
  const admin = yield* BucketAdmin

  const plan = Effect.fn("UploadCleanup.plan")(function* (options: UploadsOptions = {}) {
    const now = options.now?.getTime() ?? (yield* Clock.currentTimeMillis)
    const olderThanMs = Duration.toMillis(Duration.fromInputUnsafe(options.olderThan ?? DEFAULT_OLDER_THAN))
    const prefix = options.prefix ?? ""
    const population = { uploads: 0, bytes: 0 }
    const candidates: Array<UploadCandidate> = []
    const warnings: Array<string> = []
    yield* admin.listIncompleteUploads(prefix === "" ? {} : { prefix }).pipe(
      Stream.runForEach((upload) =>
        Effect.sync(() => {
          population.uploads++
          population.bytes += upload.bytes
          if (now - upload.initiated.getTime() <= olderThanMs) return
          candidates.push({
            key: upload.key,
            uploadId: upload.uploadId,
            initiated: upload.initiated.toISOString(),
            parts: upload.parts,
            bytes: upload.bytes
          })
        })
      ),
      Effect.catchTag("UnsupportedByDriver", () =>
        Effect.sync(() => {
          warnings.push(`the ${admin.driver} driver writes each object in one go: it has no multipart uploads`)
        })
      )
    )
    return {
      kind: "uploads",
      location: admin.location,
      createdAt: new Date(now).toISOString(),
      criteria: { olderThan: Units.formatDuration(olderThanMs), prefix },
      population,
      totals: { uploads: candidates.length, bytes: candidates.reduce((sum, c) => sum + c.bytes, 0) },
      candidates,
      warnings
    } satisfies UploadsPlan
  })

  const run = Effect.fn("UploadCleanup.run")(function* (options: UploadsOptions = {}) {
    const planned = yield* plan(options)
    if (options.dryRun === true) return { plan: planned, report: null } satisfies UploadsOutcome
    const startedAt = yield* Clock.currentTimeMillis
    const aborted = { uploads: 0, bytes: 0 }
    const failed: Array<UploadsReport["failed"][number]> = []
    const total = planned.candidates.length
    let done = 0
    yield* Effect.forEach(
      planned.candidates,
      (candidate) =>
        admin.abortIncompleteUpload(candidate.key, candidate.uploadId).pipe(
          Effect.match({
            onSuccess: () => {
              aborted.uploads++
              aborted.bytes += candidate.bytes
            },
            onFailure: (error) =>
              failed.push({ key: candidate.key, uploadId: candidate.uploadId, message: error.message })
          }),
          Effect.tap(() =>
            Effect.sync(() => {
              done++
              options.onProgress?.({ done, total, deleted: aborted.uploads })
            })
          )
        ),
      { concurrency: options.concurrency ?? 8, discard: true }
    )
    const finishedAt = yield* Clock.currentTimeMillis
    const prefix = options.reportsPrefix ?? `${Keys.prefixes.reports}cleanup/`
    const reportKey = total === 0 ? null : `${prefix}${DeletionPlan.stamp(startedAt)}-uploads-result.json`
    const report: UploadsReport = {
      kind: "uploads",
      location: planned.location,
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      reportKey,
      aborted,
      failed
    }
    if (reportKey !== null) {
      yield* writeObject(
        store,
        reportKey,
        new TextEncoder().encode(`${JSON.stringify({ plan: planned, report }, null, 2)}\n`),
        {
          contentType: "application/json",
          ifNoneMatch: "*"
        }
      )
    }
    return { plan: planned, report } satisfies UploadsOutcome
  })

  return UploadCleanup.of({ plan, run })
})

/** Needs ObjectStore (for the report) and BucketAdmin (the uploads). */
export const layer: Layer.Layer<UploadCleanup, never, ObjectStore | BucketAdmin> = Layer.effect(UploadCleanup, make)
