/**
 * The access-log security report over the committed fixture `fixtures/security-access.log`
 * (S3's record format; one window, 2026-11-30 10:00–11:00 UTC, and a baseline day before it):
 * - 198.51.100.7, anonymous: 12 GETs denied 5 s apart (a burst) and one denied DELETE;
 * - the intruder from 203.0.113.9: 15 denied GETs 10 s apart (never 10 within a minute), two
 *   denied DELETEs, then 10 denied GETs within 10 s (a burst); then a multi-object delete of 60
 *   keys within a minute (a bulk delete by a requester who never deleted before);
 * - 192.0.2.50, anonymous: 3 GETs that succeeded;
 * - the app: 2 deletes (it did not delete in the baseline) and one of a missing key (404);
 * - the clean-up role: 5 deletes (it deleted in the baseline too);
 * - 6 records outside the window's day range or the window, 1 malformed line, 1 blank line.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it, layer } from "@effect/vitest"
import { ObjectStore } from "@localex/storage-core"
import * as Testing from "@localex/storage-core/testing"
import { Effect } from "effect"
import { AccessLogReport, analyze, type SecurityLogReport } from "../src/AccessLogReport.js"

const fixture = join(import.meta.dirname, "fixtures/security-access.log")
const window = { since: Date.parse("2026-11-30T10:00:00Z"), until: Date.parse("2026-11-30T11:00:00Z") }
const APP = "arn:aws:iam::123456789012:user/app"
const CLEANUP = "arn:aws:iam::123456789012:role/cleanup"
const INTRUDER = "arn:aws:iam::123456789012:user/intruder"

const assertFixtureReport = (report: SecurityLogReport) => {
  assert.strictEqual(report.records, 112)
  assert.strictEqual(report.malformed, 1)
  assert.deepStrictEqual(report.baseline, {
    since: "2026-11-23T10:00:00.000Z",
    until: "2026-11-30T10:00:00.000Z",
    records: 5
  })
  assert.strictEqual(report.forbidden.count, 40)
  assert.deepStrictEqual(report.forbidden.burstsByIp, [
    {
      name: "198.51.100.7",
      bursts: 1,
      peak: 12,
      first: "2026-11-30T10:05:00.000Z",
      last: "2026-11-30T10:05:55.000Z",
      total: 13
    },
    {
      name: "203.0.113.9",
      bursts: 1,
      peak: 10,
      first: "2026-11-30T10:30:00.000Z",
      last: "2026-11-30T10:30:09.000Z",
      total: 27
    }
  ])
  assert.deepStrictEqual(
    report.forbidden.burstsByRequester.map((b) => [b.name, b.bursts, b.peak, b.total]),
    [
      ["(anonymous)", 1, 12, 13],
      [INTRUDER, 1, 10, 27]
    ]
  )
  assert.deepStrictEqual(report.anonymous, {
    count: 16,
    denied: 13,
    succeeded: 3,
    byIp: [
      { name: "198.51.100.7", count: 13 },
      { name: "192.0.2.50", count: 3 }
    ],
    byOperation: [
      { name: "REST.GET.OBJECT", count: 15 },
      { name: "REST.DELETE.OBJECT", count: 1 }
    ]
  })
  assert.strictEqual(report.deletes.succeeded, 67)
  assert.deepStrictEqual(report.deletes.byRequester, [
    { name: INTRUDER, count: 60 },
    { name: CLEANUP, count: 5 },
    { name: APP, count: 2 }
  ])
  assert.deepStrictEqual(report.deletes.failed, {
    count: 4,
    byRequester: [
      { name: INTRUDER, count: 2 },
      { name: "(anonymous)", count: 1 },
      { name: APP, count: 1 }
    ],
    byKey: [
      { name: "items/9/x.jpg", count: 2 },
      { name: "items/missing.jpg", count: 1 },
      { name: "profiles/u1/photo.jpg", count: 1 }
    ],
    byErrorCode: [
      { name: "AccessDenied", count: 3 },
      { name: "NoSuchKey", count: 1 }
    ]
  })
  assert.deepStrictEqual(report.deletes.newDeleters, [
    { requester: INTRUDER, deletes: 60 },
    { requester: APP, deletes: 2 }
  ])
  assert.deepStrictEqual(report.deletes.bulk, [
    {
      name: INTRUDER,
      bursts: 1,
      peak: 60,
      first: "2026-11-30T10:40:00.000Z",
      last: "2026-11-30T10:40:59.000Z",
      total: 60
    }
  ])
  assert.isFalse(report.truncated)
}

describe("AccessLogReport on the fixture log", () => {
  it.effect("403 bursts, anonymous attempts, failed, new and bulk deletes: exact counts", () =>
    Effect.gen(function* () {
      const report = yield* (yield* AccessLogReport).analyze({ _tag: "Path", path: fixture }, window)
      assertFixtureReport(report)
      assert.strictEqual(report.sources, 1)
      assert.strictEqual(report.outsideWindow, 3)
    }).pipe(Effect.provide(AccessLogReport.layer))
  )

  it.effect("thresholds are options: a lower burst count finds the spaced-out 403s; known deleters are usual", () =>
    Effect.gen(function* () {
      const report = yield* analyze(
        { _tag: "Path", path: fixture },
        { ...window, burstCount: 6, bulkDeleteCount: 61, knownDeleters: [APP] }
      )
      const intruder = report.forbidden.burstsByRequester.find((b) => b.name === INTRUDER)
      // 10 s apart, a minute holds 6 of them: a burst from the first (10:10:00); the later burst is a second one.
      assert.deepStrictEqual(intruder && [intruder.bursts, intruder.first, intruder.peak], [
        2,
        "2026-11-30T10:10:00.000Z",
        10
      ])
      assert.deepStrictEqual(report.deletes.bulk, [])
      assert.deepStrictEqual(report.deletes.newDeleters, [{ requester: INTRUDER, deletes: 60 }])
    })
  )

  it.effect("without a window: no baseline, every record counts, every deleter is new", () =>
    Effect.gen(function* () {
      const report = yield* analyze({ _tag: "Path", path: fixture })
      assert.isNull(report.baseline)
      assert.strictEqual(report.records, 120)
      assert.strictEqual(report.outsideWindow, 0)
      assert.deepStrictEqual(
        report.deletes.newDeleters.map((d) => [d.requester, d.deletes]),
        [
          [INTRUDER, 60],
          [CLEANUP, 7],
          [APP, 2]
        ]
      )
    })
  )

  it.effect("bad options and a missing path are typed errors", () =>
    Effect.gen(function* () {
      const bad = yield* Effect.flip(analyze({ _tag: "Path", path: fixture }, { ...window, burstCount: 0 }))
      assert.strictEqual(bad._tag, "InvalidReportOption")
      const backwards = yield* Effect.flip(analyze({ _tag: "Path", path: fixture }, { since: 2, until: 1 }))
      assert.strictEqual(backwards._tag, "InvalidReportOption")
      const missing = yield* Effect.flip(analyze({ _tag: "Path", path: `${fixture}.nope` }, window))
      assert.strictEqual(missing._tag, "AccessLogSourceError")
    })
  )
})

layer(Testing.layerMemory())("AccessLogReport on a store prefix", (it) => {
  it.effect("reads the window's day prefixes (date-partitioned keys) with the same counts", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* store.put("logs/2026/11/30/access-1.log", new Uint8Array(readFileSync(fixture)))
      // A day outside the window and its baseline: never read.
      yield* store.put("logs/2026/10/01/other.log", new TextEncoder().encode("not read at all\n"))
      const report = yield* analyze({ _tag: "Store", store, prefix: "logs/" }, window)
      assertFixtureReport(report)
      assert.strictEqual(report.sources, 1)
    })
  )
})
