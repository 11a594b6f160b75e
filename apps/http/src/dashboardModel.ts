/**
 * The document `GET /v1/dashboard` answers with: one panel per data source. A source that is not
 * set up here (no CloudWatch bucket, no CloudFront distribution, no budget) is a
 * `not-configured` panel naming the setting; one that fails is an `error` panel. Neither is ever
 * shown as numbers.
 */
import { Report, Stats, StatsHistory } from "@localex/monitoring"
import { Schema } from "effect"

const NotConfigured = Schema.Struct({
  state: Schema.Literal("not-configured"),
  setting: Schema.String.annotate({ description: "The setting that turns this panel on" }),
  detail: Schema.String
})
const Failed = Schema.Struct({ state: Schema.Literal("error"), detail: Schema.String })

/** `ok` with the panel's fields, or why there are none. */
const panel = <F extends Schema.Struct.Fields>(identifier: string, fields: F) =>
  Schema.Union([Schema.Struct({ state: Schema.Literal("ok"), ...fields }), NotConfigured, Failed]).annotate({
    identifier
  })

const Usd = Schema.Number.annotate({ description: "US dollars a month" })

export const CostPanel = panel("DashboardCost", {
  region: Schema.String,
  prices: Schema.Struct({ effectiveDate: Schema.String, source: Schema.String }),
  metrics: Schema.Struct({
    storage: Usd,
    requests: Usd,
    dataTransfer: Usd,
    cdn: Usd,
    total: Usd
  }),
  assumptions: Schema.Array(Schema.String)
})

export const BudgetPanel = panel("DashboardBudget", {
  limitUsd: Usd,
  estimateUsd: Usd,
  share: Schema.Number.annotate({ description: "estimateUsd / limitUsd" })
})

export const AlarmsPanel = panel("DashboardAlarms", {
  bucket: Schema.String,
  alarms: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      state: Schema.String.annotate({ description: "OK, ALARM, INSUFFICIENT_DATA, or MISSING (not deployed)" }),
      reason: Schema.NullOr(Schema.String),
      updatedAt: Schema.NullOr(Schema.String)
    })
  )
})

export const CdnPanel = panel("DashboardCdn", {
  distributionId: Schema.String,
  since: Schema.String,
  until: Schema.String,
  requests: Schema.Number,
  cacheHitRate: Schema.NullOr(Schema.Number).annotate({ description: "Percent; null when CloudFront has no data" })
})

export const JobReport = Schema.Union([
  Schema.Struct({
    job: Schema.String,
    state: Schema.Literal("ok"),
    status: Report.ReportStatus,
    startedAt: Schema.String,
    finishedAt: Schema.String,
    trigger: Schema.String,
    counts: Report.ChecklistReport.fields.counts,
    checks: Schema.Array(
      Schema.Struct({
        id: Schema.String,
        title: Schema.String,
        status: Report.CheckStatus,
        summary: Schema.String,
        hint: Schema.optionalKey(Schema.String)
      })
    ),
    markdown: Schema.String.annotate({ description: "The key of the report's Markdown copy" })
  }),
  Schema.Struct({ job: Schema.String, state: Schema.Literal("error"), detail: Schema.String })
]).annotate({ identifier: "DashboardJobReport" })

export const Dashboard = Schema.Struct({
  generatedAt: Schema.String,
  storage: Stats.StorageStats,
  history: Schema.Struct({
    snapshots: Schema.Array(StatsHistory.StatsSnapshot),
    skipped: Schema.Array(Schema.Struct({ key: Schema.String, reason: Schema.String }))
  }),
  reports: Schema.Array(JobReport).annotate({ description: "The latest checklist report of each job, by job name" }),
  cost: CostPanel,
  budget: BudgetPanel,
  alarms: AlarmsPanel,
  cdn: CdnPanel
}).annotate({ identifier: "Dashboard" })
export type Dashboard = typeof Dashboard.Type
