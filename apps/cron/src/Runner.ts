/**
 * Runs one job once: takes the job's lease (storage-core's Lease), runs its checks over the
 * fenced store (retrying transient failures with backoff), writes the report (monitoring's
 * Report) and notifies the webhook on warn/fail. Another runner holding the lease, a slot that
 * already ran, or a lease lost mid-run end the run without a report.
 */
import { Cleanup, LifecyclePolicy, Tiering } from "@localex/cost"
import { Report, Stats } from "@localex/monitoring"
import { BucketAdmin, Lease, ObjectStore } from "@localex/storage-core"
import { Clock, Deferred, Duration, Effect, Layer, Option, Random, Schedule } from "effect"
import type { Check } from "./Check.js"
import { CronConfig } from "./CronConfig.js"
import type { Job } from "./Jobs.js"
import { Metrics } from "./Metrics.js"
import { notify } from "./Notify.js"

export interface RunOptions {
  /** `manual` (run JOB), `schedule`, or `missed` (catching up after downtime). */
  readonly trigger: "manual" | "schedule" | "missed"
  /** The scheduled slot (schedule and missed runs): skipped when a run for it already finished. */
  readonly slot?: Date
}

export type RunOutcome =
  | { readonly _tag: "Completed"; readonly report: Report.ChecklistReport; readonly notified: string }
  /** Another runner holds the job's lease. */
  | { readonly _tag: "Held"; readonly holder: string; readonly expiresAt: string }
  /** The slot already ran (on another runner). */
  | { readonly _tag: "AlreadyRan"; readonly runId: string; readonly runner: string }
  /** The lease was lost mid-run (a stall past its expiry): stopped, nothing more written. */
  | { readonly _tag: "Lost"; readonly reason: string }

/** Failures worth another try: the store did not answer or asked to slow down. */
const TRANSIENT = new Set(["TransportError", "Throttled"])
const isTransient = (error: unknown) =>
  typeof error === "object" && error !== null && "_tag" in error && TRANSIENT.has(String(error._tag))

const messageOf = (error: unknown) =>
  error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error)

/** One check: its outcome, timed, after retries; any failure becomes a `fail` with its message. */
const runCheck = (check: Check) =>
  Effect.gen(function* () {
    const config = yield* CronConfig
    const started = yield* Clock.currentTimeMillis
    let attempts = 0
    const attempt = Effect.suspend(() => {
      attempts++
      return check.run
    })
    const outcome = yield* attempt.pipe(
      Effect.retry({
        schedule: Schedule.exponential(config.retryDelay),
        times: config.retries,
        while: isTransient
      }),
      Effect.catch((error) =>
        Effect.succeed({
          status: "fail" as const,
          summary: messageOf(error),
          evidence: { error: typeof error === "object" && error !== null && "_tag" in error ? error._tag : "Error" },
          hint: isTransient(error) ? `still failing after ${attempts} attempts: check the store's endpoint` : undefined
        })
      ),
      Effect.catchDefect((defect) =>
        Effect.succeed({
          status: "fail" as const,
          summary: `the check crashed: ${messageOf(defect)}`,
          evidence: null,
          hint: "this is a bug: report it with the runner's log"
        })
      )
    )
    const result: Report.CheckResult = {
      id: check.id,
      title: check.title,
      status: outcome.status,
      summary: outcome.summary,
      ...(outcome.hint === undefined ? {} : { hint: outcome.hint }),
      evidence: outcome.evidence ?? null,
      durationMs: (yield* Clock.currentTimeMillis) - started,
      attempts
    }
    return result
  })

/** The packages' services over the fenced store: every write they make checks the lease first. */
const servicesOver = (store: ObjectStore["Service"], admin: BucketAdmin["Service"]) =>
  Layer.mergeAll(Stats.layer, Cleanup.layer, LifecyclePolicy.layer, Tiering.layer).pipe(
    Layer.provideMerge(Layer.mergeAll(Layer.succeed(ObjectStore, store), Layer.succeed(BucketAdmin, admin)))
  )

const STATUS_NUMBER = { pass: 0, warn: 1, fail: 2 } as const

/** Runs `job` once on this runner (see the module comment). */
export const runJob = Effect.fn("Runner.runJob")(function* (job: Job, options: RunOptions) {
  const config = yield* CronConfig
  const metrics = yield* Metrics
  const store = yield* ObjectStore
  const admin = yield* BucketAdmin
  const count = (result: string) => metrics.runs.inc({ job: job.name, result })

  const outcome: RunOutcome = yield* Effect.scoped(
    Effect.gen(function* () {
      const held = yield* Lease.hold(store, { name: job.name, holder: config.runnerId, ttl: config.leaseTtl })
      if (options.slot !== undefined) {
        const slot = options.slot.toISOString()
        const last = yield* Report.latest(store, job.name).pipe(
          Effect.catchTag("ReportUnreadable", () => Effect.succeed(Option.none()))
        )
        if (Option.isSome(last) && (last.value.scheduledFor ?? last.value.startedAt) >= slot)
          return { _tag: "AlreadyRan", runId: last.value.runId, runner: last.value.runner } satisfies RunOutcome
      }
      const fenced = Lease.fence(store, held)
      const startedAt = yield* Clock.currentTimeMillis
      const runId = (yield* Random.nextIntBetween(0, 0x7fffffff)).toString(36).padStart(6, "0")
      // Renewal noticing the loss interrupts the checks: a runner that lost its lease stops.
      const checks = yield* Effect.forEach(job.checks, runCheck).pipe(
        Effect.provide(servicesOver(fenced, admin)),
        Effect.provideService(CronConfig, config),
        Effect.raceFirst(Deferred.await(held.lost))
      )
      const lease = yield* held.current
      const finishedAt = yield* Clock.currentTimeMillis
      const report: Report.ChecklistReport = {
        schemaVersion: 1,
        job: job.name,
        runId,
        status: Report.overallStatus(checks),
        counts: Report.countStatuses(checks),
        runner: config.runnerId,
        leaseToken: lease.token,
        location: store.location,
        trigger: options.trigger,
        ...(options.slot === undefined ? {} : { scheduledFor: options.slot.toISOString() }),
        startedAt: new Date(startedAt).toISOString(),
        finishedAt: new Date(finishedAt).toISOString(),
        durationMs: finishedAt - startedAt,
        checks,
        links: Report.reportKeys(job.name, new Date(startedAt), runId)
      }
      yield* Report.write(fenced, report)
      for (const c of checks) metrics.checks.inc({ job: job.name, check: c.id, status: c.status })
      metrics.duration.observe({ job: job.name, result: report.status }, report.durationMs / 1000)
      metrics.lastCompleted.set({ job: job.name }, finishedAt / 1000)
      metrics.lastStatus.set({ job: job.name }, STATUS_NUMBER[report.status])
      return { _tag: "Completed", report, notified: "pending" } satisfies RunOutcome
    })
  ).pipe(
    Effect.catchTag("LeaseHeld", (error) =>
      Effect.succeed<RunOutcome>({ _tag: "Held", holder: error.holder, expiresAt: error.expiresAt })
    ),
    Effect.catchTag("LeaseLost", (error) => Effect.succeed<RunOutcome>({ _tag: "Lost", reason: error.message })),
    // A write refused by the fence (the lease went between two renewals) is a lost lease too.
    Effect.catchTag("PreconditionFailed", (error) =>
      error.condition.includes("Lease ")
        ? Effect.succeed<RunOutcome>({ _tag: "Lost", reason: error.condition })
        : Effect.fail(error)
    )
  )
  switch (outcome._tag) {
    case "Completed": {
      count(outcome.report.status)
      // Outside the lease: the report is stored; a slow webhook does not hold the job.
      const notified = yield* notify(outcome.report)
      return { ...outcome, notified } satisfies RunOutcome
    }
    case "Held":
      count("held")
      return outcome
    case "AlreadyRan":
      count("done")
      return outcome
    case "Lost":
      count("lost")
      yield* Effect.logWarning(`localex-cron: ${job.name}: ${outcome.reason}`)
      return outcome
  }
})

/** `Duration` until `at` from now (zero when past). */
export const untilInstant = (at: Date) =>
  Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(Math.max(0, at.getTime() - now)))
