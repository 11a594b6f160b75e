/**
 * The access-log report as one self-contained HTML file: the numbers as tables and charts drawn
 * by Chart.js, whose UMD build is inlined — the page loads nothing from the network when viewed.
 */
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { Effect, Schema } from "effect"
import type { LogReport } from "./LogAnalysis.js"

/** The chart library could not be read from the installed package. */
export class ReportRenderError extends Schema.TaggedError<ReportRenderError>()("ReportRenderError", {
  reason: Schema.String
}) {
  override get message() {
    return `Cannot render the HTML report: ${this.reason}`
  }
}

const chartLibrary = Effect.tryPromise({
  // The package exports no path to its UMD build: it sits beside the CommonJS entry.
  try: () => readFile(join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js"), "utf8"),
  catch: (cause) => new ReportRenderError({ reason: `chart.js is not installed: ${String(cause)}` })
})

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!)

/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c")

const table = (caption: string, headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number>>) =>
  `<table><caption>${escapeHtml(caption)}</caption><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${
    rows.length === 0
      ? `<tr><td colspan="${headers.length}">none</td></tr>`
      : rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`

/** The chart data, also exposed on `window.REPORT_CHARTS` (what the browser test checks). */
export const chartData = (report: LogReport) => ({
  hourly: {
    labels: report.byHour.map((h) => h.hour.slice(0, 13).replace("T", " ")),
    requests: report.byHour.map((h) => h.requests),
    errors4xx: report.byHour.map((h) => h["4xx"]),
    errors5xx: report.byHour.map((h) => h["5xx"])
  },
  statusClasses: {
    labels: Object.keys(report.byStatusClass),
    counts: Object.values(report.byStatusClass)
  },
  operations: {
    labels: report.byOperation.slice(0, 15).map((o) => o.operation),
    counts: report.byOperation.slice(0, 15).map((o) => o.requests)
  },
  topKeys: {
    labels: report.topKeys.map((k) => k.name),
    counts: report.topKeys.map((k) => k.count)
  }
})

const CHARTS_SCRIPT = `
const data = JSON.parse(document.getElementById("report-data").textContent);
window.REPORT_CHARTS = data;
const bar = (id, labels, datasets, options = {}) =>
  new Chart(document.getElementById(id), { type: "bar", data: { labels, datasets }, options: { animation: false, responsive: false, ...options } });
bar("hourly", data.hourly.labels, [
  { label: "requests", data: data.hourly.requests, backgroundColor: "#4e79a7" },
  { label: "4xx", data: data.hourly.errors4xx, backgroundColor: "#f28e2b" },
  { label: "5xx", data: data.hourly.errors5xx, backgroundColor: "#e15759" }
]);
new Chart(document.getElementById("status-classes"), {
  type: "doughnut",
  data: { labels: data.statusClasses.labels, datasets: [{ data: data.statusClasses.counts, backgroundColor: ["#59a14f", "#76b7b2", "#f28e2b", "#e15759", "#bab0ac"] }] },
  options: { animation: false, responsive: false }
});
bar("operations", data.operations.labels, [{ label: "requests", data: data.operations.counts, backgroundColor: "#4e79a7" }], { indexAxis: "y" });
bar("top-keys", data.topKeys.labels, [{ label: "reads", data: data.topKeys.counts, backgroundColor: "#59a14f" }], { indexAxis: "y" });
document.body.dataset.chartsReady = "true";
`

/** The whole page. */
export const render = Effect.fn("LogReportHtml.render")(function* (report: LogReport, title = "S3 access-log report") {
  const library = yield* chartLibrary
  const counted = (list: ReadonlyArray<{ name: string; count: number; bytes: number }>) =>
    list.map((c) => [c.name, c.count, c.bytes])
  const latency = (p: LogReport["latency"]["totalTimeMs"]) => [
    p.count,
    p.p50 ?? "-",
    p.p90 ?? "-",
    p.p95 ?? "-",
    p.p99 ?? "-",
    p.max ?? "-"
  ]
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}
.summary{display:flex;gap:24px;flex-wrap:wrap}.summary div{background:#f4f4f4;padding:8px 12px;border-radius:4px}
.charts{display:flex;flex-wrap:wrap;gap:24px;margin:16px 0}
table{border-collapse:collapse;margin:12px 24px 12px 0;display:inline-table;vertical-align:top}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}caption{font-weight:bold;text-align:left}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<div class="summary">
<div>window: ${escapeHtml(report.window.since ?? "…")} → ${escapeHtml(report.window.until ?? "…")}</div>
<div>records: <b id="records">${report.records}</b></div>
<div>4xx: <b id="count-4xx">${report.byStatusClass["4xx"]}</b> (${report.errorRates["4xx"]} %)</div>
<div>5xx: <b id="count-5xx">${report.byStatusClass["5xx"]}</b> (${report.errorRates["5xx"]} %)</div>
<div>403: <b>${report.forbidden.count}</b></div><div>failed deletes: <b>${report.failedDeletes.count}</b></div>
<div>malformed lines: <b>${report.malformed.count}</b></div><div>bytes sent: <b>${report.bytesSent}</b></div>
</div>
<div class="charts">
<canvas id="hourly" width="640" height="300"></canvas>
<canvas id="status-classes" width="300" height="300"></canvas>
<canvas id="operations" width="480" height="300"></canvas>
<canvas id="top-keys" width="480" height="300"></canvas>
</div>
${table(
  "Requests by operation",
  ["operation", "requests", "2xx", "3xx", "4xx", "5xx"],
  report.byOperation.map((o) => [o.operation, o.requests, o["2xx"], o["3xx"], o["4xx"], o["5xx"]])
)}
${table(
  "Errors by code",
  ["code", "count"],
  report.byErrorCode.map((c) => [c.name, c.count])
)}
${table(
  "403 by requester",
  ["requester", "count"],
  report.forbidden.byRequester.map((c) => [c.name, c.count])
)}
${table(
  "403 by IP",
  ["ip", "count"],
  report.forbidden.byIp.map((c) => [c.name, c.count])
)}
${table(
  "Failed deletes",
  ["key", "count"],
  report.failedDeletes.byKey.map((c) => [c.name, c.count])
)}
${table("Top keys (reads)", ["key", "reads", "bytes"], counted(report.topKeys))}
${table(
  "Latency (ms)",
  ["", "count", "p50", "p90", "p95", "p99", "max"],
  [
    ["total time", ...latency(report.latency.totalTimeMs)],
    ["turn-around", ...latency(report.latency.turnAroundTimeMs)]
  ]
)}
${table(
  "Malformed lines (samples)",
  ["source", "line", "reason"],
  report.malformed.samples.map((s) => [s.source, s.line, s.reason])
)}
<script id="report-data" type="application/json">${scriptJson(chartData(report))}</script>
<script>${library.replace(/<\/script/gi, "<\\/script")}</script>
<script>${CHARTS_SCRIPT}</script>
</body></html>
`
}) as (report: LogReport, title?: string) => Effect.Effect<string, ReportRenderError>
