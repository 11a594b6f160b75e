/** Views of the cost commands: estimate, what-if, Cost Explorer reports, budget plans, advice. */
import type { Advice, Budget, CostReports, Estimate, WhatIf } from "@localex/cost"
import { type Document, formatText } from "../Output.js"
import { bytes, columns, table } from "./format.js"

/** Dollars: cents from $1, four decimals below (a small bucket's storage is a fraction of a cent). */
const dollars = (amount: number) => Math.abs(amount).toFixed(Math.abs(amount) >= 1 || amount === 0 ? 2 : 4)
const usd = (amount: number) => `${amount < 0 ? "-" : ""}$${dollars(amount)}`
const signed = (amount: number) => `${amount < 0 ? "-" : "+"}$${dollars(amount)}`

export const estimate = (result: Estimate.Estimate): Document => {
  const m = result.metrics
  const pairs: Array<readonly [string, string]> = [
    ["location", result.location],
    ["region", result.region],
    ["storage", usd(m.storage)],
    ["requests", usd(m.requests)],
    ["data transfer", usd(m.dataTransfer)],
    ["cdn", usd(m.cdn)],
    ["total monthly", usd(m.total)],
    ["prices", `effective ${result.prices.effectiveDate} (${result.prices.source})`]
  ]
  const lines = result.lines
    .filter((l) => l.quantity > 0)
    .map((l) => [l.category, l.item, `${Number(l.quantity.toFixed(4))} ${l.unit}`, usd(l.usd)])
  return {
    primary: true,
    text: [
      ...formatText(pairs),
      ...table("lines", ["metric", "item", "quantity", "monthly"], lines, [3]),
      ...(result.assumptions.length === 0 ? [] : ["", "assumptions", ...result.assumptions.map((a) => `  ${a}`)])
    ],
    json: result
  }
}

const whatIfLines = (result: WhatIf.WhatIf): Array<string> => [
  result.what,
  ...columns([
    ["  eligible", `${Math.round(result.eligible.objects)} objects, ${bytes(result.eligible.bytes)}`],
    ["  monthly now", usd(result.monthlyBefore)],
    ["  monthly after", usd(result.monthlyAfter)],
    ["  transitions a month", usd(result.monthlyTransitions)],
    ["  minimum-duration charges", usd(result.monthlyMinimumDurationCharge)],
    ["  monthly saving", usd(result.monthlySaving)],
    ["  one-time cost", usd(result.oneTimeCost)],
    [
      "  break-even",
      result.breakEvenMonths === null ? "never (it saves nothing)" : `${result.breakEvenMonths.toFixed(2)} months`
    ]
  ]),
  ...result.assumptions.map((a) => `  assumes: ${a}`)
]

export const whatIf = (results: ReadonlyArray<WhatIf.WhatIf>): Document => ({
  primary: true,
  text: results.flatMap((r, i) => [...(i === 0 ? [] : [""]), ...whatIfLines(r)]),
  json: results.length === 1 ? results[0] : results
})

export const report = (result: CostReports.CostReport): Document => {
  const { query, trend } = result
  const pairs: Array<readonly [string, string]> = [
    [
      "report",
      `${result.kind}: ${query.metric}${query.services === undefined ? "" : ` of ${query.services.join(", ")}`}${query.groupBy === undefined ? "" : ` by ${query.groupBy.toLowerCase().replace("_", " ")}`}`
    ],
    ["period", `${query.start} to ${query.end} (end exclusive)`],
    ["total", `${usd(result.amount)} ${result.unit}`],
    [
      "previous period",
      `${trend.previous.start} to ${trend.previous.end}: ${usd(trend.previous.amount)} (${signed(trend.change)}${trend.changeRatio === null ? "" : `, ${(trend.changeRatio * 100).toFixed(1)}%`})`
    ],
    [
      "source",
      result.source.cached
        ? `cache (fetched ${result.source.fetchedAt}); no Cost Explorer request`
        : `Cost Explorer, ${result.source.requests} requests ($0.01 each)`
    ]
  ]
  const periods = result.periods.map((p) => [p.start, usd(p.amount), p.estimated ? "estimated" : ""])
  const groups = result.groups.map((g) => [g.key, usd(g.amount)])
  return {
    primary: true,
    text: [
      ...formatText(pairs),
      ...table("by period", ["start", "amount", ""], periods, [1]),
      ...table("by group", ["group", "amount"], groups, [1])
    ],
    json: result
  }
}

export const budgetPlan = (plan: Budget.BudgetPlan, lines: ReadonlyArray<string>, applied?: boolean): Document => ({
  primary: true,
  text:
    applied === undefined
      ? lines
      : [...lines, applied ? "applied: the budget now matches the policy" : "nothing to apply"],
  json: applied === undefined ? plan : { plan, applied }
})

export const advice = (items: ReadonlyArray<Advice.Advice>): Document => ({
  primary: true,
  text:
    items.length === 0
      ? ["No savings found."]
      : [
          `${items.length} savings, ${usd(items.reduce((sum, a) => sum + a.monthlySaving, 0))} a month in all:`,
          ...items.flatMap((a, i) => [
            "",
            `${i + 1}. ${a.title}: ${usd(a.monthlySaving)} a month`,
            ...a.evidence.map((e) => `   ${e}`),
            `   → ${a.action}`
          ])
        ],
  json: { advice: items }
})
