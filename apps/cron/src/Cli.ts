/**
 * `localex-cron list | run JOB [--json] | start`: the checklist jobs from the command line.
 *
 * | exit | meaning                                                                  |
 * | ---- | ------------------------------------------------------------------------ |
 * | 0    | done (`run`: the report is pass or warn)                                 |
 * | 1    | `run`: the report is fail; or the command itself failed (store, config)  |
 * | 3    | `run`: another runner holds the job's lease, or this one lost it         |
 */
import { createRequire } from "node:module"
import { Report } from "@localex/monitoring"
import { type BucketAdmin, ObjectStore, Storage } from "@localex/storage-core"
import { Clock, Console, Effect, Layer, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { CronConfig } from "./CronConfig.js"
import { findJob, JOB_NAMES, JOBS } from "./Jobs.js"
import { Metrics } from "./Metrics.js"
import { type RunOutcome, runJob } from "./Runner.js"
import { runAll, scheduleOf } from "./Scheduler.js"
import { serve } from "./Server.js"

export const NAME = "localex-cron"
export const VERSION: string = createRequire(import.meta.url)("../package.json").version

/** What every command runs with: settings, metrics, and the store the environment names. */
export const services: Layer.Layer<CronConfig | Metrics | ObjectStore | BucketAdmin, unknown> = Layer.mergeAll(
  CronConfig.layer,
  Metrics.layer,
  Storage.layerConfig()
)

const json = Flag.Boolean("json").pipe(Flag.withDescription("Print one JSON document"), Flag.withDefault(false))

const setExitCode = (code: number) =>
  Effect.sync(() => {
    process.exitCode = code
  })

const list = Command.make(
  "list",
  { json },
  Effect.fn("list")(function* (input) {
    const store = yield* ObjectStore
    const now = new Date(yield* Clock.currentTimeMillis)
    const rows = yield* Effect.forEach(JOBS, (job) =>
      Effect.gen(function* () {
        const schedule = yield* scheduleOf(job)
        const last = yield* Report.latest(store, job.name)
        return {
          job: job.name,
          schedule: schedule.cron,
          timezone: schedule.timezone,
          nextRun: schedule.next(now)?.toISOString() ?? null,
          checks: job.checks.map((c) => c.id),
          last: Option.match(last, {
            onNone: () => null,
            onSome: (r) => ({ status: r.status, startedAt: r.startedAt, runner: r.runner, report: r.links.markdown })
          })
        }
      })
    )
    if (input.json) return yield* Console.log(JSON.stringify({ jobs: rows }, null, 2))
    for (const row of rows) {
      const last = row.last === null ? "never run" : `${row.last.status} at ${row.last.startedAt} (${row.last.runner})`
      yield* Console.log(
        `${row.job.padEnd(10)} ${`${row.schedule} ${row.timezone}`.padEnd(30)} next ${row.nextRun ?? "never"}   last: ${last}`
      )
    }
  })
).pipe(Command.withDescription("The jobs: schedule and time zone, next run, last result"))

const describeOutcome = (outcome: RunOutcome): ReadonlyArray<string> => {
  switch (outcome._tag) {
    case "Completed": {
      const r = outcome.report
      return [
        `${r.job}: ${r.status.toUpperCase()} (${r.counts.pass} pass, ${r.counts.warn} warn, ${r.counts.fail} fail, ${r.counts.skip} skipped) in ${(r.durationMs / 1000).toFixed(1)} s`,
        ...r.checks.map((c) => `  ${c.status.padEnd(4)}  ${c.title}: ${c.summary}`),
        `report: ${r.links.markdown}`
      ]
    }
    case "Held":
      return [`another runner (${outcome.holder}) holds the lease until ${outcome.expiresAt}: not run here`]
    case "AlreadyRan":
      return [`already ran (run ${outcome.runId} on ${outcome.runner})`]
    case "Lost":
      return [`stopped: ${outcome.reason}`]
  }
}

const run = Command.make(
  "run",
  { job: Argument.Literals("job", JOB_NAMES).pipe(Argument.withDescription("The checklist to run now")), json },
  Effect.fn("run")(function* (input) {
    const job = findJob(input.job)
    if (job === undefined) return
    const outcome = yield* runJob(job, { trigger: "manual" })
    if (input.json) {
      yield* Console.log(
        JSON.stringify(
          outcome._tag === "Completed" ? { ...outcome.report, notified: outcome.notified } : outcome,
          null,
          2
        )
      )
    } else {
      for (const line of describeOutcome(outcome)) yield* Console.log(line)
    }
    yield* setExitCode(outcome._tag === "Completed" ? (outcome.report.status === "fail" ? 1 : 0) : 3)
  })
).pipe(Command.withDescription("Run one checklist now and print its report"))

const start = Command.make(
  "start",
  {},
  Effect.fn("start")(function* () {
    const config = yield* CronConfig
    const url = yield* serve
    const store = yield* ObjectStore
    yield* Console.log(
      `${NAME}: runner ${config.runnerId} on ${store.location}, listening on ${url} (/metrics, /health); jobs: ${JOBS.map((j) => j.name).join(", ")}`
    )
    yield* runAll
  }, Effect.scoped)
).pipe(Command.withDescription("Run the jobs on their schedules until SIGTERM/SIGINT; serve /metrics and /health"))

export const cli = Command.make(NAME).pipe(
  Command.withDescription(
    "LocalEx Storage's maintenance checklists (daily, weekly, monthly, quarterly) as scheduled jobs, one runner at a time per job"
  ),
  Command.withSubcommands([list, run, start])
)

export const main = (argv: ReadonlyArray<string>) =>
  Command.runWith(cli, { version: VERSION })(argv).pipe(Effect.provide(services))
