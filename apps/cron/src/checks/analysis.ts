/** Monthly cost analysis: the month's estimate and the ranked savings (cost's Estimate and Advice). */
import { Advice, CostConfig, Estimate, Orphans } from "@localex/cost"
import { Effect } from "effect"
import { type Check, outcome } from "../Check.js"

const usd = (amount: number) => `$${amount.toFixed(2)}`

/**
 * Works on any store (statistics and clean-up dry runs, at list prices; LOCALEX_COST_* picks the
 * region and price file). Savings found are a warning, listed with their monthly amounts.
 */
export const costAnalysis: Check = {
  id: "cost.analysis",
  title: "Cost analysis and optimisation",
  run: Effect.gen(function* () {
    const { model, prices, region } = yield* CostConfig.loadRegionPrices(yield* CostConfig.loadCostSettings())
    const advisor = yield* Advice.make.pipe(Effect.provide(Orphans.layer))
    const { stats, advice } = yield* advisor.advise({ prices })
    const estimate = Estimate.estimate(stats, model, prices, region)
    const monthly = `${usd(estimate.metrics.total)} a month estimated in ${region}`
    const evidence = { estimate: { region, metrics: estimate.metrics, assumptions: estimate.assumptions }, advice }
    if (advice.length === 0) return outcome("pass", `${monthly}; no savings found`, evidence)
    const saving = advice.reduce((sum, a) => sum + a.monthlySaving, 0)
    return outcome(
      "warn",
      `${monthly}; ${advice.length} savings worth ${usd(saving)} a month: ${advice.map((a) => a.title).join("; ")}`,
      evidence,
      advice.map((a) => a.action).join(" — ")
    )
  })
}
