/**
 * The checklist report: status rules, where it is stored, the Markdown people read, and the
 * `latest.json` pointer that only a newer run (later lease, later start) may move.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { ObjectStore, readText } from "@localex/storage-core"
import { allKeys, layerFs } from "@localex/storage-core/testing"
import { Effect, Option } from "effect"
import * as Report from "../src/Report.js"

const check = (id: string, status: Report.CheckStatus): Report.CheckResult => ({
  id,
  title: `Check ${id}`,
  status,
  summary: `${id} is ${status}`,
  ...(status === "pass" ? {} : { hint: `fix ${id}` }),
  evidence: { id, n: 1 },
  durationMs: 12,
  attempts: status === "warn" ? 2 : 1
})

const report = (job: string, startedAt: string, leaseToken: number, checks: ReadonlyArray<Report.CheckResult>) => {
  const links = Report.reportKeys(job, new Date(startedAt), `run${leaseToken}`)
  const value: Report.ChecklistReport = {
    schemaVersion: 1,
    job,
    runId: `run${leaseToken}`,
    status: Report.overallStatus(checks),
    counts: Report.countStatuses(checks),
    runner: "host-1",
    leaseToken,
    location: "file:///tmp/x",
    trigger: "manual",
    startedAt,
    finishedAt: startedAt,
    durationMs: 1500,
    checks,
    links
  }
  return value
}

describe("Report status", () => {
  it("is the worst check; skips are neither pass nor failure; all skipped is a warning", () => {
    assert.strictEqual(Report.overallStatus([check("a", "pass"), check("b", "skip")]), "pass")
    assert.strictEqual(Report.overallStatus([check("a", "pass"), check("b", "warn")]), "warn")
    assert.strictEqual(Report.overallStatus([check("a", "fail"), check("b", "warn")]), "fail")
    assert.strictEqual(Report.overallStatus([check("a", "skip")]), "warn")
    assert.deepStrictEqual(Report.countStatuses([check("a", "skip"), check("b", "fail")]), {
      pass: 0,
      warn: 0,
      fail: 1,
      skip: 1
    })
  })

  it("keys live under _localex/reports/{job}/yyyy/mm/", () => {
    const keys = Report.reportKeys("daily", new Date("2026-03-04T05:06:07.089Z"), "abc")
    assert.strictEqual(keys.json, "_localex/reports/daily/2026/03/2026-03-04T05-06-07-089Z-abc.json")
    assert.strictEqual(keys.markdown, "_localex/reports/daily/2026/03/2026-03-04T05-06-07-089Z-abc.md")
  })
})

layer(layerFs())("Report in the store", (it) => {
  it.effect("writes JSON and Markdown and points latest.json at it", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const r = report("weekly", "2026-03-02T03:00:00.000Z", 1, [
        check("storage.stats", "pass"),
        check("cost.lifecycle", "warn"),
        check("backup.verify", "skip")
      ])
      assert.isTrue(yield* Report.write(store, r))
      assert.deepStrictEqual(yield* allKeys(store, "_localex/reports/weekly/"), [
        r.links.json,
        r.links.markdown,
        "_localex/reports/weekly/latest.json"
      ])
      assert.deepStrictEqual(JSON.parse(yield* readText(store, r.links.json)), r)
      const markdown = yield* readText(store, r.links.markdown)
      assert.include(markdown, "# weekly checklist — WARN")
      assert.include(markdown, "| Check cost.lifecycle (`cost.lifecycle`) | ⚠️ warn | cost.lifecycle is warn |")
      assert.include(markdown, "**What to do:** fix backup.verify")
      assert.include(markdown, "(2 attempts)")
      assert.deepStrictEqual(Option.getOrThrow(yield* Report.latest(store, "weekly")), r)
      // Writing the same run again is refused (create-only): a run never overwrites another's report.
      assert.strictEqual((yield* Effect.flip(Report.write(store, r)))._tag, "PreconditionFailed")
    })
  )

  it.effect("latest.json moves only to a newer run: a later start, or a higher lease token", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const first = report("monthly", "2026-03-01T04:00:00.000Z", 5, [check("a", "pass")])
      const older = report("monthly", "2026-02-01T04:00:00.000Z", 5, [check("a", "fail")])
      const staleToken = report("monthly", "2026-03-09T04:00:00.000Z", 4, [check("a", "fail")])
      const newer = report("monthly", "2026-04-01T04:00:00.000Z", 6, [check("a", "warn")])
      assert.isTrue(yield* Report.write(store, first))
      assert.isFalse(yield* Report.write(store, older))
      assert.isFalse(yield* Report.write(store, staleToken))
      assert.strictEqual(Option.getOrThrow(yield* Report.latest(store, "monthly")).runId, first.runId)
      assert.isTrue(yield* Report.write(store, newer))
      assert.strictEqual(Option.getOrThrow(yield* Report.latest(store, "monthly")).status, "warn")
      assert.isTrue(Option.isNone(yield* Report.latest(store, "quarterly")))
    })
  )
})
