/**
 * The runner against real stores: one run per slot however many runners try (fs and the local
 * Ceph RGW), takeover of a crashed runner's lease after expiry, a stalled runner that loses its
 * lease stops and writes nothing, reports stored with their content, retries of transient
 * failures, and the webhook told of a failure (within its deadline).
 */
import { assert, describe, layer } from "@effect/vitest"
import { testS3 } from "@localex/local-s3"
import { Report, StatsHistory } from "@localex/monitoring"
import {
  type BucketAdmin,
  Lease,
  ObjectStore,
  readText,
  type StorageConfigError,
  TransportError
} from "@localex/storage-core"
import { allKeys, layerFs, layerS3 } from "@localex/storage-core/testing"
import { Deferred, Duration, Effect, Fiber, type Layer, Option, Schedule } from "effect"
import { TestClock } from "effect/testing"
import { JOBS } from "../src/Jobs.js"
import { type RunOutcome, runJob } from "../src/Runner.js"
import { runSlot } from "../src/Scheduler.js"
import * as Schedules from "../src/Schedules.js"
import { check, flaky, job, passing, receiver, runnerLayer } from "./support.js"

const engine = testS3()
const live = TestClock.withLive

const exactlyOnce = (name: string, storeLayer: Layer.Layer<ObjectStore | BucketAdmin, StorageConfigError>) =>
  layer(storeLayer)(`one run per job on ${name}`, (it) => {
    it.effect("three runners started together on one slot: one runs it, the others find it done", () =>
      live(
        Effect.gen(function* () {
          const store = yield* ObjectStore
          // A yearly job: its last slot (1 January) is due until next year's.
          const j = job("slot-job", [passing], "0 0 1 1 *")
          const schedule = yield* Schedules.make(j.name, j.defaultSchedule, "UTC")
          const slot = schedule.previous(new Date())!
          const outcomes = yield* Effect.forEach(
            ["runner-a", "runner-b", "runner-c"],
            (runnerId) =>
              runSlot(j, schedule, slot, "schedule").pipe(
                Effect.provide(runnerLayer({ runnerId, leaseTtl: Duration.seconds(5) }))
              ),
            { concurrency: "unbounded" }
          )
          const tags = outcomes.map((o) => o._tag).sort()
          assert.deepStrictEqual(tags, ["AlreadyRan", "AlreadyRan", "Completed"])
          const reports = (yield* allKeys(store, Report.jobPrefix(j.name))).filter((k) => k.endsWith(".json"))
          assert.strictEqual(reports.length, 2, `one report and latest.json: ${reports.join(", ")}`)
          const latest = Option.getOrThrow(yield* Report.latest(store, j.name))
          assert.strictEqual(latest.scheduledFor, slot.toISOString())
          // Run again for the same slot later: still done.
          const again = yield* runSlot(j, schedule, slot, "schedule").pipe(
            Effect.provide(runnerLayer({ runnerId: "d" }))
          )
          assert.strictEqual(again._tag, "AlreadyRan")
        })
      )
    )

    it.effect("manual runs at once on several runners: one holds the lease, the others are told who", () =>
      live(
        Effect.gen(function* () {
          const gate = yield* Deferred.make<void>()
          const slow = check(
            "slow",
            Effect.as(Deferred.await(gate), { status: "pass" as const, summary: "ok", evidence: null })
          )
          const j = job("manual-job", [slow])
          const first = yield* runJob(j, { trigger: "manual" }).pipe(
            Effect.provide(runnerLayer({ runnerId: "runner-a" })),
            Effect.forkChild
          )
          const held = yield* runJob(j, { trigger: "manual" }).pipe(
            Effect.provide(runnerLayer({ runnerId: "runner-b" })),
            Effect.delay("300 millis")
          )
          assert.strictEqual(held._tag, "Held")
          assert.strictEqual(held._tag === "Held" ? held.holder : "", "runner-a")
          yield* Deferred.succeed(gate, undefined)
          const done = yield* Fiber.join(first)
          assert.strictEqual(done._tag, "Completed")
          // Handed back at the end: the next runner goes at once, with the next fencing token.
          const next = yield* runJob(j, { trigger: "manual" }).pipe(
            Effect.provide(runnerLayer({ runnerId: "runner-b" }))
          )
          assert.strictEqual(next._tag === "Completed" ? next.report.leaseToken : 0, 2)
        })
      )
    )
  })

exactlyOnce("fs", layerFs())
describe.skipIf(engine === undefined)("on the local RGW", () => {
  if (engine !== undefined) exactlyOnce("s3 (Ceph RGW)", layerS3(engine))
})

/** `store` whose lease writes and reads fail while `partitioned()` (a runner cut off from the store). */
const partitionable = (store: ObjectStore["Service"], partitioned: () => boolean): ObjectStore["Service"] => {
  const cut = (key: string) =>
    partitioned() && key.startsWith(Lease.LEASE_PREFIX)
      ? Effect.fail(new TransportError({ operation: "lease", detail: "network partition (test)" }))
      : Effect.void
  return ObjectStore.of({
    ...store,
    put: (key, body, options) => Effect.andThen(cut(key), store.put(key, body, options)),
    get: (key, options) => Effect.andThen(cut(key), store.get(key, options)),
    head: (key) => Effect.andThen(cut(key), store.head(key))
  })
}

const until = <A, E, R>(effect: Effect.Effect<A, E, R>, done: (a: A) => boolean) =>
  effect.pipe(Effect.filterOrFail(done), Effect.retry(Schedule.spaced("100 millis")), Effect.timeout("15 seconds"))

layer(layerFs())("takeover and fencing", (it) => {
  it.effect("a crashed runner's lease is taken over after it expires, with the next fencing token", () =>
    live(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const j = job("crashed-job", [passing])
        // runner-a took the lease and died without handing it back.
        const crashed = yield* Lease.acquire(store, { name: j.name, holder: "runner-a", ttl: "1 second" })
        const b = runnerLayer({ runnerId: "runner-b", leaseTtl: Duration.seconds(1) })
        const held = yield* runJob(j, { trigger: "manual" }).pipe(Effect.provide(b))
        assert.strictEqual(held._tag, "Held")
        const taken = yield* until(
          runJob(j, { trigger: "manual" }).pipe(Effect.provide(b)),
          (o) => o._tag === "Completed"
        )
        assert.strictEqual(taken._tag === "Completed" ? taken.report.leaseToken : 0, crashed.token + 1)
        assert.strictEqual(taken._tag === "Completed" ? taken.report.runner : "", "runner-b")
      })
    )
  )

  it.effect("a runner cut off past its lease's expiry stops: its checks are interrupted and it writes no report", () =>
    live(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        let partitioned = false
        const started = yield* Deferred.make<void>()
        let wroteAfterLoss = false
        const stuck = check(
          "stuck",
          Effect.gen(function* () {
            yield* Deferred.succeed(started, undefined)
            yield* Effect.sleep("30 seconds") // a stalled check
            wroteAfterLoss = true
            yield* (yield* ObjectStore).put("stuck/late-write", new Uint8Array([1]))
            return { status: "pass" as const, summary: "finished", evidence: null }
          })
        )
        const ttl = Duration.seconds(1)
        const a = yield* runJob(job("stall-job", [stuck]), { trigger: "manual" }).pipe(
          Effect.provide(runnerLayer({ runnerId: "runner-a", leaseTtl: ttl })),
          Effect.provideService(
            ObjectStore,
            partitionable(store, () => partitioned)
          ),
          Effect.forkChild
        )
        yield* Deferred.await(started)
        partitioned = true
        // runner-b takes over once runner-a's lease has expired.
        const b = yield* until(
          runJob(job("stall-job", [passing]), { trigger: "manual" }).pipe(
            Effect.provide(runnerLayer({ runnerId: "runner-b", leaseTtl: ttl }))
          ),
          (o) => o._tag === "Completed"
        )
        const lost: RunOutcome = yield* Fiber.join(a).pipe(Effect.timeout("10 seconds"))
        assert.strictEqual(lost._tag, "Lost")
        assert.isFalse(wroteAfterLoss)
        const keys = yield* allKeys(store, "")
        assert.isFalse(keys.includes("stuck/late-write"))
        const reports = keys.filter((k) => k.startsWith(Report.jobPrefix("stall-job")) && k.endsWith(".md"))
        assert.strictEqual(reports.length, 1)
        assert.strictEqual(b._tag === "Completed" ? b.report.runner : "", "runner-b")
        assert.strictEqual(Option.getOrThrow(yield* Report.latest(store, "stall-job")).runner, "runner-b")
      })
    )
  )
})

layer(layerFs())("reports and notifications", (it) => {
  it.effect("the weekly job's report: clean-up plan, statistics, drift skipped on fs, pending checks skipped", () =>
    live(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        yield* store.put("items/1/photo.jpg", new Uint8Array(2048))
        yield* store.put("temp/upload.bin", new Uint8Array(100), { metadata: { "expires-at": "2000-01-01T00:00:00Z" } })
        const weekly = JOBS.find((j) => j.name === "weekly")!
        const outcome = yield* runJob(weekly, { trigger: "manual" }).pipe(Effect.provide(runnerLayer()))
        assert.strictEqual(outcome._tag, "Completed")
        if (outcome._tag !== "Completed") return
        const report = outcome.report
        const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]))
        assert.strictEqual(byId["cleanup.expired"]?.status, "warn")
        assert.include(byId["cleanup.expired"]?.summary ?? "", "1 expired files (100 B)")
        assert.strictEqual(byId["storage.statistics"]?.status, "pass")
        assert.include(byId["storage.statistics"]?.summary ?? "", "2 objects")
        assert.strictEqual(byId["cost.lifecycle"]?.status, "skip")
        assert.include(byId["cost.lifecycle"]?.summary ?? "", "fs driver")
        assert.strictEqual(byId["cdn.performance"]?.status, "skip")
        assert.include(byId["cdn.performance"]?.summary ?? "", "not configured: set LOCALEX_CDN_DISTRIBUTION_ID")
        assert.strictEqual(report.status, "warn")
        assert.deepStrictEqual(report.counts, { pass: 1, warn: 1, fail: 0, skip: 3 })
        // Dry run: the expired file is still there.
        assert.isTrue(yield* store.exists("temp/upload.bin"))
        // The statistics were kept as a snapshot: the dashboard's growth over time.
        const history = yield* StatsHistory.read(store)
        assert.deepStrictEqual(
          history.snapshots.map((s) => s.totals),
          [{ objects: 2, bytes: 2148 }]
        )
        assert.deepStrictEqual(JSON.parse(yield* readText(store, report.links.json)), report)
        const markdown = yield* readText(store, report.links.markdown)
        assert.include(markdown, "# weekly checklist — WARN")
        assert.include(markdown, "| Clean up expired files (`cleanup.expired`) | ⚠️ warn |")
        assert.include(markdown, "LOCALEX_CRON_CLEANUP=delete")
      })
    )
  )

  it.effect("with LOCALEX_CRON_CLEANUP=delete the weekly job deletes the expired files", () =>
    live(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        yield* store.put("temp/old.bin", new Uint8Array(10), { metadata: { "expires-at": "2000-01-01T00:00:00Z" } })
        const weekly = JOBS.find((j) => j.name === "weekly")!
        const outcome = yield* runJob(weekly, { trigger: "manual" }).pipe(
          Effect.provide(runnerLayer({ cleanup: "delete" }))
        )
        const cleanup =
          outcome._tag === "Completed" ? outcome.report.checks.find((c) => c.id === "cleanup.expired") : undefined
        assert.strictEqual(cleanup?.status, "pass")
        assert.match(cleanup?.summary ?? "", /^deleted 2 of 2 expired files/)
        assert.isFalse(yield* store.exists("temp/old.bin"))
      })
    )
  )

  it.effect("transient failures are retried with backoff; a check still failing is a fail with its message", () =>
    live(
      Effect.gen(function* () {
        const outcome = yield* runJob(job("retry-job", [flaky(2), flaky(10)]), { trigger: "manual" }).pipe(
          Effect.provide(runnerLayer({ retries: 3 }))
        )
        assert.strictEqual(outcome._tag, "Completed")
        const [recovered, failing] = outcome._tag === "Completed" ? outcome.report.checks : []
        assert.strictEqual(recovered?.status, "pass")
        assert.strictEqual(recovered?.attempts, 3)
        assert.strictEqual(failing?.status, "fail")
        assert.strictEqual(failing?.attempts, 4)
        assert.include(failing?.summary ?? "", "connection reset")
      })
    )
  )

  it.effect("a failed run is posted to the webhook; a webhook that never answers is given up at its deadline", () =>
    live(
      Effect.gen(function* () {
        const failing = check(
          "broken",
          Effect.succeed({ status: "fail" as const, summary: "quota exceeded", evidence: null, hint: "clean up" })
        )
        const hook = yield* Effect.acquireRelease(
          Effect.promise(() => receiver()),
          (r) => Effect.promise(r.close)
        )
        const outcome = yield* runJob(job("notify-job", [failing, passing]), { trigger: "manual" }).pipe(
          Effect.provide(runnerLayer({ webhookUrl: Option.some(hook.url) }))
        )
        assert.strictEqual(outcome._tag === "Completed" ? outcome.notified : "", "sent")
        assert.strictEqual(hook.bodies.length, 1)
        const text = (hook.bodies[0] as { text: string }).text
        assert.include(text, "LocalEx notify-job checklist: FAIL")
        assert.include(text, "*Check broken*: quota exceeded — clean up")
        assert.notInclude(text, "Check ok")

        // A passing run is not posted.
        yield* runJob(job("quiet-job", [passing]), { trigger: "manual" }).pipe(
          Effect.provide(runnerLayer({ webhookUrl: Option.some(hook.url) }))
        )
        assert.strictEqual(hook.bodies.length, 1)

        const silent = yield* Effect.acquireRelease(
          Effect.promise(() => receiver(false)),
          (r) => Effect.promise(r.close)
        )
        const [elapsed, stalled] = yield* runJob(job("stall-hook", [failing]), { trigger: "manual" }).pipe(
          Effect.provide(runnerLayer({ webhookUrl: Option.some(silent.url), webhookTimeout: Duration.millis(300) })),
          Effect.timed
        )
        assert.strictEqual(stalled._tag === "Completed" ? stalled.notified : "", "failed")
        assert.strictEqual(silent.bodies.length, 1)
        assert.isBelow(Duration.toMillis(elapsed), 5000)
        const store = yield* ObjectStore
        assert.isTrue(Option.isSome(yield* Report.latest(store, "stall-hook")))
      })
    ).pipe(Effect.scoped)
  )
})
