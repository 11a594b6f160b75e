/**
 * Notifications of warn and fail runs to a Slack-compatible incoming webhook: one POST of
 * `{"text": …}` (Slack's mrkdwn), within LOCALEX_CRON_WEBHOOK_TIMEOUT. A webhook that fails
 * or stalls is logged and counted; it never fails the run (the report is already stored).
 */
import type { Report } from "@localex/monitoring"
import { Duration, Effect, Option } from "effect"
import { CronConfig } from "./CronConfig.js"
import { Metrics } from "./Metrics.js"

const EMOJI = { pass: ":white_check_mark:", warn: ":warning:", fail: ":x:", skip: ":fast_forward:" } as const

/** The message: the verdict, each check that is not a pass, and where the report is. */
export const messageOf = (report: Report.ChecklistReport): string =>
  [
    `${EMOJI[report.status]} *LocalEx ${report.job} checklist: ${report.status.toUpperCase()}* (${report.location}, ${report.startedAt})`,
    ...report.checks
      .filter((c) => c.status === "warn" || c.status === "fail")
      .map((c) => `• ${EMOJI[c.status]} *${c.title}*: ${c.summary}${c.hint === undefined ? "" : ` — ${c.hint}`}`),
    `Report: \`${report.links.markdown}\``
  ].join("\n")

/** Sends the report's message when it is warn or fail and a webhook is configured; says what happened. */
export const notify = Effect.fn("Notify.notify")(function* (report: Report.ChecklistReport) {
  const config = yield* CronConfig
  const metrics = yield* Metrics
  if (report.status === "pass" || Option.isNone(config.webhookUrl)) return "not-needed" as const
  const url = config.webhookUrl.value
  const timeout = Duration.toMillis(config.webhookTimeout)
  const sent = yield* Effect.tryPromise({
    try: async (signal) => {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: messageOf(report) }),
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeout)])
      })
      await response.arrayBuffer()
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
    },
    catch: (error) => (error instanceof Error ? error.message : String(error))
  }).pipe(
    Effect.as("sent" as const),
    Effect.catch((reason) =>
      Effect.logWarning(`localex-cron: the webhook was not told of ${report.job} (${reason})`).pipe(
        Effect.as("failed" as const)
      )
    )
  )
  metrics.notifications.inc({ result: sent })
  return sent
})
