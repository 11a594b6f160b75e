/**
 * The dashboard on the built app (fs driver, temp folder) with a known population: four objects
 * of known sizes and ages (written through storage-core's fs driver under a shifted clock, one of
 * them named `<img src=x onerror=alert(1)>`), a stored series of statistics snapshots (and one
 * damaged snapshot), and a stored weekly checklist report. `/v1/dashboard` over HTTP; the page in
 * headless Chromium (Debian `chromium`, playwright-core): login, refusals, the numbers as text
 * and in the charts' datasets, markup from the store shown as text, nothing fetched from
 * elsewhere, no CSP violation. The screenshot is kept in `apps/http/.artifacts/dashboard.png`.
 */
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { ensureDebianTool } from "@localex/local-s3"
import { Report, StatsHistory } from "@localex/monitoring"
import { ObjectStore } from "@localex/storage-core"
import * as Fs from "@localex/storage-core/fs"
import { Clock, Effect } from "effect"
import { type Browser, chromium, type Page } from "playwright-core"
import { removeRoot, type Server, sha256, startServer, tempRoot } from "./server.js"

// Debian's chromium, installed with apt-get when missing (as root); without it the browser tests
// skip, except under CI=true where that fails the run.
const CHROMIUM = await ensureDebianTool({
  binary: process.env.LOCALEX_CHROMIUM ?? "/usr/bin/chromium",
  debianPackage: "chromium",
  log: (line) => console.warn(`[http dashboard] ${line}`)
})

const KEYS = { read: "dash-read-key", admin: "dash-admin-key" }
const API_KEYS = `${sha256(KEYS.read)}:read+write,${sha256(KEYS.admin)}:admin`
const bearer = (key: string) => ({ authorization: `Bearer ${key}` })
const BUDGET_USD = 50
const DAY = 86_400_000
const XSS_KEY = "<img src=x onerror=alert(1)>"
const XSS_SUMMARY = "<script>alert(2)</script> stays text"

/** The population: key, size, age in days. */
const OBJECTS: ReadonlyArray<readonly [string, number, number]> = [
  ["items/1/a.jpg", 1000, 0],
  ["items/2/b.jpg", 2500, 10],
  ["profiles/7/me.jpg", 300, 100],
  [XSS_KEY, 5000, 400]
]
const SNAPSHOTS = [
  { at: "2026-11-01T06:00:00.000Z", objects: 2, bytes: 1000 },
  { at: "2026-11-15T06:00:00.000Z", objects: 3, bytes: 3800 },
  { at: "2026-12-01T06:00:00.000Z", objects: 4, bytes: 8800 }
]

/** The real clock, `offsetMs` away: what the fs driver stamps as lastModified. */
const shifted = (base: Clock.Clock, offsetMs: number): Clock.Clock => ({
  currentTimeMillisUnsafe: () => base.currentTimeMillisUnsafe() + offsetMs,
  currentTimeMillis: Effect.sync(() => base.currentTimeMillisUnsafe() + offsetMs),
  currentTimeNanosUnsafe: () => base.currentTimeNanosUnsafe() + BigInt(offsetMs) * 1_000_000n,
  currentTimeNanos: Effect.sync(() => base.currentTimeNanosUnsafe() + BigInt(offsetMs) * 1_000_000n),
  monotonicTimeNanosUnsafe: () => base.monotonicTimeNanosUnsafe(),
  monotonicTimeNanos: base.monotonicTimeNanos,
  sleep: (duration) => base.sleep(duration)
})

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

const weeklyReport = (): Report.ChecklistReport => {
  const startedAt = new Date("2026-12-01T07:00:00.000Z")
  const check = (id: string, title: string, status: Report.CheckStatus, summary: string) => ({
    id,
    title,
    status,
    summary,
    evidence: null,
    durationMs: 3,
    attempts: 1
  })
  const checks = [
    check("storage.statistics", "Review storage statistics", "pass", "4 objects, 8.6 KiB"),
    check("cost.tiering", "Optimise storage costs", "warn", XSS_SUMMARY),
    check("cdn.performance", "Check CDN performance", "skip", "not configured")
  ]
  return {
    schemaVersion: 1,
    job: "weekly",
    runId: "run-1",
    status: Report.overallStatus(checks),
    counts: Report.countStatuses(checks),
    runner: "test",
    leaseToken: 1,
    location: "file:///test",
    trigger: "manual",
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(startedAt.getTime() + 9).toISOString(),
    durationMs: 9,
    checks,
    links: Report.reportKeys("weekly", startedAt, "run-1")
  }
}

const populate = (root: string) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const base = yield* Clock.Clock
    for (const [key, size, ageDays] of OBJECTS)
      yield* store
        .put(key, new Uint8Array(size), { contentType: "application/octet-stream" })
        .pipe(Effect.provideService(Clock.Clock, shifted(base, -ageDays * DAY)))
    for (const s of SNAPSHOTS)
      yield* store.put(
        StatsHistory.snapshotKey(s.at),
        json({
          schemaVersion: 1,
          generatedAt: s.at,
          location: "file:///test",
          scope: "",
          totals: { objects: s.objects, bytes: s.bytes },
          byStorageClass: [{ storageClass: "STANDARD", objects: s.objects, bytes: s.bytes }],
          byPrefix: []
        })
      )
    yield* store.put(StatsHistory.snapshotKey("2026-11-20T06:00:00.000Z"), new TextEncoder().encode("{ damaged"))
    yield* Report.write(store, weeklyReport())
  }).pipe(Effect.provide(Fs.layer({ root: join(root, "data"), publicUrl: "http://127.0.0.1:1" })), Effect.runPromise)

interface DashboardBody {
  storage: {
    totals: { objects: number; bytes: number }
    byPrefix: { entries: Array<{ prefix: string; bytes: number }> }
  }
  history: { snapshots: Array<{ generatedAt: string }>; skipped: Array<{ key: string }> }
  reports: Array<{ job: string; state: string; status: string; checks: Array<{ summary: string }> }>
  cost: { state: string; metrics: { total: number } }
  budget: { state: string; limitUsd: number; share: number }
  alarms: { state: string; setting: string }
  cdn: { state: string; setting: string }
}

describe("the dashboard", () => {
  let root: string
  let server: Server
  const at = (path: string) => `${server.url}${path}`

  // The browser's page, when there is a Chromium: what it requested elsewhere, its errors, its dialogs.
  let browser: Browser | undefined
  let page: Page
  const outside: Array<string> = []
  const problems: Array<string> = []
  const dialogs: Array<string> = []

  const openPage = async (executablePath: string) => {
    browser = await chromium.launch({ executablePath, args: ["--no-sandbox"], timeout: 60_000 })
    page = await browser.newPage({ viewport: { width: 1400, height: 1800 } })
    page.setDefaultTimeout(60_000)
    page.on("request", (request) => {
      if (!request.url().startsWith(server.url)) outside.push(request.url())
    })
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`)
    })
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
  }

  beforeAll(async () => {
    root = await tempRoot()
    await populate(root)
    server = await startServer(root, {
      LOCALEX_HTTP_API_KEYS: API_KEYS,
      LOCALEX_HTTP_MONTHLY_BUDGET_USD: String(BUDGET_USD)
    })
    if (CHROMIUM !== undefined) await openPage(CHROMIUM)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await removeRoot(root)
  })

  it("serves the page: HTML and its assets from the app, a strict CSP, no inline script, revalidated by ETag", async () => {
    const page = await fetch(at("/dashboard"))
    assert.strictEqual(page.status, 200)
    assert.strictEqual(page.headers.get("content-type"), "text/html; charset=utf-8")
    const csp = page.headers.get("content-security-policy") ?? ""
    assert.include(csp, "default-src 'none'")
    assert.include(csp, "script-src 'self'")
    assert.notInclude(csp, "unsafe-inline")
    assert.strictEqual(page.headers.get("x-content-type-options"), "nosniff")
    assert.strictEqual(page.headers.get("cache-control"), "no-cache")
    const html = await page.text()
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])
    assert.deepStrictEqual(
      scripts.map((tag) => /src="([^"]+)"/.exec(tag)?.[1]),
      ["/dashboard/chart.umd.min.js", "/dashboard/app.js"]
    )
    assert.notMatch(html, /https?:\/\//, "nothing from another origin")
    const etag = page.headers.get("etag")!
    const again = await fetch(at("/dashboard"), { headers: { "if-none-match": etag } })
    assert.strictEqual(again.status, 304)
    for (const [path, type] of [
      ["/dashboard/app.js", "text/javascript; charset=utf-8"],
      ["/dashboard/chart.umd.min.js", "text/javascript; charset=utf-8"],
      ["/dashboard/app.css", "text/css; charset=utf-8"]
    ] as const) {
      const asset = await fetch(at(path))
      assert.strictEqual(asset.status, 200, path)
      assert.strictEqual(asset.headers.get("content-type"), type, path)
      assert.isAbove((await asset.arrayBuffer()).byteLength, 1000, path)
    }
  })

  it("GET /v1/dashboard: admin only; the population, the snapshots, the report, and what is not configured", async () => {
    assert.strictEqual((await fetch(at("/v1/dashboard"))).status, 401)
    const refused = await fetch(at("/v1/dashboard"), { headers: bearer(KEYS.read) })
    assert.strictEqual(refused.status, 403)
    assert.strictEqual(refused.headers.get("content-type"), "application/problem+json")
    const response = await fetch(at("/v1/dashboard"), { headers: bearer(KEYS.admin) })
    assert.strictEqual(response.status, 200)
    const body = (await response.json()) as DashboardBody
    assert.deepStrictEqual(body.storage.totals, { objects: 4, bytes: 8800 })
    assert.deepStrictEqual(
      body.history.snapshots.map((s) => s.generatedAt),
      SNAPSHOTS.map((s) => s.at)
    )
    assert.deepStrictEqual(
      body.history.skipped.map((s) => s.key),
      [StatsHistory.snapshotKey("2026-11-20T06:00:00.000Z")]
    )
    assert.deepStrictEqual(
      body.reports.map((r) => [r.job, r.state, r.status]),
      [["weekly", "ok", "warn"]]
    )
    assert.strictEqual(body.cost.state, "ok")
    assert.isAbove(body.cost.metrics.total, 0)
    assert.strictEqual(body.budget.state, "ok")
    assert.strictEqual(body.budget.limitUsd, BUDGET_USD)
    assert.closeTo(body.budget.share, body.cost.metrics.total / BUDGET_USD, 1e-12)
    assert.deepStrictEqual(
      [body.alarms.state, body.alarms.setting],
      ["not-configured", "LOCALEX_HTTP_CLOUDWATCH_BUCKET"]
    )
    assert.deepStrictEqual([body.cdn.state, body.cdn.setting], ["not-configured", "LOCALEX_CDN_DISTRIBUTION_ID"])
  })

  describe.runIf(CHROMIUM !== undefined)("in headless Chromium", () => {
    const signIn = async (key: string) => {
      await page.waitForSelector("body[data-state=login]")
      await page.fill("#key", key)
      await page.click("#login button[type=submit]")
    }

    it("asks for a key, and shows the login again with a message for a wrong or non-admin key", async () => {
      await page.goto(at("/dashboard"))
      await signIn("not-a-key")
      await page.waitForFunction(() => document.getElementById("login-message")?.textContent?.includes("refused"))
      await signIn(KEYS.read)
      await page.waitForFunction(() => document.getElementById("login-message")?.textContent?.includes('"admin"'))
      assert.isNull(await page.evaluate(() => sessionStorage.getItem("localex.dashboard.key")))
      assert.isTrue(await page.isHidden("#dashboard"))
    }, 120_000)

    it("draws the population's numbers as text and in the charts; store markup stays text", async () => {
      // The refusals above are logged by Chromium as failed loads; from here on nothing may be.
      problems.length = 0
      await signIn(KEYS.admin)
      await page.waitForSelector("body[data-state=ready]")
      const shown = await page.evaluate(() => {
        type Drawn = { data: { labels: Array<string>; datasets: Array<{ label: string; data: Array<number> }> } }
        const chart = (id: string) =>
          (window as unknown as { Chart: { getChart: (id: string) => Drawn } }).Chart.getChart(id)
        const dataOf = (id: string) => ({
          labels: chart(id).data.labels,
          datasets: chart(id).data.datasets.map((d) => [d.label, d.data])
        })
        const cells = (selector: string, attribute: string) =>
          [...document.querySelectorAll(selector)].map((row) => [
            row.querySelector(`[${attribute}]`)?.getAttribute(attribute),
            Number(row.querySelector("[data-objects]")?.getAttribute("data-objects")),
            Number(row.querySelector("[data-bytes]")?.getAttribute("data-bytes"))
          ])
        return {
          objects: document.getElementById("total-objects")?.getAttribute("data-value"),
          bytes: document.getElementById("total-bytes")?.getAttribute("data-value"),
          objectsText: document.getElementById("total-objects")?.textContent,
          prefixes: cells("#panel-prefix tbody tr", "data-prefix"),
          classes: cells("#panel-class tbody tr", "data-class"),
          ages: cells("#panel-age tbody tr", "data-age"),
          largest: [...document.querySelectorAll("#panel-totals [data-key]")].map((e) => e.textContent),
          charts: {
            prefix: dataOf("chart-prefix"),
            class: dataOf("chart-class"),
            age: dataOf("chart-age"),
            growth: dataOf("chart-growth")
          },
          growthNote: document.querySelector("#panel-growth .body")?.textContent,
          report: document.querySelector("[data-job=weekly]")?.textContent,
          reportStatus: document.querySelector("[data-job=weekly] [data-status]")?.getAttribute("data-status"),
          images: document.querySelectorAll("img").length,
          scripts: document.querySelectorAll("script").length,
          budget: document.getElementById("budget-share")?.getAttribute("data-share"),
          alarms: document.getElementById("panel-alarms")?.textContent,
          alarmsState: document.getElementById("panel-alarms")?.getAttribute("data-panel-state"),
          cdn: document.getElementById("panel-cdn")?.textContent,
          painted: ["chart-prefix", "chart-class", "chart-age", "chart-growth"].map((id) => {
            const canvas = document.getElementById(id) as HTMLCanvasElement
            const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data
            let colored = 0
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) colored++
            return colored
          })
        }
      })
      assert.strictEqual(shown.objects, "4")
      assert.strictEqual(shown.bytes, "8800")
      assert.strictEqual(shown.objectsText, "4")
      assert.deepStrictEqual(shown.prefixes, [
        ["", 1, 5000],
        ["items/", 2, 3500],
        ["profiles/", 1, 300]
      ])
      assert.deepStrictEqual(shown.charts.prefix, {
        labels: ["(top level)", "items/", "profiles/"],
        datasets: [["bytes", [5000, 3500, 300]]]
      })
      assert.deepStrictEqual(shown.classes, [["STANDARD", 4, 8800]])
      assert.deepStrictEqual(shown.charts.class.datasets, [["bytes", [8800]]])
      assert.deepStrictEqual(shown.ages, [
        ["< 1 day", 1, 1000],
        ["1–7 days", 0, 0],
        ["7–30 days", 1, 2500],
        ["30–90 days", 0, 0],
        ["90–365 days", 1, 300],
        ["≥ 365 days", 1, 5000]
      ])
      assert.deepStrictEqual(shown.charts.age.datasets, [
        ["objects", [1, 0, 1, 0, 1, 1]],
        ["bytes", [1000, 0, 2500, 0, 300, 5000]]
      ])
      assert.deepStrictEqual(shown.charts.growth, {
        labels: ["2026-11-01", "2026-11-15", "2026-12-01"],
        datasets: [
          ["bytes", [1000, 3800, 8800]],
          ["objects", [2, 3, 4]]
        ]
      })
      assert.include(shown.growthNote, "1 stored snapshots could not be read")
      // Markup from the store is text: the key and the report's summary, no element made of them.
      assert.deepStrictEqual(shown.largest[0], XSS_KEY)
      assert.include(shown.report, XSS_SUMMARY)
      assert.strictEqual(shown.reportStatus, "warn")
      assert.strictEqual(shown.images, 0)
      assert.strictEqual(shown.scripts, 2)
      assert.deepStrictEqual(dialogs, [])
      assert.isAbove(Number(shown.budget), 0)
      assert.strictEqual(shown.alarmsState, "not-configured")
      assert.include(shown.alarms, "LOCALEX_HTTP_CLOUDWATCH_BUCKET")
      assert.include(shown.cdn, "LOCALEX_CDN_DISTRIBUTION_ID")
      for (const [i, painted] of shown.painted.entries()) assert.isAbove(painted, 500, `chart ${i} is drawn`)
      // The page loaded nothing from elsewhere and broke no rule of its CSP.
      assert.deepStrictEqual(outside, [])
      assert.deepStrictEqual(problems, [])

      const dir = join(import.meta.dirname, "../.artifacts")
      mkdirSync(dir, { recursive: true })
      await page.screenshot({ path: join(dir, "dashboard.png"), fullPage: true })
    }, 120_000)

    it("keeps the key for the tab (a reload shows the dashboard) until signing out", async () => {
      await page.reload()
      await page.waitForSelector("body[data-state=ready]")
      assert.strictEqual(await page.evaluate(() => sessionStorage.getItem("localex.dashboard.key")), KEYS.admin)
      await page.click("#logout")
      await page.waitForSelector("body[data-state=login]")
      assert.isNull(await page.evaluate(() => sessionStorage.getItem("localex.dashboard.key")))
    }, 120_000)
  })
})
