/**
 * The dashboard page's script (compiled on its own: src/dashboard/tsconfig.json, DOM lib). It
 * asks /v1/dashboard with the admin key kept in session storage and draws the panels. Every
 * string from the store (keys, prefixes, summaries) goes into the page as text, never as markup.
 * `body[data-state]` says where it is: `login`, `loading`, `ready` or `failed` (what tests wait for).
 */
import type { ChartConfiguration, Chart as ChartJs } from "chart.js"

declare const Chart: typeof ChartJs

const KEY_STORAGE = "localex.dashboard.key"

// --- the data (the parts of /v1/dashboard drawn here) -------------------------------------

interface Usage {
  objects: number
  bytes: number
}
type NotShown = { state: "not-configured"; setting: string; detail: string } | { state: "error"; detail: string }
type Panel<T> = ({ state: "ok" } & T) | NotShown
interface JobReport {
  job: string
  state: "ok" | "error"
  status?: string
  startedAt?: string
  counts?: { pass: number; warn: number; fail: number; skip: number }
  checks?: Array<{ id: string; title: string; status: string; summary: string; hint?: string }>
  detail?: string
}
interface DashboardData {
  generatedAt: string
  storage: {
    location: string
    generatedAt: string
    totals: Usage
    byStorageClass: Array<Usage & { storageClass: string }>
    byPrefix: { entries: Array<Usage & { prefix: string }>; truncated: boolean; other: Usage }
    ageHistogram: Array<Usage & { label: string }>
    multipartUploads: { uploads: number; bytes: number } | null
    largest: Array<{ key: string; size: number; lastModified: string; storageClass: string }>
  }
  history: { snapshots: Array<{ generatedAt: string; totals: Usage }>; skipped: Array<{ key: string; reason: string }> }
  reports: Array<JobReport>
  cost: Panel<{ region: string; metrics: Record<"storage" | "requests" | "dataTransfer" | "cdn" | "total", number> }>
  budget: Panel<{ limitUsd: number; estimateUsd: number; share: number }>
  alarms: Panel<{ bucket: string; alarms: Array<{ name: string; state: string; reason: string | null }> }>
  cdn: Panel<{ distributionId: string; requests: number; cacheHitRate: number | null; since: string; until: string }>
}

// --- DOM helpers: text only ----------------------------------------------------------------

type Child = Node | string | number | null | undefined

/** An element with attributes and children; strings become text nodes (never parsed as HTML). */
const el = (tag: string, attributes: Record<string, string> = {}, ...children: Array<Child>): HTMLElement => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value)
  for (const child of children) {
    if (child === null || child === undefined) continue
    element.append(typeof child === "object" ? child : document.createTextNode(String(child)))
  }
  return element
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

const panelBody = (id: string) => {
  const body = byId(id).querySelector(".body") as HTMLElement
  body.replaceChildren()
  return body
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
const formatBytes = (bytes: number) => {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`
}
const formatUsd = (usd: number) => (usd > 0 && usd < 0.005 ? "< $0.01" : `$${usd.toFixed(2)}`)
const count = (n: number) => n.toLocaleString("en-US")

const NUMERIC = new Set(["objects", "bytes", "USD a month", "last modified"])

/** A table; `data-*` attributes on the cells carry the exact numbers. */
const table = (head: Array<string>, rows: Array<Array<HTMLElement | string>>) =>
  el(
    "table",
    {},
    el("thead", {}, el("tr", {}, ...head.map((h) => el("th", NUMERIC.has(h) ? { class: "num" } : {}, h)))),
    el(
      "tbody",
      {},
      ...rows.map((cells) => el("tr", {}, ...cells.map((c) => (typeof c === "string" ? el("td", {}, c) : c))))
    )
  )

const usageCells = (usage: Usage) => [
  el("td", { class: "num", "data-objects": String(usage.objects) }, count(usage.objects)),
  el("td", { class: "num", "data-bytes": String(usage.bytes), title: `${usage.bytes} bytes` }, formatBytes(usage.bytes))
]

/** A panel that has no numbers to show, saying why. */
const notShown = (body: HTMLElement, panel: NotShown) => {
  body.closest("section")?.setAttribute("data-panel-state", panel.state)
  body.append(
    panel.state === "not-configured"
      ? el("p", { class: "not-configured" }, `Not configured: set ${panel.setting} (${panel.detail}).`)
      : el("p", { class: "panel-error" }, `Unavailable: ${panel.detail}`)
  )
}

// --- charts ------------------------------------------------------------------------------

const charts: Array<ChartJs> = []
const COLORS = ["#0969da", "#1a7f37", "#9a6700", "#8250df", "#cf222e", "#57606a", "#bf3989", "#0a3069"]

const draw = (id: string, config: ChartConfiguration) => {
  const chart = new Chart(byId<HTMLCanvasElement>(id), {
    ...config,
    options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options }
  } as ChartConfiguration)
  charts.push(chart)
}

const prefixLabel = (prefix: string) => (prefix === "" ? "(top level)" : prefix)

// --- panels ------------------------------------------------------------------------------

const renderTotals = (data: DashboardData) => {
  const { storage } = data
  byId("location").textContent = storage.location
  byId("generated").textContent = `statistics of ${storage.generatedAt}`
  const figure = (label: string, value: string, attributes: Record<string, string>) =>
    el("div", {}, el("span", {}, label), el("div", { class: "figure", ...attributes }, value))
  const body = panelBody("panel-totals")
  body.append(
    el(
      "div",
      { class: "figures" },
      figure("objects", count(storage.totals.objects), {
        id: "total-objects",
        "data-value": String(storage.totals.objects)
      }),
      figure("stored", formatBytes(storage.totals.bytes), {
        id: "total-bytes",
        "data-value": String(storage.totals.bytes)
      }),
      storage.multipartUploads === null
        ? null
        : figure("incomplete uploads", count(storage.multipartUploads.uploads), {
            "data-value": String(storage.multipartUploads.uploads)
          })
    )
  )
  if (storage.largest.length > 0)
    body.append(
      table(
        ["largest objects", "bytes", "last modified"],
        storage.largest.map((o) => [
          el("td", { "data-key": o.key }, o.key),
          el("td", { class: "num", "data-bytes": String(o.size) }, formatBytes(o.size)),
          el("td", { class: "num" }, o.lastModified)
        ])
      )
    )
}

const renderPrefixes = ({ storage }: DashboardData) => {
  const entries = storage.byPrefix.entries
  draw("chart-prefix", {
    type: "bar",
    data: {
      labels: entries.map((e) => prefixLabel(e.prefix)),
      datasets: [{ label: "bytes", data: entries.map((e) => e.bytes), backgroundColor: COLORS[0] }]
    },
    options: { plugins: { legend: { display: false } } }
  })
  const rows = entries.map((e) => [el("td", { "data-prefix": e.prefix }, prefixLabel(e.prefix)), ...usageCells(e)])
  if (storage.byPrefix.truncated) rows.push([el("td", {}, "(other prefixes)"), ...usageCells(storage.byPrefix.other)])
  panelBody("panel-prefix").append(table(["prefix", "objects", "bytes"], rows))
}

const renderClasses = ({ storage }: DashboardData) => {
  const classes = storage.byStorageClass
  draw("chart-class", {
    type: "doughnut",
    data: {
      labels: classes.map((c) => c.storageClass),
      datasets: [{ label: "bytes", data: classes.map((c) => c.bytes), backgroundColor: COLORS }]
    },
    options: { plugins: { legend: { position: "right" } } }
  })
  panelBody("panel-class").append(
    table(
      ["class", "objects", "bytes"],
      classes.map((c) => [el("td", { "data-class": c.storageClass }, c.storageClass), ...usageCells(c)])
    )
  )
}

const renderAges = ({ storage }: DashboardData) => {
  const ages = storage.ageHistogram
  draw("chart-age", {
    type: "bar",
    data: {
      labels: ages.map((a) => a.label),
      datasets: [
        { label: "objects", data: ages.map((a) => a.objects), backgroundColor: COLORS[1], yAxisID: "objects" },
        { label: "bytes", data: ages.map((a) => a.bytes), backgroundColor: COLORS[3], yAxisID: "bytes" }
      ]
    },
    options: {
      scales: {
        objects: { type: "linear", position: "left", beginAtZero: true },
        bytes: { type: "linear", position: "right", beginAtZero: true, grid: { drawOnChartArea: false } }
      }
    }
  })
  panelBody("panel-age").append(
    table(
      ["age", "objects", "bytes"],
      ages.map((a) => [el("td", { "data-age": a.label }, a.label), ...usageCells(a)])
    )
  )
}

const renderGrowth = ({ history }: DashboardData) => {
  const body = panelBody("panel-growth")
  const points = history.snapshots
  draw("chart-growth", {
    type: "line",
    data: {
      labels: points.map((p) => p.generatedAt.slice(0, 10)),
      datasets: [
        { label: "bytes", data: points.map((p) => p.totals.bytes), borderColor: COLORS[0], yAxisID: "bytes" },
        { label: "objects", data: points.map((p) => p.totals.objects), borderColor: COLORS[1], yAxisID: "objects" }
      ]
    },
    options: {
      scales: {
        bytes: { type: "linear", position: "left", beginAtZero: true },
        objects: { type: "linear", position: "right", beginAtZero: true, grid: { drawOnChartArea: false } }
      }
    }
  })
  body.append(
    points.length === 0
      ? el(
          "p",
          { class: "not-configured" },
          "No statistics snapshots stored yet (the cron app's storage checks store them)."
        )
      : el("p", {}, `${points.length} snapshots, ${points[0]!.generatedAt} to ${points.at(-1)!.generatedAt}`)
  )
  if (history.skipped.length > 0)
    body.append(el("p", { class: "panel-error" }, `${history.skipped.length} stored snapshots could not be read.`))
}

const renderReports = ({ reports }: DashboardData) => {
  const body = panelBody("panel-reports")
  if (reports.length === 0) {
    body.append(el("p", { class: "not-configured" }, "No checklist reports stored yet (the cron app writes them)."))
    return
  }
  for (const report of reports) {
    const heading = el("h3", {}, `${report.job} `)
    const job = el("div", { class: "job", "data-job": report.job }, heading)
    if (report.state === "error") {
      job.append(el("p", { class: "panel-error" }, `Unreadable: ${report.detail ?? ""}`))
    } else {
      heading.append(
        el("span", { class: `status status-${report.status}`, "data-status": report.status ?? "" }, report.status),
        ` — ${report.startedAt}`
      )
      const c = report.counts!
      job.append(
        el("p", {}, `${c.pass} pass, ${c.warn} warn, ${c.fail} fail, ${c.skip} skipped`),
        table(
          ["check", "status", "summary"],
          (report.checks ?? []).map((check) => [
            el("td", { "data-check": check.id }, check.title),
            el("td", { class: `status status-${check.status}` }, check.status),
            el("td", {}, check.summary)
          ])
        )
      )
    }
    body.append(job)
  }
}

const renderCost = ({ cost, budget }: DashboardData) => {
  const costBody = panelBody("panel-cost")
  if (cost.state !== "ok") notShown(costBody, cost)
  else {
    costBody.append(
      el(
        "div",
        { class: "figure", id: "cost-total", "data-usd": String(cost.metrics.total) },
        formatUsd(cost.metrics.total)
      ),
      el("p", { class: "note" }, `at list prices in ${cost.region}, from the statistics (no request traffic counted)`),
      table(
        ["part", "USD a month"],
        (["storage", "requests", "dataTransfer", "cdn"] as const).map((part) => [
          part,
          el("td", { class: "num", "data-usd": String(cost.metrics[part]) }, formatUsd(cost.metrics[part]))
        ])
      )
    )
  }
  const budgetBody = panelBody("panel-budget")
  if (budget.state !== "ok") return notShown(budgetBody, budget)
  const percent = budget.share * 100
  budgetBody.append(
    el("div", { class: "figure", id: "budget-share", "data-share": String(budget.share) }, `${percent.toFixed(1)} %`),
    el("p", {}, `${formatUsd(budget.estimateUsd)} estimated of ${formatUsd(budget.limitUsd)} a month`),
    el(
      "div",
      { class: budget.share > 1 ? "bar over" : "bar" },
      el("div", { "data-width": String(Math.min(100, percent)) })
    )
  )
  // CSSOM, not a style attribute: the CSP allows no inline styles.
  const fill = budgetBody.querySelector<HTMLElement>(".bar div")
  if (fill !== null) fill.style.width = `${Math.min(100, percent)}%`
}

const renderAlarms = ({ alarms }: DashboardData) => {
  const body = panelBody("panel-alarms")
  if (alarms.state !== "ok") return notShown(body, alarms)
  body.append(
    el("p", {}, `CloudWatch alarms of ${alarms.bucket}`),
    table(
      ["alarm", "state"],
      alarms.alarms.map((a) => [
        el("td", { "data-alarm": a.name, title: a.reason ?? "" }, a.name),
        el("td", { class: `status status-${a.state}` }, a.state)
      ])
    )
  )
}

const renderCdn = ({ cdn }: DashboardData) => {
  const body = panelBody("panel-cdn")
  if (cdn.state !== "ok") return notShown(body, cdn)
  body.append(
    el(
      "div",
      { class: "figure", id: "cdn-hit-ratio", "data-value": String(cdn.cacheHitRate ?? "") },
      cdn.cacheHitRate === null ? "no data" : `${cdn.cacheHitRate.toFixed(1)} %`
    ),
    el("p", {}, `${count(cdn.requests)} requests to ${cdn.distributionId}, ${cdn.since} to ${cdn.until}`)
  )
}

const RENDERERS = [
  renderTotals,
  renderPrefixes,
  renderClasses,
  renderAges,
  renderGrowth,
  renderCost,
  renderAlarms,
  renderCdn,
  renderReports
]

// --- flow --------------------------------------------------------------------------------

const setState = (state: "login" | "loading" | "ready" | "failed") => {
  document.body.dataset.state = state
  byId("login").hidden = state !== "login"
  byId("dashboard").hidden = state !== "ready"
  byId("refresh").hidden = byId("logout").hidden = state === "login"
  if (state !== "failed") byId("failure").hidden = true
}

const showLogin = (message: string) => {
  sessionStorage.removeItem(KEY_STORAGE)
  byId("login-message").textContent = message
  setState("login")
  byId<HTMLInputElement>("key").focus()
}

const fail = (message: string) => {
  const failure = byId("failure")
  failure.textContent = message
  failure.hidden = false
  setState("failed")
}

const problemDetail = async (response: Response) => {
  try {
    const problem = (await response.json()) as { detail?: string; title?: string }
    return problem.detail ?? problem.title ?? response.statusText
  } catch {
    return response.statusText
  }
}

const load = async (refresh = false) => {
  const key = sessionStorage.getItem(KEY_STORAGE)
  if (key === null) return showLogin("")
  setState("loading")
  let response: Response
  try {
    response = await fetch(`/v1/dashboard${refresh ? "?refresh=true" : ""}`, {
      headers: { authorization: `Bearer ${key}`, accept: "application/json" },
      cache: "no-store"
    })
  } catch (error) {
    return fail(`The server did not answer: ${String(error)}`)
  }
  if (response.status === 401) return showLogin(`That key was refused: ${await problemDetail(response)}`)
  if (response.status === 403) return showLogin(`That key cannot see the dashboard: ${await problemDetail(response)}`)
  if (!response.ok)
    return fail(`The dashboard could not be loaded (${response.status}): ${await problemDetail(response)}`)
  const data = (await response.json()) as DashboardData
  for (const chart of charts.splice(0)) chart.destroy()
  // Visible before drawing: Chart.js sizes a chart from its container.
  byId("dashboard").hidden = false
  try {
    for (const render of RENDERERS) render(data)
  } catch (error) {
    return fail(`The dashboard could not be drawn: ${String(error)}`)
  }
  setState("ready")
}

byId<HTMLFormElement>("login").addEventListener("submit", (event) => {
  event.preventDefault()
  const input = byId<HTMLInputElement>("key")
  sessionStorage.setItem(KEY_STORAGE, input.value.trim())
  input.value = ""
  void load()
})
byId("refresh").addEventListener("click", () => void load(true))
byId("logout").addEventListener("click", () => showLogin("Signed out."))
void load()
