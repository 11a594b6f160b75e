/** CloudWatch metrics, error rates and alarms (monitoring's DailyCheck, S3Metrics and Alarms). */
import { Alarms, CloudWatch, DailyCheck, S3Metrics } from "@localex/monitoring"
import { Clock, Effect, Option } from "effect"
import { type Check, notConfigured, type Outcome, outcome } from "../Check.js"
import { CronConfig } from "../CronConfig.js"

const SETTING = "LOCALEX_CRON_CLOUDWATCH_BUCKET"
const DAY = 86_400_000

/** Runs `review` over the configured bucket with a CloudWatch client; skipped without a bucket. */
const withCloudWatch = <E>(
  what: string,
  review: (bucket: string) => Effect.Effect<Outcome, E, CloudWatch | CronConfig>
): Check["run"] =>
  Effect.gen(function* () {
    const config = yield* CronConfig
    if (Option.isNone(config.cloudwatchBucket)) return notConfigured(SETTING, what)
    return yield* review(config.cloudwatchBucket.value).pipe(Effect.provide(CloudWatch.layerConfig()))
  })

const lastDays = (days: number) =>
  Effect.map(Clock.currentTimeMillis, (now) => ({ since: new Date(now - days * DAY), until: new Date(now) }))

const fromResult = (result: DailyCheck.CheckResult): Outcome => outcome(result.status, result.summary, result.evidence)

/** Daily: storage usage from CloudWatch against the high-storage-usage threshold and the day before. */
export const metricsReview: Check = {
  id: "metrics.review",
  title: "Review metrics",
  run: withCloudWatch("the bucket's CloudWatch storage metrics", (bucket) =>
    Effect.gen(function* () {
      const storage = yield* S3Metrics.storage(bucket, yield* lastDays(3))
      return fromResult(DailyCheck.storageUsage(storage, { bucket }))
    })
  )
}

/** Daily: 4xx and 5xx rates of the last 24 hours (CloudWatch request metrics). */
export const errorRates: Check = {
  id: "errors.rate",
  title: "Check error rates",
  run: withCloudWatch("the bucket's CloudWatch request metrics", (bucket) =>
    Effect.gen(function* () {
      const requests = yield* S3Metrics.requests(bucket, yield* lastDays(1))
      return fromResult(DailyCheck.errorRates(requests, { bucket }))
    })
  )
}

/** Quarterly: the deployed alarms against the guide's; drift is a warning. */
export const alarms: Check = {
  id: "monitoring.alarms",
  title: "Review monitoring alerts",
  run: withCloudWatch("the CloudWatch alarms", (bucket) =>
    Effect.gen(function* () {
      const config = yield* CronConfig
      const plan = yield* Alarms.plan(Alarms.guideAlarms({ bucket, snsTopics: config.alarmTopics }))
      if (plan.empty) return outcome("pass", `the ${plan.unchanged.length} alarms match the guide's`, plan)
      return outcome(
        "warn",
        `alarm drift: ${Alarms.formatPlan(plan).join("; ")}`,
        plan,
        "review it with `localex-storage monitor alarms plan`, then `localex-storage monitor alarms apply`"
      )
    })
  )
}
