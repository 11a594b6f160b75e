/**
 * /v1/dashboard: what /dashboard draws, one call per package service — storage statistics
 * (cached like /v1/stats for LOCALEX_HTTP_STATS_TTL), stored statistics snapshots, the latest
 * checklist report of each job (`_localex/reports/{job}/latest.json`, written by apps/cron), the
 * cost estimate, the guide's alarms, the CDN's statistics. A source that is not configured or
 * fails becomes its panel's `not-configured` or `error` state; only the store failing fails the
 * request (nothing could be shown).
 */

import { Cdn } from "@localex/cdn"
import { CostConfig, Estimate } from "@localex/cost"
import { Alarms, CloudWatch, Report, Stats, StatsHistory } from "@localex/monitoring"
import { Keys, ObjectStore } from "@localex/storage-core"
import { Cache, Clock, Duration, Effect, Exit, Option, Stream } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import type { AlarmsPanel, BudgetPanel, CdnPanel, CostPanel, JobReport } from "../dashboardModel.js"
import { HttpConfig } from "../HttpConfig.js"
import { problems } from "../Problems.js"

/** A panel's source gets this long before the panel says it did not answer. */
const SOURCE_TIMEOUT = Duration.seconds(15)
const WEEK = 7 * 86_400_000

const failed = (error: unknown) => ({
  state: "error" as const,
  detail:
    error instanceof Error || (typeof error === "object" && error !== null && "message" in error)
      ? String((error as { message: unknown }).message)
      : String(error)
})

/** The panel, or its error state when the source fails or does not answer in time. */
const guarded = <A, E, R>(source: Effect.Effect<A, E, R>) =>
  source.pipe(
    Effect.timeoutOrElse({
      duration: SOURCE_TIMEOUT,
      orElse: () => Effect.succeed(failed(`no answer within ${Duration.format(SOURCE_TIMEOUT)}`))
    }),
    Effect.catch((error) => Effect.succeed(failed(error)))
  )

const costPanel = (stats: Stats.StorageStats): Effect.Effect<typeof CostPanel.Type> =>
  guarded(
    Effect.gen(function* () {
      const { model, prices, region } = yield* CostConfig.loadRegionPrices(yield* CostConfig.loadCostSettings())
      const estimate = Estimate.estimate(stats, model, prices, region)
      return {
        state: "ok" as const,
        region,
        prices: estimate.prices,
        metrics: estimate.metrics,
        assumptions: estimate.assumptions
      }
    })
  )

const budgetPanel = (limit: Option.Option<number>, cost: typeof CostPanel.Type): typeof BudgetPanel.Type => {
  if (Option.isNone(limit))
    return {
      state: "not-configured",
      setting: "LOCALEX_HTTP_MONTHLY_BUDGET_USD",
      detail: "no monthly budget set"
    }
  if (cost.state !== "ok") return failed(`no cost estimate to compare: ${"detail" in cost ? cost.detail : ""}`)
  return {
    state: "ok",
    limitUsd: limit.value,
    estimateUsd: cost.metrics.total,
    share: cost.metrics.total / limit.value
  }
}

/** The latest report of every job that has one (folders under `_localex/reports/`). */
const latestReports = (store: ObjectStore["Service"]) =>
  store.list({ prefix: Keys.prefixes.reports, delimiter: "/" }).pipe(
    Stream.filter((entry) => entry._tag === "Prefix"),
    Stream.map((entry) => (entry as { readonly prefix: string }).prefix.slice(Keys.prefixes.reports.length, -1)),
    Stream.runCollect,
    Effect.flatMap((jobs) =>
      Effect.forEach(
        jobs,
        (job) =>
          Report.latest(store, job).pipe(
            Effect.map(
              Option.map((report): typeof JobReport.Type => ({
                job,
                state: "ok",
                status: report.status,
                startedAt: report.startedAt,
                finishedAt: report.finishedAt,
                trigger: report.trigger,
                counts: report.counts,
                checks: report.checks.map(({ id, title, status, summary, hint }) =>
                  hint === undefined ? { id, title, status, summary } : { id, title, status, summary, hint }
                ),
                markdown: report.links.markdown
              }))
            ),
            Effect.catchTag("ReportUnreadable", (error) =>
              Effect.succeed(Option.some<typeof JobReport.Type>({ job, state: "error", detail: error.message }))
            )
          ),
        { concurrency: 4 }
      )
    ),
    Effect.map((found) => found.flatMap((report) => (Option.isSome(report) ? [report.value] : [])))
  )

export const DashboardHandlers = HttpApiBuilder.group(
  Api,
  "dashboard",
  Effect.fn(function* (handlers) {
    const statistics = yield* Stats.StorageStatistics
    const store = yield* ObjectStore
    const cdn = yield* Cdn
    const config = yield* HttpConfig
    const cache = yield* Cache.makeWith((_: "stats") => statistics.collect({ depth: 1 }), {
      capacity: 1,
      timeToLive: (exit) => (Exit.isSuccess(exit) ? config.statsTtl : 0)
    })
    // One CloudWatch client for the app's life, made on first use (only when a bucket is set).
    const cloudWatch = yield* Effect.cached(
      Effect.provide(
        Effect.gen(function* () {
          return yield* CloudWatch
        }),
        CloudWatch.layerConfig()
      )
    )

    const alarmsPanel: Effect.Effect<typeof AlarmsPanel.Type> = Option.match(config.cloudwatchBucket, {
      onNone: () =>
        Effect.succeed({
          state: "not-configured" as const,
          setting: "LOCALEX_HTTP_CLOUDWATCH_BUCKET",
          detail: "no bucket whose CloudWatch alarms to show"
        }),
      onSome: (bucket) =>
        guarded(
          Effect.gen(function* () {
            const names = Alarms.guideAlarms({ bucket }).map((spec) => spec.name)
            const found = yield* (yield* cloudWatch).describeAlarms(names)
            return {
              state: "ok" as const,
              bucket,
              alarms: names.map((name) => {
                const alarm = found.find((a) => a.AlarmName === name)
                return {
                  name,
                  state: alarm?.StateValue ?? "MISSING",
                  reason: alarm?.StateReason ?? null,
                  updatedAt: alarm?.StateUpdatedTimestamp?.toISOString() ?? null
                }
              })
            }
          })
        )
    })

    const cdnPanel = (now: number): Effect.Effect<typeof CdnPanel.Type> =>
      guarded(
        cdn.stats({ since: new Date(now - WEEK), until: new Date(now) }).pipe(
          Effect.map(({ stats }) => ({
            state: "ok" as const,
            distributionId: stats.distributionId,
            since: stats.since,
            until: stats.until,
            requests: stats.requests,
            cacheHitRate: stats.cacheHitRate ?? null
          })),
          Effect.catchTag("CdnNotConfigured", (error) =>
            Effect.succeed({
              state: "not-configured" as const,
              setting: error.setting,
              detail: "no CloudFront distribution to ask (local mode)"
            })
          )
        )
      )

    return handlers.handle("dashboard", ({ query }) =>
      problems(
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const [storage, history, reports] = yield* Effect.all(
            [
              query.refresh === "true" ? Cache.refresh(cache, "stats") : Cache.get(cache, "stats"),
              StatsHistory.read(store),
              latestReports(store)
            ],
            { concurrency: "unbounded" }
          )
          const [cost, alarms, cdnStats] = yield* Effect.all([costPanel(storage), alarmsPanel, cdnPanel(now)], {
            concurrency: "unbounded"
          })
          return {
            generatedAt: new Date(now).toISOString(),
            storage,
            history,
            reports,
            cost,
            budget: budgetPanel(config.monthlyBudgetUsd, cost),
            alarms,
            cdn: cdnStats
          }
        })
      )
    )
  })
)
