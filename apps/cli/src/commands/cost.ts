/**
 * `localex-storage cost estimate | whatif | report | budget plan|apply | advice`: the operations
 * guide's cost management over @localex/cost (prices, estimates, what-if, Cost Explorer,
 * budgets as code, savings advice). Each subcommand builds only the services it needs, so
 * `cost estimate` never contacts AWS and `cost budget` never lists the bucket.
 */

import {
  Advice,
  Budget,
  Cleanup,
  CostConfig,
  CostExplorer,
  CostReports,
  Estimate,
  Orphans,
  ReferenceSource,
  WhatIf
} from "@localex/cost"
import { Stats } from "@localex/monitoring"
import { Units } from "@localex/storage-core"
import { Clock, Effect, Layer, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { UsageError } from "../failure.js"
import type { GlobalOptions } from "../GlobalFlags.js"
import { Output } from "../Output.js"
import { NAME, root } from "../root.js"
import { storeLayer } from "../services.js"
import * as View from "../views/cost.js"
import { intFlag, optionalString, repeated } from "./flags.js"
import { summaries } from "./summaries.js"

/** The cost settings (LOCALEX_COST_*), the --region flag first; a bad one is a usage error. */
const settingsOf = (options: GlobalOptions) =>
  CostConfig.loadCostSettings(Option.isSome(options.region) ? { region: options.region.value } : {}).pipe(
    Effect.mapError((error) => new UsageError({ reason: error.message }))
  )

const awsOverrides = (options: GlobalOptions) => ({
  ...(Option.isSome(options.region) ? { region: options.region.value } : {}),
  ...(Option.isSome(options.profile) ? { profile: options.profile.value } : {})
})

/** Provides `Output` and what `services(options)` builds from the global flags. */
const withLayer =
  <ROut, E>(services: (options: GlobalOptions) => Layer.Layer<ROut, E>) =>
  <const Name extends string, Input, ContextInput, E2, R>(command: Command.Command<Name, Input, ContextInput, E2, R>) =>
    Command.provide(
      command,
      Layer.unwrap(Effect.map(root, (options) => Layer.merge(Output.layer(options), services(options))))
    )

const statistics = (options: GlobalOptions) => Stats.layer.pipe(Layer.provideMerge(storeLayer(options)))

const regionPrices = Effect.fn("cost.prices")(function* (options: GlobalOptions) {
  return yield* CostConfig.loadRegionPrices(yield* settingsOf(options))
})

const traffic = (path: Option.Option<string>) =>
  Option.match(path, {
    onNone: () => Effect.succeed<Estimate.RequestVolumes>({}),
    onSome: Estimate.loadTrafficFile
  })

const trafficFlag = optionalString(
  "traffic",
  "A month of traffic, JSON: putRequests, getRequests, dataTransferOutBytes, cdnBytesOut, cdnRequests, cdnHits, cdnHttpsShare",
  "file"
)

const estimate = Command.make(
  "estimate",
  {
    traffic: trafficFlag,
    prefix: optionalString("prefix", "Only keys under this prefix (default: the whole bucket)", "prefix")
  },
  Effect.fn("cost.estimate")(function* (input) {
    const options = yield* root
    const { model, prices, region } = yield* regionPrices(options)
    const volumes = yield* traffic(input.traffic)
    const stats = yield* (yield* Stats.StorageStatistics).collect(
      Option.isSome(input.prefix) ? { prefix: input.prefix.value } : {}
    )
    yield* (yield* Output).print(View.estimate(Estimate.estimate(stats, model, prices, region, volumes)))
  })
).pipe(
  Command.withDescription(
    "Monthly cost of the bucket: storage (from its statistics), requests, data transfer and CDN (from --traffic), at the price model's prices"
  ),
  Command.withExamples([
    { command: `${NAME} cost estimate`, description: "Storage only" },
    { command: `${NAME} --json cost estimate --traffic traffic.json`, description: "With a month of traffic" }
  ]),
  withLayer(statistics)
)

const STORAGE_CLASSES = [
  "GLACIER",
  "DEEP_ARCHIVE",
  "GLACIER_IR",
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING"
] as const

const whatif = Command.make(
  "whatif",
  {
    glacierAfter: intFlag("glacier-after", "Days after which a lifecycle rule would move objects", 0).pipe(
      Flag.optional
    ),
    storageClass: Flag.Literals("storage-class", STORAGE_CLASSES).pipe(
      Flag.withDescription("Where the rule moves them (default GLACIER, Glacier Flexible Retrieval)"),
      Flag.withDefault("GLACIER" as const)
    ),
    expireAfter: intFlag("expire-after", "Days after which the same objects expire (minimum-duration charges)", 1).pipe(
      Flag.optional
    ),
    tiering: Flag.Boolean("tiering").pipe(
      Flag.withDescription("Also the saving of moving objects of 128 KiB and more to Intelligent-Tiering"),
      Flag.withDefault(false)
    ),
    prefix: optionalString("prefix", "Only keys under this prefix (default: the whole bucket)", "prefix")
  },
  Effect.fn("cost.whatif")(function* (input) {
    if (Option.isNone(input.glacierAfter) && !input.tiering)
      return yield* new UsageError({ reason: "give --glacier-after DAYS, --tiering, or both" })
    const { prices } = yield* regionPrices(yield* root)
    const stats = yield* (yield* Stats.StorageStatistics).collect(
      Option.isSome(input.prefix) ? { prefix: input.prefix.value } : {}
    )
    const results = [
      ...Option.match(input.glacierAfter, {
        onNone: () => [],
        onSome: (afterDays) => [
          WhatIf.lifecycleWhatIf(stats, prices, {
            afterDays,
            storageClass: input.storageClass,
            ...(Option.isSome(input.expireAfter) ? { expireAfterDays: input.expireAfter.value } : {})
          })
        ]
      }),
      ...(input.tiering ? [WhatIf.tieringWhatIf(stats, prices)] : [])
    ]
    yield* (yield* Output).print(View.whatIf(results))
  })
).pipe(
  Command.withDescription(
    "What a lifecycle rule (or intelligent tiering) would save a month, from the age histogram, net of transitions and minimum-duration charges"
  ),
  Command.withExamples([
    { command: `${NAME} cost whatif --glacier-after 365`, description: "The guide's archive rule" },
    { command: `${NAME} cost whatif --glacier-after 1 --expire-after 30`, description: "Minimum durations at work" },
    { command: `${NAME} cost whatif --tiering`, description: "Intelligent-Tiering instead" }
  ]),
  withLayer(statistics)
)

/** A time flag: an ISO time, or a duration back from now ("7d"). */
const timeFlag = (name: string, description: string) =>
  optionalString(name, `${description}: an ISO date or time, or a duration back from now (7d, 24h)`, "time")

const parseTime = (flag: string, value: Option.Option<string>, now: Date) =>
  Option.match(value, {
    onNone: () => Effect.succeed(undefined),
    onSome: (text) => {
      const time = Units.parseTime(text, now)
      return time === undefined
        ? Effect.fail(
            new UsageError({ reason: `--${flag} ${JSON.stringify(text)} is neither an ISO time nor a duration (7d)` })
          )
        : Effect.succeed(time)
    }
  })

const reports = (options: GlobalOptions) =>
  Layer.unwrap(
    Effect.map(settingsOf(options), (settings) =>
      CostReports.layer({ cacheTtlMs: settings.cacheTtlMs }).pipe(
        Layer.provide(Layer.merge(CostExplorer.layerConfig(awsOverrides(options)), storeLayer(options)))
      )
    )
  )

const report = Command.make(
  "report",
  {
    kind: Argument.Literals("kind", ["daily", "monthly"] as const).pipe(
      Argument.withDescription("daily: the last 7 days by service; monthly: last month's S3 cost")
    ),
    groupBy: Flag.Literals("group-by", ["service", "usage-type"] as const).pipe(
      Flag.withDescription("Group by service or by usage type (default: daily by service, monthly not grouped)"),
      Flag.optional
    ),
    since: timeFlag("since", "Start of the period (default: 7 days ago; monthly: the first of last month)"),
    until: timeFlag("until", "End of the period, exclusive (default: today; monthly: the first of this month)"),
    refresh: Flag.Boolean("refresh").pipe(
      Flag.withDescription("Ask Cost Explorer even when the cache (_localex/cache/cost-explorer/) has the answer"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("cost.report")(function* (input) {
    const now = new Date(yield* Clock.currentTimeMillis)
    const since = yield* parseTime("since", input.since, now)
    const until = yield* parseTime("until", input.until, now)
    const result = yield* (yield* CostReports.CostReports)
      .report({
        kind: input.kind,
        ...(Option.isSome(input.groupBy) ? { groupBy: input.groupBy.value } : {}),
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
        refresh: input.refresh
      })
      .pipe(Effect.catchTag("ReportPeriodInvalid", (error) => Effect.fail(new UsageError({ reason: error.message }))))
    yield* (yield* Output).print(View.report(result))
  })
).pipe(
  Command.withDescription(
    "Cost Explorer reports (each request costs $0.01 on AWS: answers are cached in the store for LOCALEX_COST_CACHE_TTL, 6h)"
  ),
  Command.withExamples([
    { command: `${NAME} cost report daily`, description: "The last 7 days by service" },
    { command: `${NAME} cost report monthly --group-by usage-type`, description: "Last month's S3 cost by usage type" },
    { command: `${NAME} cost report daily --since 30d --group-by usage-type`, description: "Any period" }
  ]),
  withLayer(reports)
)

const budgetFlags = {
  limit: Flag.Finite("limit").pipe(
    Flag.withDescription("The monthly limit in USD"),
    Flag.withMetavar("usd"),
    Flag.mapTryCatch(
      (n: number) => {
        if (!(n > 0)) throw new Error("a positive amount")
        return n
      },
      (error) => (error instanceof Error ? error.message : String(error))
    )
  ),
  email: repeated(
    "email",
    "Who is e-mailed at 80 % actual and 100 % forecast spend (repeatable; none: no notifications)",
    "addr"
  ),
  name: optionalString("name", `The budget's name (default ${Budget.DEFAULT_BUDGET_NAME})`, "name")
} as const

const budgetPolicy = (input: {
  readonly limit: number
  readonly email: ReadonlyArray<string>
  readonly name: Option.Option<string>
}) =>
  Budget.decodeBudgetPolicy(
    Budget.defaultBudgetPolicy({
      limitUsd: input.limit,
      emails: input.email,
      ...(Option.isSome(input.name) ? { name: input.name.value } : {})
    }),
    "from the flags"
  ).pipe(Effect.mapError((error) => new UsageError({ reason: error.message })))

const budgets = (options: GlobalOptions) =>
  Layer.unwrap(
    Effect.map(settingsOf(options), (settings) =>
      Budget.layerConfig({ accountId: settings.accountId, ...awsOverrides(options) })
    )
  )

const budgetPlan = Command.make(
  "plan",
  budgetFlags,
  Effect.fn("cost.budget.plan")(function* (input) {
    const plan = yield* (yield* Budget.Budget).plan(yield* budgetPolicy(input))
    yield* (yield* Output).print(View.budgetPlan(plan, Budget.formatBudgetPlan(plan)))
  })
).pipe(
  Command.withDescription(
    "Show how the account's monthly S3 budget differs from the flags (budget, notifications, subscribers)"
  ),
  Command.withExamples([
    { command: `${NAME} cost budget plan --limit 120 --email ops@example.com`, description: "What apply would do" }
  ]),
  withLayer(budgets)
)

const budgetApply = Command.make(
  "apply",
  budgetFlags,
  Effect.fn("cost.budget.apply")(function* (input) {
    const result = yield* (yield* Budget.Budget).apply(yield* budgetPolicy(input))
    yield* (yield* Output).print(View.budgetPlan(result.plan, Budget.formatBudgetPlan(result.plan), result.applied))
  })
).pipe(
  Command.withDescription(
    "Create or update the monthly S3 budget so it matches the flags; applying twice changes nothing"
  ),
  Command.withExamples([
    { command: `${NAME} cost budget apply --limit 120 --email ops@example.com`, description: "The guide's budget" }
  ]),
  withLayer(budgets)
)

const budget = Command.make("budget").pipe(
  Command.withDescription("The monthly S3 budget as code: plan, apply (AWS Budgets)"),
  Command.withSubcommands([budgetPlan, budgetApply])
)

const advisor = (options: GlobalOptions) =>
  Advice.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(Stats.layer, Cleanup.layer, Orphans.layer)),
    Layer.provideMerge(storeLayer(options))
  )

const advice = Command.make(
  "advice",
  {
    references: optionalString(
      "references",
      "The keys the application references (a file): look for orphans too",
      "file"
    ),
    traffic: trafficFlag
  },
  Effect.fn("cost.advice")(function* (input) {
    const { prices } = yield* regionPrices(yield* root)
    const volumes = yield* traffic(input.traffic)
    const result = yield* (yield* Advice.Advisor).advise({
      prices,
      ...(Option.isSome(input.references) ? { references: ReferenceSource.fromFile(input.references.value) } : {}),
      ...(volumes.cdnRequests !== undefined && volumes.cdnHits !== undefined
        ? { cdn: { requests: volumes.cdnRequests, hits: volumes.cdnHits } }
        : {})
    })
    yield* (yield* Output).print(View.advice(result.advice))
  })
).pipe(
  Command.withDescription(
    "Ranked savings with evidence and monthly amounts (incomplete uploads, noncurrent versions, old objects, expired files, orphans, oversized originals, CDN hit ratio); deletes nothing"
  ),
  Command.withExamples([
    { command: `${NAME} cost advice`, description: "From the bucket's statistics and clean-up dry runs" },
    {
      command: `${NAME} cost advice --references refs.txt --traffic traffic.json`,
      description: "With orphans and the CDN"
    }
  ]),
  withLayer(advisor)
)

export const cost = Command.make("cost").pipe(
  Command.withDescription(summaries.cost),
  Command.withSubcommands([estimate, whatif, report, budget, advice]),
  Command.withExamples([{ command: `${NAME} cost estimate`, description: "What the bucket costs a month" }])
)
