/**
 * Schedules: cron expressions in a time zone (across a DST change), invalid ones refused, the
 * missed-run policy, and the scheduler's loop driven by TestClock on the in-memory store.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Report } from "@localex/monitoring"
import { ObjectStore } from "@localex/storage-core"
import { layerMemory } from "@localex/storage-core/testing"
import { Effect, Fiber, Option, Schedule } from "effect"
import { TestClock } from "effect/testing"
import { loop, runSlot } from "../src/Scheduler.js"
import * as Schedules from "../src/Schedules.js"
import { job, passing, runnerLayer } from "./support.js"

describe("Schedules", () => {
  it.effect("the next slot is computed in the job's time zone, across daylight saving time", () =>
    Effect.gen(function* () {
      const berlin = yield* Schedules.make("daily", "0 6 * * *", "Europe/Berlin")
      // 06:00 in Berlin is 05:00 UTC in winter (CET) and 04:00 UTC in summer (CEST, from 29 March 2026).
      assert.strictEqual(berlin.next(new Date("2026-03-27T12:00:00Z"))?.toISOString(), "2026-03-28T05:00:00.000Z")
      assert.strictEqual(berlin.next(new Date("2026-03-28T12:00:00Z"))?.toISOString(), "2026-03-29T04:00:00.000Z")
      const utc = yield* Schedules.make("daily", "0 6 * * *", "UTC")
      assert.strictEqual(utc.next(new Date("2026-03-28T12:00:00Z"))?.toISOString(), "2026-03-29T06:00:00.000Z")
      const quarterly = yield* Schedules.make("quarterly", "0 9 1 1,4,7,10 *", "UTC")
      assert.strictEqual(quarterly.next(new Date("2026-02-10T00:00:00Z"))?.toISOString(), "2026-04-01T09:00:00.000Z")
      assert.strictEqual(
        quarterly.previous(new Date("2026-02-10T00:00:00Z"))?.toISOString(),
        "2026-01-01T09:00:00.000Z"
      )
      // A slot exactly now is the previous one.
      assert.strictEqual(utc.previous(new Date("2026-03-29T06:00:00Z"))?.toISOString(), "2026-03-29T06:00:00.000Z")
    })
  )

  it.effect("an invalid expression or time zone is a typed error naming the variable to fix", () =>
    Effect.gen(function* () {
      const bad = yield* Effect.flip(Schedules.make("weekly", "61 * * * *", "UTC"))
      assert.strictEqual(bad._tag, "InvalidSchedule")
      assert.include(bad.message, "LOCALEX_CRON_SCHEDULE_WEEKLY")
      const zone = yield* Effect.flip(Schedules.make("daily", "0 6 * * *", "Mars/Olympus_Mons"))
      assert.strictEqual(zone._tag, "InvalidSchedule")
    })
  )

  it.effect("missed runs: run-once catches up the last missed slot once; skip and a first start do not", () =>
    Effect.gen(function* () {
      const daily = yield* Schedules.make("daily", "0 6 * * *", "UTC")
      const now = new Date("2026-03-10T12:00:00Z")
      const lastRun = new Date("2026-03-07T06:00:00Z") // three slots missed
      assert.strictEqual(
        Schedules.missedSlot(daily, lastRun, now, "run-once")?.toISOString(),
        "2026-03-10T06:00:00.000Z"
      )
      assert.isUndefined(Schedules.missedSlot(daily, lastRun, now, "skip"))
      assert.isUndefined(Schedules.missedSlot(daily, undefined, now, "run-once"))
      assert.isUndefined(Schedules.missedSlot(daily, new Date("2026-03-10T06:00:00Z"), now, "run-once"))
    })
  )
})

/** Waits (bounded, in real time) until the job's latest report satisfies `done`. */
const latestWhere = (name: string, done: (r: Report.ChecklistReport) => boolean) =>
  TestClock.withLive(
    Effect.gen(function* () {
      const store = yield* ObjectStore
      return yield* Report.latest(store, name).pipe(
        Effect.flatMap((r) => (Option.isSome(r) && done(r.value) ? Effect.succeed(r.value) : Effect.fail("not yet"))),
        Effect.retry(Schedule.spaced("10 millis")),
        Effect.timeout("5 seconds")
      )
    })
  )

layer(layerMemory())("the scheduler on TestClock", (it) => {
  it.effect("runs each slot when the clock reaches it, and not before", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const hourly = job("hourly-job", [passing], "0 * * * *")
      yield* TestClock.setTime(Date.parse("2026-06-01T09:30:00Z"))
      const fiber = yield* loop(hourly).pipe(Effect.provide(runnerLayer()), Effect.forkChild)
      yield* TestClock.adjust("29 minutes")
      assert.isTrue(Option.isNone(yield* Report.latest(store, "hourly-job")))
      yield* TestClock.adjust("1 minute")
      const first = yield* latestWhere("hourly-job", () => true)
      assert.strictEqual(first.scheduledFor, "2026-06-01T10:00:00.000Z")
      assert.strictEqual(first.trigger, "schedule")
      yield* TestClock.adjust("1 hour")
      const second = yield* latestWhere("hourly-job", (r) => r.scheduledFor === "2026-06-01T11:00:00.000Z")
      assert.strictEqual(second.startedAt, "2026-06-01T11:00:00.000Z")
      yield* Fiber.interrupt(fiber)
    })
  )

  it.effect("after downtime, run-once catches up the missed slot at start; skip waits for the next", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const catchUp = job("catch-up-job", [passing], "0 6 * * *")
      const skipper = job("skip-job", [passing], "0 6 * * *")
      // Both last ran on 1 June; the runner comes back on 4 June at noon.
      yield* TestClock.setTime(Date.parse("2026-06-01T06:00:00Z"))
      for (const j of [catchUp, skipper]) {
        const schedule = yield* Schedules.make(j.name, j.defaultSchedule, "UTC")
        yield* runSlot(j, schedule, new Date("2026-06-01T06:00:00Z"), "schedule").pipe(Effect.provide(runnerLayer()))
      }
      yield* TestClock.setTime(Date.parse("2026-06-04T12:00:00Z"))
      const a = yield* loop(catchUp).pipe(Effect.provide(runnerLayer({ missed: "run-once" })), Effect.forkChild)
      const b = yield* loop(skipper).pipe(Effect.provide(runnerLayer({ missed: "skip" })), Effect.forkChild)
      const caught = yield* latestWhere("catch-up-job", (r) => r.trigger === "missed")
      assert.strictEqual(caught.scheduledFor, "2026-06-04T06:00:00.000Z")
      assert.strictEqual(caught.startedAt, "2026-06-04T12:00:00.000Z")
      const skipped = Option.getOrThrow(yield* Report.latest(store, "skip-job"))
      assert.strictEqual(skipped.startedAt, "2026-06-01T06:00:00.000Z")
      yield* TestClock.adjust("18 hours")
      const next = yield* latestWhere("skip-job", (r) => r.scheduledFor === "2026-06-05T06:00:00.000Z")
      assert.strictEqual(next.trigger, "schedule")
      yield* Fiber.interrupt(a)
      yield* Fiber.interrupt(b)
    })
  )
})
