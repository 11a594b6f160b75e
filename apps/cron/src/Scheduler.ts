/**
 * The runner's loop: each job waits for its next slot (croner, in its time zone, by the Clock),
 * then runs it. After a (re)start, a slot missed during downtime runs once (LOCALEX_CRON_MISSED=
 * run-once) or not (skip). When another runner holds the job's lease, this one waits for that
 * lease to end and tries again — if the holder crashed, its lease expires and this runner takes
 * the slot over; if it finished, the slot is done. On shutdown a running job gets
 * LOCALEX_CRON_SHUTDOWN_TIMEOUT to finish; then it is interrupted and hands its lease back.
 */
import { Report } from "@localex/monitoring"
import { ObjectStore } from "@localex/storage-core"
import { Cause, Clock, Duration, Effect, Fiber, Option } from "effect"
import { CronConfig } from "./CronConfig.js"
import { JOBS, type Job } from "./Jobs.js"
import { Metrics } from "./Metrics.js"
import { runJob, untilInstant } from "./Runner.js"
import * as Schedules from "./Schedules.js"

/** The schedule of `job` after the environment's overrides. */
export const scheduleOf = (job: Job) =>
  Effect.gen(function* () {
    const config = yield* CronConfig
    const override = config.schedules[job.name] ?? {}
    return yield* Schedules.make(job.name, override.cron ?? job.defaultSchedule, override.timezone ?? config.timezone)
  })

/** Runs the slot until it is done here or elsewhere, or until the next slot is due. */
export const runSlot = (job: Job, schedule: Schedules.Schedule, slot: Date, trigger: "schedule" | "missed") =>
  Effect.gen(function* () {
    const config = yield* CronConfig
    const giveUpAt = schedule.next(slot)
    for (;;) {
      const outcome = yield* runJob(job, { trigger, slot })
      if (outcome._tag !== "Held") return outcome
      // Look again when the holder's lease ends (it finished, or crashed and its lease expired),
      // or sooner: a holder that finishes hands its lease back at once.
      const expiresAt = Date.parse(outcome.expiresAt)
      if (giveUpAt !== undefined && expiresAt >= giveUpAt.getTime()) return outcome
      const untilExpiry = Duration.sum(yield* untilInstant(new Date(expiresAt)), Duration.millis(100))
      const poll = Duration.millis(Math.max(1000, Duration.toMillis(config.leaseTtl) / 4))
      yield* Effect.sleep(Duration.min(untilExpiry, poll))
    }
  })

/** Lets a running slot finish within the shutdown timeout when the loop is interrupted. */
const finishOnShutdown = <A, E, R>(work: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const config = yield* CronConfig
    const fiber = yield* Effect.forkDetach(work)
    return yield* Fiber.join(fiber).pipe(
      Effect.onInterrupt(() =>
        Fiber.join(fiber).pipe(
          Effect.timeout(config.shutdownTimeout),
          Effect.ignore,
          Effect.andThen(Fiber.interrupt(fiber))
        )
      )
    )
  })

/**
 * A slot that fails outside its checks (the store unreachable for the lease or the report) is
 * logged and counted; the loop goes on to the next slot rather than stopping the runner.
 */
const survive = <A, E, R>(job: Job, slot: Effect.Effect<A, E, R>) =>
  slot.pipe(
    Effect.asVoid,
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause)
        ? Effect.failCause(cause)
        : Effect.gen(function* () {
            const metrics = yield* Metrics
            metrics.runs.inc({ job: job.name, result: "error" })
            yield* Effect.logError(`localex-cron: ${job.name} could not run: ${Cause.pretty(cause)}`)
          })
    )
  )

/** One job's loop, forever. */
export const loop = (job: Job) =>
  Effect.gen(function* () {
    const config = yield* CronConfig
    const store = yield* ObjectStore
    const schedule = yield* scheduleOf(job)
    const now = new Date(yield* Clock.currentTimeMillis)
    const last = yield* Report.latest(store, job.name).pipe(
      Effect.catchTag("ReportUnreadable", () => Effect.succeed(Option.none()))
    )
    const lastRunAt = Option.map(last, (r) => new Date(r.scheduledFor ?? r.startedAt))
    const missed = Schedules.missedSlot(schedule, Option.getOrUndefined(lastRunAt), now, config.missed)
    if (missed !== undefined) yield* survive(job, finishOnShutdown(runSlot(job, schedule, missed, "missed")))
    for (;;) {
      const next = schedule.next(new Date(yield* Clock.currentTimeMillis))
      if (next === undefined) return
      yield* Effect.sleep(yield* untilInstant(next))
      yield* survive(job, finishOnShutdown(runSlot(job, schedule, next, "schedule")))
    }
  })

/** Every job's loop, concurrently, until interrupted. */
export const runAll = Effect.forEach(JOBS, loop, { concurrency: "unbounded", discard: true })
