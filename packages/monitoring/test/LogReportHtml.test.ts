/// <reference lib="dom" />
/**
 * The HTML report in headless Chromium (Debian `chromium`, driven by playwright-core): it loads
 * nothing from the network, the charts are drawn with the corpus's numbers, and a screenshot is
 * kept in `.artifacts/log-report.png`.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ensureDebianTool } from "@localex/local-s3"
import { Effect } from "effect"
import { chromium } from "playwright-core"
import { LogAnalyzer } from "../src/LogAnalysis.js"
import * as LogReportHtml from "../src/LogReportHtml.js"
import { sampleCorpus } from "../src/testing.js"

// Debian's chromium, installed with apt-get when missing (as root); without it the browser test
// skips, except under CI=true where that fails the run.
const CHROMIUM = await ensureDebianTool({
  binary: process.env.LOCALEX_CHROMIUM ?? "/usr/bin/chromium",
  debianPackage: "chromium",
  log: (line) => console.warn(`[monitoring] ${line}`)
})
const haveChromium = CHROMIUM !== undefined

const report = (() => {
  const analyzer = new LogAnalyzer()
  analyzer.file("corpus")
  analyzer.push(Buffer.from(`${sampleCorpus().join("\n")}\n`))
  analyzer.endFile()
  return analyzer.report()
})()

describe("LogReportHtml", () => {
  it.effect("is one file: the chart library inlined, the data in the page, markup escaped", () =>
    Effect.gen(function* () {
      const html = yield* LogReportHtml.render(report, "Report <for> 2026-12-01")
      assert.notMatch(html, /<script[^>]+src=/)
      assert.notMatch(html, /<link[^>]+href=/)
      assert.include(html, "Report &lt;for&gt; 2026-12-01")
      assert.isAbove(html.length, 100_000) // Chart.js itself
    })
  )

  it.live.runIf(haveChromium)("draws the charts with the corpus's numbers in headless Chromium", () =>
    Effect.gen(function* () {
      const dir = join(import.meta.dirname, "../.artifacts")
      mkdirSync(dir, { recursive: true })
      const file = join(dir, "log-report.html")
      writeFileSync(file, yield* LogReportHtml.render(report))
      const browser = yield* Effect.acquireRelease(
        Effect.promise(() => chromium.launch({ executablePath: CHROMIUM!, args: ["--no-sandbox"], timeout: 30_000 })),
        (b) => Effect.promise(() => b.close())
      )
      const page = yield* Effect.promise(() => browser.newPage({ viewport: { width: 1400, height: 1000 } }))
      const requests: Array<string> = []
      page.on("request", (request) => requests.push(request.url()))
      const errors: Array<string> = []
      page.on("pageerror", (error) => errors.push(error.message))
      yield* Effect.promise(() => page.goto(`file://${file}`, { timeout: 30_000 }))
      yield* Effect.promise(() => page.waitForSelector("body[data-charts-ready=true]", { timeout: 10_000 }))
      const drawn = yield* Effect.promise(() =>
        page.evaluate(() => {
          type Charts = {
            getChart: (id: string) => { data: { labels: Array<string>; datasets: Array<{ data: Array<number> }> } }
          }
          const chart = (id: string) => (window as unknown as { Chart: Charts }).Chart.getChart(id)
          const painted = (id: string) => {
            const canvas = document.getElementById(id) as HTMLCanvasElement
            const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data
            let colored = 0
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) colored++
            return colored
          }
          return {
            hourly: chart("hourly").data.datasets.map((d: { data: Array<number> }) => d.data),
            hourlyLabels: chart("hourly").data.labels,
            classes: chart("status-classes").data.datasets[0]!.data,
            topKeys: chart("top-keys").data.labels,
            painted: ["hourly", "status-classes", "operations", "top-keys"].map(painted)
          }
        })
      )
      assert.deepStrictEqual(drawn.hourly, [
        [10, 2],
        [4, 0],
        [0, 2]
      ])
      assert.deepStrictEqual(drawn.hourlyLabels, ["2026-12-01 10", "2026-12-01 11"])
      assert.deepStrictEqual(drawn.classes, [5, 1, 4, 2, 0])
      assert.deepStrictEqual(drawn.topKeys, ["items/1/a.jpg", "items/2/b c.jpg"])
      for (const pixels of drawn.painted) assert.isAbove(pixels, 1000)
      assert.deepStrictEqual(errors, [])
      assert.deepStrictEqual(
        requests.filter((url) => !url.startsWith("file://")),
        []
      )
      yield* Effect.promise(() => page.screenshot({ path: join(dir, "log-report.png"), fullPage: true }))
      assert.strictEqual(existsSync(join(dir, "log-report.png")), true)
    }).pipe(Effect.scoped)
  )
})
