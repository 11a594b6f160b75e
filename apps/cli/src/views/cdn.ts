/** Views of the CDN commands: cache headers, invalidation plans, warming, statistics, the review. */
import type { CachePolicy, InvalidationReport, Statistics, StatsReport, Warming } from "@localex/cdn"
import type { Document } from "../Output.js"
import { bytes, columns, count, table } from "./format.js"

export const cacheHeaders = (decision: CachePolicy.CacheDecision): Document => ({
  text: [
    ["key", decision.key],
    ["rule", decision.rule],
    ["browser TTL", `${decision.browserTtl} s`],
    ["CDN TTL", `${decision.edgeTtl} s`],
    ["ETag", decision.etag ? "yes (If-None-Match → 304)" : "no (immutable)"],
    ...Object.entries(decision.headers).map(([name, value]) => [name, value] as const)
  ],
  json: decision
})

export const invalidation = (report: InvalidationReport): Document => {
  const { plan } = report
  const pairs: Array<readonly [string, string]> = [
    ["mode", report.mode === "local" ? "local (no CloudFront distribution)" : `CloudFront ${report.distributionId}`],
    ["requested", count(plan.requested, "path")],
    [
      "plan",
      `${count(plan.individual, "path")}, ${count(plan.wildcards, "wildcard")}, ${count(plan.batches.length, "request")}`
    ],
    ["dropped", `${plan.duplicates} (repeated or covered by a wildcard)`],
    [
      "cost",
      `$${plan.cost.usd.toFixed(3)} (${plan.cost.billablePaths} billable; ${plan.cost.freeRemaining} of the month's 1,000 free paths assumed left)`
    ],
    ...plan.collapsed.map((c) => ["collapsed", `${c.wildcard} covers ${count(c.covers, "path")}`] as const),
    ...report.invalidations.map((i) => ["invalidation", `${i.id} ${i.status} (${count(i.paths, "path")})`] as const),
    ...(report.note === undefined ? [] : [["note", report.note] as const])
  ]
  const shown = plan.paths.slice(0, 20)
  return {
    text: [
      ...columns(pairs.map(([label, value]) => [label, value])),
      "",
      "paths",
      ...shown.map((path) => `  ${path}`),
      ...(plan.paths.length > shown.length
        ? [`  … and ${plan.paths.length - shown.length} more (--json lists all)`]
        : [])
    ],
    json: report
  }
}

const passLine = (s: Warming.PassSummary) =>
  `${s.requests} requests: ${s.hits} hits, ${s.misses} misses, ${s.errors} errors; hit ratio ${(s.hitRatio * 100).toFixed(1)}%; p50 ${s.p50Ms} ms, p95 ${s.p95Ms} ms; ${s.requestsPerSecond} req/s`

export const warming = (report: Warming.WarmReport): Document => {
  const failed = report.passes.flatMap((pass) =>
    pass.results
      .filter((r) => r.status === undefined || r.status >= 400)
      .map((r) => [String(pass.summary.pass), r.target, r.status === undefined ? "-" : String(r.status), r.error ?? ""])
  )
  return {
    text: [
      ...columns([
        ["domains", report.domains.join(", ")],
        ...report.passes.map((pass) => [`pass ${pass.summary.pass}`, passLine(pass.summary)])
      ]),
      ...table("failed requests", ["pass", "target", "status", "error"], failed, [0])
    ],
    json: report
  }
}

/** A table of pass/warn/fail lines: what was judged, the verdict, why. */
const verdicts = (title: string, what: string, rows: ReadonlyArray<ReadonlyArray<string>>) =>
  table(title, [what, "verdict", "detail"], rows, [])

export const cdnStats = (report: StatsReport): Document => {
  const { stats, check } = report
  const rate = (value: number | undefined) => (value === undefined ? "no data" : `${value}%`)
  return {
    text: [
      ...columns([
        ["distribution", stats.distributionId],
        ["window", `${stats.since} – ${stats.until} (period ${stats.periodSeconds} s)`],
        ["requests", String(stats.requests)],
        ["downloaded", bytes(stats.bytesDownloaded)],
        ["4xx error rate", rate(stats.errorRate4xx)],
        ["5xx error rate", rate(stats.errorRate5xx)],
        ["cache hit rate", rate(stats.cacheHitRate)],
        ["daily check", check.verdict.toUpperCase()]
      ]),
      ...verdicts(
        "checks",
        "check",
        check.checks.map((c) => [c.name, c.verdict, c.detail])
      )
    ],
    json: report
  }
}

export const review = (result: Statistics.Review): Document => ({
  text: [
    ...columns([
      ["distribution", result.distributionId],
      ["verdict", result.verdict.toUpperCase()]
    ]),
    ...verdicts(
      "findings",
      "setting",
      result.findings.map((f) => [f.setting, f.verdict, f.detail])
    )
  ],
  json: result
})

export const signed = (url: string, expiresAt: Date): Document => ({
  text: [url],
  json: { url, expiresAt: expiresAt.toISOString() },
  primary: true
})

export const cookies = (values: Readonly<Record<string, string>>, resource: string, expiresAt: Date): Document => ({
  text: Object.entries(values).map(([name, value]) => `${name}=${value}`),
  json: { resource, expiresAt: expiresAt.toISOString(), cookies: values },
  primary: true
})
