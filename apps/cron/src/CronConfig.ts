/**
 * The cron app's settings, read from the environment in this one place (storage settings are
 * storage-core's: LOCALEX_STORAGE_*, AWS_*; the image pipeline's are IMAGE_*).
 *
 * | variable                          | default                 | meaning                                          |
 * | --------------------------------- | ----------------------- | ------------------------------------------------ |
 * | LOCALEX_CRON_TIMEZONE             | UTC                     | time zone of every schedule (IANA name)          |
 * | LOCALEX_CRON_SCHEDULE_<JOB>       | see Jobs.ts             | cron expression of DAILY, WEEKLY, MONTHLY, QUARTERLY (5 fields, or 6 with seconds) |
 * | LOCALEX_CRON_TIMEZONE_<JOB>       | LOCALEX_CRON_TIMEZONE   | one job's own time zone                          |
 * | LOCALEX_CRON_MISSED               | run-once                | after downtime: `run-once` (catch up once) or `skip` |
 * | LOCALEX_CRON_LEASE_TTL            | 5m                      | a job's lease lasts this long without renewal    |
 * | LOCALEX_CRON_RETRIES              | 3                       | retries of a check that fails transiently        |
 * | LOCALEX_CRON_RETRY_DELAY          | 2s                      | first retry delay (doubles each time)            |
 * | LOCALEX_CRON_WEBHOOK_URL          | (none)                  | Slack-compatible webhook told of warn and fail   |
 * | LOCALEX_CRON_WEBHOOK_TIMEOUT      | 10s                     | deadline of one webhook call                     |
 * | LOCALEX_CRON_HOST / _PORT         | 127.0.0.1 / 9464        | where /metrics and /health listen (0: any port)  |
 * | LOCALEX_CRON_RUNNER_ID            | host-pid                | this runner's name in leases and reports         |
 * | LOCALEX_CRON_SHUTDOWN_TIMEOUT     | 30s                     | SIGTERM lets a running job finish this long      |
 * | LOCALEX_CRON_QUOTA_FILE           | (none: check skipped)   | quota policy (JSON, monitoring's QuotaPolicy)    |
 * | LOCALEX_CRON_LIFECYCLE_POLICY     | (the guide's policy)    | lifecycle policy file the drift check compares   |
 * | LOCALEX_CRON_CLEANUP              | plan                    | weekly expired clean-up: `plan` (dry run) or `delete` |
 * | LOCALEX_CRON_CDN_BASE_URL         | (none: line skipped)    | the CDN the performance review fetches through   |
 * | LOCALEX_CRON_PERF_SAMPLES         | 5                       | samples per performance line                     |
 * | LOCALEX_CRON_CLOUDWATCH_BUCKET    | (none: checks skipped)  | bucket whose CloudWatch metrics and alarms are reviewed (region, credentials: AWS_*) |
 * | LOCALEX_CRON_ALARM_SNS_TOPICS     | (none)                  | SNS topic ARNs (comma-separated) the guide's alarms should notify |
 * | LOCALEX_CRON_BACKUP_DESTINATION   | (none: checks skipped)  | the backup location (folder or s3://bucket/prefix) of this store |
 *
 * Durations are seconds or a duration string (`30s`, `5m`).
 */
import { hostname } from "node:os"
import { Units } from "@localex/storage-core"
import { Config, Context, Duration, Effect, Layer, Option, Schema } from "effect"

export type MissedPolicy = "run-once" | "skip"
export type CleanupMode = "plan" | "delete"

export interface CronSettings {
  readonly timezone: string
  /** Per job (lower-case name): an override of its schedule and time zone. */
  readonly schedules: Readonly<Record<string, { readonly cron?: string; readonly timezone?: string }>>
  readonly missed: MissedPolicy
  readonly leaseTtl: Duration.Duration
  readonly retries: number
  readonly retryDelay: Duration.Duration
  readonly webhookUrl: Option.Option<string>
  readonly webhookTimeout: Duration.Duration
  readonly host: string
  readonly port: number
  readonly runnerId: string
  readonly shutdownTimeout: Duration.Duration
  readonly quotaFile: Option.Option<string>
  readonly lifecyclePolicy: Option.Option<string>
  readonly cleanup: CleanupMode
  readonly cdnBaseUrl: Option.Option<string>
  readonly perfSamples: number
  readonly cloudwatchBucket: Option.Option<string>
  readonly alarmTopics: ReadonlyArray<string>
  readonly backupDestination: Option.Option<string>
}

/** A duration as written: parsed (and refused when it is not one) by `check`. */
const duration = (name: string, fallback: string) =>
  Config.String(name).pipe(
    Config.withDefault(fallback),
    Config.map((text) => ({ name, text }))
  )

/** Seconds (`30`), the project's short form (`30s`, `5m`, `2h`), or Effect's (`5 minutes`). */
const parseDuration = ({ name, text }: { readonly name: string; readonly text: string }) => {
  const ms = Units.parseDuration(text)
  const parsed = ms !== undefined ? Option.some(Duration.millis(ms)) : Duration.fromInput(text as Duration.Input)
  return Option.match(parsed, {
    onNone: () =>
      Effect.fail(new CronConfigError({ setting: name, reason: `"${text}" is not a duration (use 30s, 5m, 2h)` })),
    onSome: Effect.succeed
  })
}

const JOBS = ["daily", "weekly", "monthly", "quarterly"] as const

const schedules = Config.all(
  Object.fromEntries(
    JOBS.map((job) => [
      job,
      Config.all({
        cron: Config.option(Config.String(`LOCALEX_CRON_SCHEDULE_${job.toUpperCase()}`)),
        timezone: Config.option(Config.String(`LOCALEX_CRON_TIMEZONE_${job.toUpperCase()}`))
      })
    ])
  )
)

const settings = Config.all({
  timezone: Config.String("LOCALEX_CRON_TIMEZONE").pipe(Config.withDefault("UTC")),
  schedules,
  missed: Config.Literals(["run-once", "skip"], "LOCALEX_CRON_MISSED").pipe(Config.withDefault("run-once" as const)),
  leaseTtl: duration("LOCALEX_CRON_LEASE_TTL", "5m"),
  retries: Config.Int("LOCALEX_CRON_RETRIES").pipe(Config.withDefault(3)),
  retryDelay: duration("LOCALEX_CRON_RETRY_DELAY", "2s"),
  webhookUrl: Config.option(Config.String("LOCALEX_CRON_WEBHOOK_URL")),
  webhookTimeout: duration("LOCALEX_CRON_WEBHOOK_TIMEOUT", "10s"),
  host: Config.String("LOCALEX_CRON_HOST").pipe(Config.withDefault("127.0.0.1")),
  port: Config.Int("LOCALEX_CRON_PORT").pipe(Config.withDefault(9464)),
  runnerId: Config.String("LOCALEX_CRON_RUNNER_ID").pipe(Config.withDefault(`${hostname()}-${process.pid}`)),
  shutdownTimeout: duration("LOCALEX_CRON_SHUTDOWN_TIMEOUT", "30s"),
  quotaFile: Config.option(Config.String("LOCALEX_CRON_QUOTA_FILE")),
  lifecyclePolicy: Config.option(Config.String("LOCALEX_CRON_LIFECYCLE_POLICY")),
  cleanup: Config.Literals(["plan", "delete"], "LOCALEX_CRON_CLEANUP").pipe(Config.withDefault("plan" as const)),
  cdnBaseUrl: Config.option(Config.String("LOCALEX_CRON_CDN_BASE_URL")),
  perfSamples: Config.Int("LOCALEX_CRON_PERF_SAMPLES").pipe(Config.withDefault(5)),
  cloudwatchBucket: Config.option(Config.String("LOCALEX_CRON_CLOUDWATCH_BUCKET")),
  alarmTopics: Config.String("LOCALEX_CRON_ALARM_SNS_TOPICS").pipe(
    Config.withDefault(""),
    Config.map((text) =>
      text
        .split(",")
        .map((topic) => topic.trim())
        .filter((topic) => topic !== "")
    )
  ),
  backupDestination: Config.option(Config.String("LOCALEX_CRON_BACKUP_DESTINATION"))
})

/** A setting that cannot work. */
export class CronConfigError extends Schema.TaggedError<CronConfigError>()("CronConfigError", {
  setting: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Invalid setting ${this.setting}: ${this.reason}`
  }
}

const check = (s: typeof settings extends Config.Config<infer A> ? A : never) =>
  Effect.gen(function* () {
    if (s.port < 0 || s.port > 65535)
      return yield* new CronConfigError({ setting: "LOCALEX_CRON_PORT", reason: `must be 0–65535, not ${s.port}` })
    if (s.retries < 0)
      return yield* new CronConfigError({ setting: "LOCALEX_CRON_RETRIES", reason: `must be ≥ 0, not ${s.retries}` })
    if (s.perfSamples < 1)
      return yield* new CronConfigError({ setting: "LOCALEX_CRON_PERF_SAMPLES", reason: "must be ≥ 1" })
    const leaseTtl = yield* parseDuration(s.leaseTtl)
    const retryDelay = yield* parseDuration(s.retryDelay)
    const webhookTimeout = yield* parseDuration(s.webhookTimeout)
    const shutdownTimeout = yield* parseDuration(s.shutdownTimeout)
    if (Duration.toMillis(leaseTtl) < 1000)
      return yield* new CronConfigError({ setting: "LOCALEX_CRON_LEASE_TTL", reason: "must be at least 1 second" })
    const value: CronSettings = {
      ...s,
      leaseTtl,
      retryDelay,
      webhookTimeout,
      shutdownTimeout,
      schedules: Object.fromEntries(
        Object.entries(s.schedules).map(([job, o]) => [
          job,
          {
            ...Option.match(o.cron, { onNone: () => ({}), onSome: (cron) => ({ cron }) }),
            ...Option.match(o.timezone, { onNone: () => ({}), onSome: (timezone) => ({ timezone }) })
          }
        ])
      )
    }
    return value
  })

export class CronConfig extends Context.Service<CronConfig, CronSettings>()("@localex/cron/CronConfig") {
  static readonly layer = Layer.effect(
    CronConfig,
    settings.pipe(
      Effect.mapError((error) => new CronConfigError({ setting: "environment", reason: error.message })),
      Effect.flatMap(check)
    )
  )
}
