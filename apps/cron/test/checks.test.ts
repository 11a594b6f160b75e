/**
 * The checks wired to their packages, run by the runner on a real fs store: the cost analysis
 * (estimate and advice from the statistics), the backup verification against a real (empty)
 * backup folder, and the checks whose settings are missing reporting `skip` (never a pass).
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { assert, layer } from "@effect/vitest"
import { ObjectStore } from "@localex/storage-core"
import { layerFs } from "@localex/storage-core/testing"
import { Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { costAnalysis } from "../src/checks/analysis.js"
import { completion } from "../src/checks/backup.js"
import { findJob } from "../src/Jobs.js"
import { runJob } from "../src/Runner.js"
import { job, runnerLayer } from "./support.js"

const live = TestClock.withLive

const checksOf = (name: string, overrides: Parameters<typeof runnerLayer>[0] = {}) =>
  Effect.gen(function* () {
    const outcome = yield* runJob(findJob(name)!, { trigger: "manual" }).pipe(Effect.provide(runnerLayer(overrides)))
    assert.strictEqual(outcome._tag, "Completed")
    return outcome._tag === "Completed" ? Object.fromEntries(outcome.report.checks.map((c) => [c.id, c])) : {}
  })

layer(layerFs())("checks wired to their packages (fs)", (it) => {
  it.effect(
    "cost.analysis: an empty store passes with its estimate; an oversized original is advised as a saving",
    () =>
      live(
        Effect.gen(function* () {
          const run = (name: string) =>
            Effect.map(
              runJob(job(name, [costAnalysis]), { trigger: "manual" }).pipe(Effect.provide(runnerLayer())),
              (o) => (o._tag === "Completed" ? o.report.checks[0] : undefined)
            )
          const empty = yield* run("cost-empty")
          assert.strictEqual(empty?.status, "pass")
          assert.match(empty?.summary ?? "", /^\$0\.00 a month estimated in [a-z0-9-]+; no savings found$/)

          const store = yield* ObjectStore
          yield* store.put("items/1/photo.jpg", new Uint8Array(4096))
          // An original of 12 MiB: over the 10 MiB the advice re-encodes.
          yield* store.put("items/1/photos/h1/original.jpg", new Uint8Array(12 * 1024 * 1024))
          const found = yield* run("cost-found")
          assert.strictEqual(found?.status, "warn")
          assert.match(found?.summary ?? "", /a month estimated in .*; 1 savings worth \$[0-9.]+ a month/)
          const evidence = found?.evidence as {
            advice: Array<{ kind: string }>
            estimate: { metrics: { total: number } }
          }
          assert.deepStrictEqual(
            evidence.advice.map((a) => a.kind),
            ["oversized-originals"]
          )
          assert.isAbove(evidence.estimate.metrics.total, 0)
          assert.isDefined(found?.hint)
        })
      )
  )

  it.effect("without their settings the CloudWatch, backup and CDN checks are skipped, naming the setting", () =>
    live(
      Effect.gen(function* () {
        const daily = yield* checksOf("daily")
        for (const id of ["metrics.review", "errors.rate"]) {
          assert.strictEqual(daily[id]?.status, "skip", id)
          assert.include(daily[id]?.summary ?? "", "not configured: set LOCALEX_CRON_CLOUDWATCH_BUCKET")
        }
        assert.strictEqual(daily["backup.completion"]?.status, "skip")
        assert.include(daily["backup.completion"]?.summary ?? "", "not configured: set LOCALEX_CRON_BACKUP_DESTINATION")
        const quarterly = yield* checksOf("quarterly")
        assert.strictEqual(quarterly["monitoring.alarms"]?.status, "skip")
        assert.strictEqual(quarterly["backup.dr-test"]?.status, "skip")
        assert.include(quarterly["security.iam"]?.summary ?? "", "not configured: set LOCALEX_STORAGE_DRIVER=s3")
      })
    )
  )

  it.effect("backup.completion against a backup folder without a snapshot fails, saying so", () =>
    live(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        yield* store.put("items/2/photo.jpg", new Uint8Array(10))
        const backup = mkdtempSync(path.join(tmpdir(), "cron-backup-"))
        const outcome = yield* runJob(job("backup-check", [completion]), { trigger: "manual" }).pipe(
          Effect.provide(runnerLayer({ backupDestination: Option.some(backup), retries: 0 }))
        )
        const check = outcome._tag === "Completed" ? outcome.report.checks[0] : undefined
        assert.strictEqual(check?.status, "fail")
        assert.include(check?.summary ?? "", "snapshot exists: no snapshot report")
        assert.include(check?.hint ?? "", "backup snapshot")
      })
    )
  )
})
