/**
 * `@localex/cost/promise`: clean-ups (expired, orphans, incomplete uploads), lifecycle and
 * tiering, the price model, estimates and what-ifs, Cost Explorer reports, the budget and savings
 * advice as plain async methods, for code that does not use Effect. A failed call rejects with the
 * packages' own error classes.
 */

import { Stats, type StorageStats } from "@localex/monitoring"
import {
  type DeletionPlan,
  type LifecycleRule,
  Storage,
  type StorageOverrides,
  type TieringConfiguration
} from "@localex/storage-core"
import { type CallOptions, type Plain, serviceRuntime } from "@localex/storage-core/promise"
import { Effect, Layer, Stream } from "effect"
import * as Advice from "../Advice.js"
import * as Budget from "../Budget.js"
import * as Cleanup from "../Cleanup.js"
import * as CostConfig from "../CostConfig.js"
import * as CostExplorer from "../CostExplorer.js"
import * as CostReports from "../CostReports.js"
import * as Estimate from "../Estimate.js"
import * as LifecyclePolicy from "../LifecyclePolicy.js"
import * as Orphans from "../Orphans.js"
import type * as PriceModel from "../PriceModel.js"
import * as ReferenceSource from "../ReferenceSource.js"
import * as Tiering from "../Tiering.js"
import * as Uploads from "../Uploads.js"
import * as WhatIf from "../WhatIf.js"

export { ManifestUnreadable, SafetyLimitExceeded } from "@localex/storage-core"
export * from "@localex/storage-core/errors"
export type { CallOptions } from "@localex/storage-core/promise"
export type { Advice, AdviceKind, AdviceOptions, CdnTraffic } from "../Advice.js"
export type {
  BudgetApplyResult,
  BudgetNotification,
  BudgetPlan,
  BudgetPolicy,
  DefaultBudgetOptions
} from "../Budget.js"
export { BudgetsError, DEFAULT_BUDGET_NAME } from "../Budget.js"
export type { ExpiredPlanOptions } from "../Cleanup.js"
export type { CostOverrides } from "../CostConfig.js"
export { CostConfigError } from "../CostConfig.js"
export { CostExplorerError } from "../CostExplorer.js"
export type { CostReport, GroupBy, ReportKind, ReportRequest, Trend } from "../CostReports.js"
export { ReportPeriodInvalid } from "../CostReports.js"
export type { CostLine, CostMetrics, Estimate, RequestVolumes } from "../Estimate.js"
export { TrafficInvalid } from "../Estimate.js"
export { ConfigurationNotApplied, PolicyInvalid } from "../LifecyclePolicy.js"
export type { OrphanPlanOptions } from "../Orphans.js"
export type { PriceModel, RegionPrices } from "../PriceModel.js"
export { PricesInvalid, RegionNotPriced } from "../PriceModel.js"
export { ReferenceSourceError } from "../ReferenceSource.js"
export type { UploadCandidate, UploadsOptions, UploadsOutcome, UploadsPlan, UploadsReport } from "../Uploads.js"
export type { LifecycleWhatIfOptions, WhatIf } from "../WhatIf.js"

type Plan = DeletionPlan.DeletionPlan
type Outcome = DeletionPlan.CleanupOutcome
type RunOptions = DeletionPlan.CleanupRunOptions

/**
 * The keys the application still uses, for orphan clean-up: keys in memory, an async iterable (a
 * database cursor), a file with one key per line, an object in the store, or an HTTP endpoint.
 */
export type References =
  | Iterable<string>
  | AsyncIterable<string>
  | { readonly file: string }
  | { readonly key: string }
  | ({ readonly url: string } & ReferenceSource.HttpSourceOptions)

/** A month of traffic, or the JSON file that holds it (`Estimate.loadTrafficFile`; `TrafficInvalid` when it does not decode). */
export type Traffic = Estimate.RequestVolumes | { readonly trafficFile: string }

/** The guide's budget (a limit, e-mails and a name; see `defaultBudgetPolicy`) or a whole policy (one with `notifications`). */
export type BudgetInput = Budget.DefaultBudgetOptions | Budget.BudgetPolicy

export interface SavingsAdviceOptions extends Advice.AdviceOptions {
  /** The keys in use: with them, orphans are counted too. */
  readonly references?: References
  readonly cdn?: Advice.CdnTraffic
}

export interface CostServiceSettings extends StorageOverrides {
  /** Prices, their region, the Cost Explorer cache and the budgets' account (omitted: LOCALEX_COST_*). */
  readonly cost?: CostConfig.CostOverrides
  /** Region and profile of the Cost Explorer, Budgets and STS clients (endpoints: AWS_ENDPOINT_URL_COST_EXPLORER, …). */
  readonly aws?: { readonly region?: string; readonly profile?: string }
}

export interface CostService extends AsyncDisposable {
  /** The objects no reference names (past the grace period), as the guide's `findOrphanedFiles()` returns them. */
  readonly findOrphanedFiles: (
    references: References,
    options?: Plain<Orphans.OrphanPlanOptions> & CallOptions
  ) => Promise<ReadonlyArray<DeletionPlan.DeletionCandidate>>
  /** The whole orphan plan: candidates, totals, the safety assessment, warnings. */
  readonly planOrphanCleanup: (
    references: References,
    options?: Plain<Orphans.OrphanPlanOptions> & CallOptions
  ) => Promise<Plan>
  /** Plans, writes the manifest, re-checks and deletes the orphans (nothing with `dryRun`). */
  readonly cleanupOrphans: (
    references: References,
    options?: Plain<Orphans.OrphanPlanOptions> & RunOptions & CallOptions
  ) => Promise<Outcome>
  readonly findExpiredFiles: (
    options?: Plain<Cleanup.ExpiredPlanOptions> & CallOptions
  ) => Promise<ReadonlyArray<DeletionPlan.DeletionCandidate>>
  readonly planExpiredCleanup: (options?: Plain<Cleanup.ExpiredPlanOptions> & CallOptions) => Promise<Plan>
  /** The guide's weekly "clean up expired files". */
  readonly cleanupExpired: (options?: Plain<Cleanup.ExpiredPlanOptions> & RunOptions & CallOptions) => Promise<Outcome>
  /** What applying the lifecycle policy (default: the guide's) would change on the bucket. */
  readonly planLifecycle: (
    policy?: LifecyclePolicy.LifecyclePolicyInput,
    options?: CallOptions
  ) => Promise<ReturnType<typeof LifecyclePolicy.diff>>
  readonly applyLifecycle: (
    policy?: LifecyclePolicy.LifecyclePolicyInput,
    options?: CallOptions
  ) => Promise<LifecyclePolicy.ApplyResult<LifecycleRule>>
  readonly planTiering: (
    policy?: Tiering.TieringPolicyInput,
    options?: CallOptions
  ) => Promise<ReturnType<typeof Tiering.diff>>
  readonly applyTiering: (
    policy?: Tiering.TieringPolicyInput,
    options?: CallOptions
  ) => Promise<LifecyclePolicy.ApplyResult<TieringConfiguration>>
  /** Incomplete multipart uploads older than `olderThan` (default 24 hours), as candidates to abort. */
  readonly findIncompleteUploads: (
    options?: Plain<Uploads.UploadsOptions> & CallOptions
  ) => Promise<ReadonlyArray<Uploads.UploadCandidate>>
  readonly planUploadCleanup: (options?: Plain<Uploads.UploadsOptions> & CallOptions) => Promise<Uploads.UploadsPlan>
  /** Aborts them and writes a report (nothing with `dryRun`). */
  readonly cleanupIncompleteUploads: (
    options?: Plain<Uploads.UploadsOptions> & CallOptions
  ) => Promise<Uploads.UploadsOutcome>
  /** The price model in use (LOCALEX_COST_PRICES or the built-in AWS prices) and its region's prices. */
  readonly getPrices: (options?: CallOptions) => Promise<{
    readonly model: PriceModel.PriceModel
    readonly prices: PriceModel.RegionPrices
    readonly region: string
  }>
  /** The guide's cost metrics for a month: the store's statistics priced, plus the traffic given. */
  readonly estimateMonthlyCost: (traffic?: Traffic, options?: CallOptions) => Promise<Estimate.Estimate>
  /** What "move STANDARD objects to a class after N days" would save a month, from the statistics. */
  readonly lifecycleWhatIf: (options: WhatIf.LifecycleWhatIfOptions & CallOptions) => Promise<WhatIf.WhatIf>
  /** What moving STANDARD objects to Intelligent-Tiering would save a month. */
  readonly tieringWhatIf: (options?: CallOptions) => Promise<WhatIf.WhatIf>
  /** The guide's Cost Explorer report (`daily` by service, `monthly` S3), with its trend; answers cached in the store. */
  readonly getCostReport: (request: CostReports.ReportRequest & CallOptions) => Promise<CostReports.CostReport>
  /** The account's budget of that name against the policy, item by item. */
  readonly planBudget: (budget: BudgetInput, options?: CallOptions) => Promise<Budget.BudgetPlan>
  /** Sends what differs, then plans again (`ConfigurationNotApplied` when something still differs). */
  readonly applyBudget: (budget: BudgetInput, options?: CallOptions) => Promise<Budget.BudgetApplyResult>
  /** Ranked savings (largest first) from the statistics and clean-up dry runs; nothing is deleted. */
  readonly getSavingsAdvice: (options?: SavingsAdviceOptions & CallOptions) => Promise<{
    readonly stats: StorageStats
    readonly advice: ReadonlyArray<Advice.Advice>
  }>
  readonly close: () => Promise<void>
}

const referenceSource = (references: References) => {
  if ("key" in references && typeof references.key === "string") return ReferenceSource.fromObject(references.key)
  if ("file" in references) return Effect.succeed(ReferenceSource.fromFile(references.file))
  if ("url" in references) return Effect.succeed(ReferenceSource.fromHttp(references.url, references))
  if (Symbol.asyncIterator in references) {
    const description = "keys from an async iterable"
    const keys = Stream.fromAsyncIterable(
      references,
      (cause) => new ReferenceSource.ReferenceSourceError({ source: description, reason: String(cause) })
    )
    return Effect.succeed({ description, keys })
  }
  return Effect.succeed(ReferenceSource.fromKeys(references as Iterable<string>))
}

const budgetPolicy = (budget: BudgetInput) =>
  Budget.decodeBudgetPolicy("notifications" in budget ? budget : Budget.defaultBudgetPolicy(budget))

export const createCostService = (settings: CostServiceSettings = {}): CostService => {
  const { cost = {}, aws = {}, ...storage } = settings
  const store = Storage.layerConfig(storage)
  const services = Layer.mergeAll(Orphans.layer, Cleanup.layer, LifecyclePolicy.layer, Tiering.layer, Uploads.layer)
  const main = Layer.provideMerge(Layer.provideMerge(Advice.layer, Layer.mergeAll(services, Stats.layer)), store)
  const { run, close: closeMain } = serviceRuntime(main)
  // Cost Explorer and Budgets get runtimes of their own, built on first use: the clean-ups need no AWS settings.
  const reports = serviceRuntime(
    Layer.unwrap(
      Effect.map(CostConfig.loadCostSettings(cost), (s) => CostReports.layer({ cacheTtlMs: s.cacheTtlMs }))
    ).pipe(Layer.provide(Layer.merge(CostExplorer.layerConfig(aws), store)))
  )
  const budgets = serviceRuntime(
    Layer.unwrap(
      Effect.map(CostConfig.loadCostSettings(cost), (s) => Budget.layerConfig({ accountId: s.accountId, ...aws }))
    )
  )
  const close = async () => {
    await Promise.all([closeMain(), reports.close(), budgets.close()])
  }
  const prices = Effect.flatMap(CostConfig.loadCostSettings(cost), CostConfig.loadRegionPrices)
  const stats = Effect.flatMap(Stats.StorageStatistics, (s) => s.collect({}))
  const volumes = (traffic: Traffic = {}) =>
    "trafficFile" in traffic ? Estimate.loadTrafficFile(traffic.trafficFile) : Effect.succeed(traffic)
  const uploadsPlan = (options: Uploads.UploadsOptions) => Effect.flatMap(Uploads.UploadCleanup, (u) => u.plan(options))
  const orphanPlan = (references: References, options: Orphans.OrphanPlanOptions) =>
    Effect.flatMap(referenceSource(references), (s) => Effect.flatMap(Orphans.OrphanCleanup, (c) => c.plan(s, options)))
  const expiredPlan = (options: Cleanup.ExpiredPlanOptions) =>
    Effect.flatMap(Cleanup.ExpiredCleanup, (c) => c.plan(options))
  const lifecyclePolicy = (policy: LifecyclePolicy.LifecyclePolicyInput | undefined) =>
    policy === undefined ? Effect.succeed(LifecyclePolicy.defaultPolicy()) : LifecyclePolicy.decodePolicy(policy)
  const tieringPolicy = (policy: Tiering.TieringPolicyInput | undefined) =>
    policy === undefined ? Effect.succeed(Tiering.defaultTieringPolicy()) : Tiering.decodeTieringPolicy(policy)
  return {
    findOrphanedFiles: (references, { signal, ...options } = {}) =>
      run(
        Effect.map(orphanPlan(references, options), (plan) => plan.candidates),
        { signal }
      ),
    planOrphanCleanup: (references, { signal, ...options } = {}) => run(orphanPlan(references, options), { signal }),
    cleanupOrphans: (references, { signal, ...options } = {}) =>
      run(
        Effect.flatMap(referenceSource(references), (s) =>
          Effect.flatMap(Orphans.OrphanCleanup, (c) => c.run(s, options))
        ),
        { signal }
      ),
    findExpiredFiles: ({ signal, ...options } = {}) =>
      run(
        Effect.map(expiredPlan(options), (plan) => plan.candidates),
        { signal }
      ),
    planExpiredCleanup: ({ signal, ...options } = {}) => run(expiredPlan(options), { signal }),
    cleanupExpired: ({ signal, ...options } = {}) =>
      run(
        Effect.flatMap(Cleanup.ExpiredCleanup, (c) => c.run(options)),
        { signal }
      ),
    planLifecycle: (policy, options) =>
      run(
        Effect.flatMap(lifecyclePolicy(policy), (p) => Effect.flatMap(LifecyclePolicy.Lifecycle, (l) => l.plan(p))),
        options
      ),
    applyLifecycle: (policy, options) =>
      run(
        Effect.flatMap(lifecyclePolicy(policy), (p) => Effect.flatMap(LifecyclePolicy.Lifecycle, (l) => l.apply(p))),
        options
      ),
    planTiering: (policy, options) =>
      run(
        Effect.flatMap(tieringPolicy(policy), (p) => Effect.flatMap(Tiering.Tiering, (t) => t.plan(p))),
        options
      ),
    applyTiering: (policy, options) =>
      run(
        Effect.flatMap(tieringPolicy(policy), (p) => Effect.flatMap(Tiering.Tiering, (t) => t.apply(p))),
        options
      ),
    findIncompleteUploads: ({ signal, ...options } = {}) =>
      run(
        Effect.map(uploadsPlan(options), (plan) => plan.candidates),
        { signal }
      ),
    planUploadCleanup: ({ signal, ...options } = {}) => run(uploadsPlan(options), { signal }),
    cleanupIncompleteUploads: ({ signal, ...options } = {}) =>
      run(
        Effect.flatMap(Uploads.UploadCleanup, (u) => u.run(options)),
        { signal }
      ),
    getPrices: (options) => run(prices, options),
    estimateMonthlyCost: (traffic, options) =>
      run(
        Effect.gen(function* () {
          const { model, prices: regionPrices, region } = yield* prices
          return Estimate.estimate(yield* stats, model, regionPrices, region, yield* volumes(traffic))
        }),
        options
      ),
    lifecycleWhatIf: ({ signal, ...options }) =>
      run(
        Effect.gen(function* () {
          const { prices: regionPrices } = yield* prices
          return WhatIf.lifecycleWhatIf(yield* stats, regionPrices, options)
        }),
        { signal }
      ),
    tieringWhatIf: (options) =>
      run(
        Effect.gen(function* () {
          const { prices: regionPrices } = yield* prices
          return WhatIf.tieringWhatIf(yield* stats, regionPrices)
        }),
        options
      ),
    getCostReport: ({ signal, ...request }) =>
      reports.run(
        Effect.flatMap(CostReports.CostReports, (r) => r.report(request)),
        { signal }
      ),
    planBudget: (budget, options) =>
      budgets.run(
        Effect.flatMap(budgetPolicy(budget), (policy) => Effect.flatMap(Budget.Budget, (b) => b.plan(policy))),
        options
      ),
    applyBudget: (budget, options) =>
      budgets.run(
        Effect.flatMap(budgetPolicy(budget), (policy) => Effect.flatMap(Budget.Budget, (b) => b.apply(policy))),
        options
      ),
    getSavingsAdvice: ({ signal, references, ...options } = {}) =>
      run(
        Effect.gen(function* () {
          const { prices: regionPrices } = yield* prices
          const source = references === undefined ? undefined : yield* referenceSource(references)
          const advisor = yield* Advice.Advisor
          return yield* advisor.advise({
            ...options,
            prices: regionPrices,
            ...(source === undefined ? {} : { references: source })
          })
        }),
        { signal }
      ),
    close,
    [Symbol.asyncDispose]: close
  }
}
