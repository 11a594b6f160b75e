/**
 * Cron expressions with a time zone (croner): the next run after an instant, the last slot
 * before one, and what the missed-run policy makes of downtime. Pure: instants come from the
 * caller (the Clock), so tests drive them with TestClock.
 */
import { Cron } from "croner"
import { Effect, Schema } from "effect"

/** A schedule that croner cannot read (bad expression or time zone). */
export class InvalidSchedule extends Schema.TaggedError<InvalidSchedule>()("InvalidSchedule", {
  job: Schema.String,
  cron: Schema.String,
  timezone: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `The schedule of ${this.job} ("${this.cron}" in ${this.timezone}) is invalid: ${this.reason}; set LOCALEX_CRON_SCHEDULE_${this.job.toUpperCase()} to a cron expression such as "0 6 * * *"`
  }
}

export interface Schedule {
  readonly job: string
  readonly cron: string
  readonly timezone: string
  /** The first slot strictly after `after`; undefined when the expression never fires again. */
  readonly next: (after: Date) => Date | undefined
  /** The last slot at or before `at`. */
  readonly previous: (at: Date) => Date | undefined
}

export const make = (job: string, cron: string, timezone: string): Effect.Effect<Schedule, InvalidSchedule> =>
  Effect.try({
    try: () => {
      const pattern = new Cron(cron, { timezone, paused: true })
      // croner checks the time zone only when it computes a date.
      pattern.nextRun(new Date(0))
      const schedule: Schedule = {
        job,
        cron,
        timezone,
        next: (after) => pattern.nextRun(after) ?? undefined,
        previous: (at) => {
          // croner's previous runs are strictly before the reference: a slot exactly at `at` counts too.
          if (pattern.match(at) && at.getMilliseconds() === 0) return at
          return pattern.previousRuns(1, at)[0]
        }
      }
      return schedule
    },
    catch: (error) =>
      new InvalidSchedule({ job, cron, timezone, reason: error instanceof Error ? error.message : String(error) })
  })

/**
 * What to run now for a job after a (re)start, given its last run: the slot that was missed
 * during downtime when the policy is `run-once` (one catch-up run, however many slots were
 * missed), else nothing. A job that never ran has missed nothing: its schedule starts now.
 */
export const missedSlot = (
  schedule: Schedule,
  lastRunAt: Date | undefined,
  now: Date,
  policy: "run-once" | "skip"
): Date | undefined => {
  if (policy === "skip" || lastRunAt === undefined) return undefined
  const slot = schedule.previous(now)
  return slot !== undefined && slot > lastRunAt ? slot : undefined
}
