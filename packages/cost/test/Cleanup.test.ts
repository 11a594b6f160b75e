/**
 * Expired-file cleanup and the deletion mechanism it shares with orphans: plans, dry runs,
 * manifests, batched re-checked deletes, the safety limit, idempotence — on fs with the
 * TestClock setting every object's age, then on Ceph RGW (metadata and tag expiry).
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { testS3 } from "@localex/local-s3"
import { DeletionPlan, ObjectStore } from "@localex/storage-core"
import * as Testing from "@localex/storage-core/testing"
import { Duration, Effect, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { afterAll } from "vitest"
import * as Cleanup from "../src/Cleanup.js"
import { ExpiredCleanup, parseExpiresAt, parseRule } from "../src/Cleanup.js"

const engine = testS3()

const HOUR = 3_600_000
const NOW = Date.parse("2026-06-01T12:00:00Z")

describe("rules and expiry values", () => {
  it("parses CLI rules and expires-at values", () => {
    const rule = parseRule("uploads/=7d")
    assert.strictEqual(rule?.prefix, "uploads/")
    assert.strictEqual(Duration.toMillis(Duration.fromInputUnsafe(rule!.maxAge)), 7 * 24 * HOUR)
    assert.strictEqual(parseRule("temp/"), undefined)
    assert.strictEqual(parseRule("temp/=soon"), undefined)
    assert.strictEqual(parseExpiresAt("2026-06-01T00:00:00Z"), Date.parse("2026-06-01T00:00:00Z"))
    assert.strictEqual(parseExpiresAt("1780000000"), 1_780_000_000_000)
    assert.strictEqual(parseExpiresAt("next tuesday"), undefined)
  })

  it("the safety limit: count, share above a floor", () => {
    assert.isFalse(
      DeletionPlan.assessSafety(10, 10, DeletionPlan.DEFAULT_SAFETY).exceeded,
      "small plans may delete everything"
    )
    assert.isTrue(DeletionPlan.assessSafety(101, 200, DeletionPlan.DEFAULT_SAFETY).exceeded)
    assert.isFalse(DeletionPlan.assessSafety(101, 1000, DeletionPlan.DEFAULT_SAFETY).exceeded)
    const over = DeletionPlan.assessSafety(10_001, 1_000_000, DeletionPlan.DEFAULT_SAFETY)
    assert.isTrue(over.exceeded)
    assert.include(over.reason ?? "", "10001 objects")
  })
})

/** Key, size, age in hours, metadata. */
const POPULATION: ReadonlyArray<readonly [string, number, number, Record<string, string>?]> = [
  ["temp/old-1.bin", 100, 25],
  ["temp/old-2.bin", 200, 48],
  ["temp/fresh.bin", 300, 23],
  ["temp/nested/old.bin", 50, 30],
  ["items/i1/photos/h/thumb.webp", 10, 1000],
  ["items/i2/offer.pdf", 20, 2, { "expires-at": new Date(NOW - HOUR).toISOString() }],
  ["items/i3/offer.pdf", 30, 2, { "expires-at": String(Math.floor((NOW + HOUR) / 1000)) }],
  ["items/i4/offer.pdf", 40, 2, { "expires-at": "whenever" }],
  ["profiles/u1/old.txt", 60, 5, { "expires-at": String(Math.floor((NOW - 1000) / 1000)) }],
  ["tempfile-not-in-temp.bin", 70, 100]
]
const EXPIRED = ["items/i2/offer.pdf", "profiles/u1/old.txt", "temp/nested/old.bin", "temp/old-1.bin", "temp/old-2.bin"]

const seed = Effect.gen(function* () {
  const store = yield* ObjectStore
  for (const [key, size, ageHours, metadata] of POPULATION) {
    yield* TestClock.setTime(NOW - ageHours * HOUR)
    yield* Testing.putAll(store, [{ key, size, ...(metadata === undefined ? {} : { metadata }) }])
  }
  yield* TestClock.setTime(NOW)
})

const keysOf = (candidates: ReadonlyArray<DeletionPlan.DeletionCandidate>) => candidates.map((c) => c.key)

layer(Layer.provideMerge(Cleanup.layer, Testing.layerFs()))("expired cleanup on fs", (it) => {
  it.effect("plans temp/ older than 24 h and passed expires-at, with reasons; a dry run changes nothing", () =>
    Effect.gen(function* () {
      yield* seed
      const store = yield* ObjectStore
      const before = yield* Testing.allKeys(store)
      const cleanup = yield* ExpiredCleanup
      const outcome = yield* cleanup.run({ dryRun: true })
      const plan = outcome.plan
      assert.strictEqual(outcome.report, null)
      assert.deepStrictEqual(keysOf(plan.candidates), EXPIRED)
      assert.deepStrictEqual(plan.totals, { objects: 5, bytes: 20 + 60 + 50 + 100 + 200 })
      assert.deepStrictEqual(plan.population, { objects: 10, bytes: 880 })
      assert.strictEqual(plan.createdAt, new Date(NOW).toISOString())
      assert.include(
        plan.candidates.find((c) => c.key === "temp/old-2.bin")?.reason ?? "",
        'older than 1d under "temp/" (age 2d)'
      )
      assert.include(plan.candidates.find((c) => c.key === "items/i2/offer.pdf")?.reason ?? "", "expires-at")
      assert.deepStrictEqual(plan.warnings, ['items/i4/offer.pdf: expires-at "whenever" is not a time; kept'])
      assert.isFalse(plan.safety.exceeded)
      assert.deepStrictEqual(yield* Testing.allKeys(store), before, "a dry run deletes nothing and writes no report")
    })
  )

  it.effect(
    "a real run writes the manifest first, deletes exactly the plan, writes the result; twice deletes nothing",
    () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const cleanup = yield* ExpiredCleanup
        const first = yield* cleanup.run()
        const report = first.report!
        assert.deepStrictEqual(report.deleted, first.plan.totals)
        assert.deepStrictEqual(report.skipped, [])
        assert.deepStrictEqual(report.failed, [])
        assert.strictEqual(report.manifestKey, `_localex/reports/cleanup/${DeletionPlan.stamp(NOW)}-expired-plan.json`)
        assert.strictEqual(report.reportKey, `_localex/reports/cleanup/${DeletionPlan.stamp(NOW)}-expired-result.json`)
        const manifest = yield* DeletionPlan.readManifest(store, report.manifestKey!)
        assert.deepStrictEqual(manifest, JSON.parse(JSON.stringify(first.plan)), "the manifest is the plan")
        const written = JSON.parse(
          yield* (yield* store.get(report.reportKey!)).body.pipe(Stream.decodeText, Stream.mkString)
        )
        assert.deepStrictEqual(written.deleted, report.deleted)
        const left = yield* Testing.allKeys(store)
        assert.deepStrictEqual(
          left,
          [
            ...POPULATION.map(([key]) => key).filter((key) => !EXPIRED.includes(key)),
            report.manifestKey!,
            report.reportKey!
          ].sort()
        )

        yield* TestClock.adjust(1000)
        const second = yield* cleanup.run()
        assert.strictEqual(second.plan.totals.objects, 0)
        assert.deepStrictEqual(second.report?.deleted, { objects: 0, bytes: 0 })
        assert.strictEqual(second.report?.manifestKey, null, "nothing to delete, nothing written")
        assert.deepStrictEqual(yield* Testing.allKeys(store), left)
      })
  )

  it.effect("custom rules and an expiry scope; expires-at can be switched off", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* TestClock.setTime(NOW - 3 * HOUR)
      yield* Testing.putAll(store, [
        { key: "uploads/a", size: 1 },
        { key: "items/x/y", size: 2, metadata: { "expires-at": new Date(NOW - HOUR).toISOString() } }
      ])
      yield* TestClock.setTime(NOW)
      const cleanup = yield* ExpiredCleanup
      const plan = yield* cleanup.plan({ rules: [{ prefix: "uploads/", maxAge: "2 hours" }], expiresAtPrefixes: [] })
      assert.deepStrictEqual(keysOf(plan.candidates), ["uploads/a"])
      const scoped = yield* cleanup.plan({ rules: [], expiresAtPrefixes: ["items/x/"] })
      assert.deepStrictEqual(keysOf(scoped.candidates), ["items/x/y"])
    })
  )

  it.effect("tags need S3: on fs they fail with UnsupportedByDriver", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip((yield* ExpiredCleanup).plan({ rules: [], tags: true }))
      assert.strictEqual(error._tag, "UnsupportedByDriver")
    })
  )
})

layer(Layer.provideMerge(Cleanup.layer, Testing.layerFs()))("the safety limit and re-checks on fs", (it) => {
  it.effect("a plan over the limit is refused with the numbers, nothing written or deleted; force runs it", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* TestClock.setTime(NOW - 48 * HOUR)
      yield* Testing.putAll(
        store,
        Array.from({ length: 30 }, (_, i) => ({ key: `temp/t${String(i).padStart(2, "0")}`, size: 10 }))
      )
      yield* Testing.putAll(store, [{ key: "items/keep", size: 5 }])
      yield* TestClock.setTime(NOW)
      const cleanup = yield* ExpiredCleanup
      const before = yield* Testing.allKeys(store)

      const byCount = yield* Effect.flip(cleanup.run({ safety: { maxObjects: 20 } }))
      assert.strictEqual(byCount._tag, "SafetyLimitExceeded")
      if (byCount._tag === "SafetyLimitExceeded") {
        assert.strictEqual(byCount.objects, 30)
        assert.strictEqual(byCount.bytes, 300)
        assert.strictEqual(byCount.population, 31)
        assert.strictEqual(byCount.maxObjects, 20)
        assert.include(byCount.message, "30 objects")
      }
      const byShare = yield* Effect.flip(cleanup.run({ safety: { shareAppliesAbove: 10 } }))
      assert.strictEqual(byShare._tag, "SafetyLimitExceeded")
      const dry = yield* cleanup.run({ dryRun: true, safety: { shareAppliesAbove: 10 } })
      assert.isTrue(dry.plan.safety.exceeded, "a dry run shows the limit would stop the real run")
      assert.deepStrictEqual(yield* Testing.allKeys(store), before, "refused: nothing deleted, no manifest")

      const forced = yield* cleanup.run({ safety: { maxObjects: 20 }, force: true, batchSize: 7 })
      assert.strictEqual(forced.report?.deleted.objects, 30)
      assert.deepStrictEqual(
        (yield* Testing.allKeys(store)).filter((k) => !k.startsWith("_localex/")),
        ["items/keep"]
      )
    })
  )

  it.effect("objects changed or deleted after planning are skipped, not deleted", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* TestClock.setTime(NOW - 48 * HOUR)
      yield* Testing.putAll(store, [
        { key: "temp/a", size: 1 },
        { key: "temp/b", size: 2 },
        { key: "temp/c", size: 3 },
        { key: "temp/d", size: 4 }
      ])
      yield* TestClock.setTime(NOW)
      const cleanup = yield* ExpiredCleanup
      const plan = yield* cleanup.plan()
      assert.deepStrictEqual(keysOf(plan.candidates), ["temp/a", "temp/b", "temp/c", "temp/d"])

      yield* TestClock.adjust(5000)
      yield* store.put("temp/b", new Uint8Array([9, 9])) // rewritten: same size, new time
      yield* store.put("temp/c", new Uint8Array(30)) // rewritten: new size
      yield* store.delete("temp/d")
      const report = yield* DeletionPlan.execute(store, plan)
      assert.deepStrictEqual(report.deleted, { objects: 1, bytes: 1 })
      assert.deepStrictEqual(
        report.skipped.map((s) => [s.key, s.reason]),
        [
          ["temp/b", "changed"],
          ["temp/c", "changed"],
          ["temp/d", "missing"]
        ]
      )
      assert.deepStrictEqual(yield* Testing.allKeys(store, "temp/"), ["temp/b", "temp/c"])
    })
  )

  it.effect("plans above 10,000 candidates are written as NDJSON and read back whole", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const candidates = Array.from({ length: DeletionPlan.NDJSON_ABOVE + 1 }, (_, i) => ({
        key: `temp/${String(i).padStart(6, "0")}`,
        size: i,
        etag: "e",
        lastModified: new Date(NOW).toISOString(),
        reason: "test"
      }))
      const plan = DeletionPlan.makePlan({
        kind: "expired",
        location: store.location,
        now: NOW,
        criteria: {},
        population: { objects: 50_000, bytes: 1 },
        candidates,
        warnings: [],
        safety: DeletionPlan.DEFAULT_SAFETY
      })
      const key = yield* DeletionPlan.writeManifest(store, plan, "reports/cleanup/big-expired-plan.json")
      assert.strictEqual(key, "reports/cleanup/big-expired-plan.ndjson")
      const lines = (yield* (yield* store.get(key)).body.pipe(Stream.decodeText, Stream.mkString)).trimEnd().split("\n")
      assert.strictEqual(lines.length, DeletionPlan.NDJSON_ABOVE + 2, "a header line and one line per candidate")
      assert.deepStrictEqual(yield* DeletionPlan.readManifest(store, key), JSON.parse(JSON.stringify(plan)))
    })
  )
})

// --- Ceph RGW --------------------------------------------------------------------------------

describe.skipIf(engine === undefined)("expired cleanup on Ceph RGW", () => {
  const raw = Testing.rawClient(engine)
  const bucket = Testing.bucketName("cleanup")
  afterAll(async () => {
    await Testing.dropBucket(raw, bucket)
    raw.destroy()
  })

  layer(Layer.provideMerge(Cleanup.layer, Testing.layerS3(engine!, { bucket: bucket })), { excludeTestServices: true })(
    "",
    (it) => {
      it.effect("rules, metadata and tag expiry, manifest in the bucket, idempotent", () =>
        Effect.gen(function* () {
          const store = yield* ObjectStore
          const written = Date.now()
          yield* Testing.putAll(store, [
            { key: "temp/a", size: 10 },
            { key: "temp/b/c", size: 20 },
            { key: "items/i/photos/h/thumb.webp", size: 30 },
            { key: "items/i/doc.pdf", size: 40, metadata: { "expires-at": new Date(written + 2 * HOUR).toISOString() } }
          ])
          yield* store.put("items/i/tagged.pdf", new Uint8Array(50), {
            tags: { "expires-at": new Date(written + 3 * HOUR).toISOString() }
          })
          const cleanup = yield* ExpiredCleanup
          // Four hours later by the plan's clock: temp/ is not yet a day old, both expiries passed.
          const later = new Date(written + 4 * HOUR)
          const withoutTags = yield* cleanup.plan({ now: later })
          assert.deepStrictEqual(keysOf(withoutTags.candidates), ["items/i/doc.pdf"])
          const withTags = yield* cleanup.plan({ now: later, tags: true })
          assert.deepStrictEqual(keysOf(withTags.candidates), ["items/i/doc.pdf", "items/i/tagged.pdf"])

          const dayLater = new Date(written + 25 * HOUR)
          const run = yield* cleanup.run({ now: dayLater, tags: true })
          assert.deepStrictEqual(keysOf(run.plan.candidates), [
            "items/i/doc.pdf",
            "items/i/tagged.pdf",
            "temp/a",
            "temp/b/c"
          ])
          assert.deepStrictEqual(run.report?.deleted, { objects: 4, bytes: 120 })
          assert.isTrue(yield* store.exists(run.report!.manifestKey!))
          assert.isTrue(yield* store.exists(run.report!.reportKey!))
          assert.deepStrictEqual(
            (yield* Testing.allKeys(store)).filter((k) => !k.startsWith("_localex/")),
            ["items/i/photos/h/thumb.webp"]
          )
          const again = yield* cleanup.run({ now: dayLater, tags: true })
          assert.strictEqual(again.report?.deleted.objects, 0)
        })
      )
    }
  )
})
