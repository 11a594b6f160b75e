/**
 * Lifecycle as code: the policy schema and defaults, the diff, SDK conversions (including the
 * shapes Ceph RGW answers with), plan/apply on RGW until a second apply changes nothing, and a
 * rule really expiring and transitioning objects there (a lifecycle "day" is 10 s on the harness).
 */
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import { GetBucketLifecycleConfigurationCommand, HeadObjectCommand } from "@aws-sdk/client-s3"
import { assert, describe, it, layer } from "@effect/vitest"
import { radosgwAdmin, testS3 } from "@localex/local-s3"
import { BucketAdmin, type LifecycleRule, ObjectStore } from "@localex/storage-core"
import * as Testing from "@localex/storage-core/testing"
import { Effect, Layer, Schedule, Stream } from "effect"
import { afterAll } from "vitest"
import * as LifecyclePolicy from "../src/LifecyclePolicy.js"
import { decodePolicy, defaultPolicy, diff, formatLifecyclePlan, Lifecycle } from "../src/LifecyclePolicy.js"

const engine = testS3()

describe("lifecycle policies", () => {
  it("the guide's defaults", () => {
    const policy = defaultPolicy({ noncurrentVersionDays: 14 })
    assert.deepStrictEqual(
      policy.rules.map((r) => [r.id, r.prefix]),
      [
        ["expire-temp", "temp/"],
        ["archive-item-photos", "items/"],
        ["archive-profile-photos", "profiles/"],
        ["abort-incomplete-uploads", ""],
        ["expire-noncurrent-versions", ""]
      ]
    )
    assert.strictEqual(policy.rules[0]?.expirationDays, 1)
    assert.deepStrictEqual(policy.rules[1]?.transitions, [{ days: 365, storageClass: "GLACIER" }])
    assert.strictEqual(policy.rules[3]?.abortIncompleteMultipartUploadDays, 7)
    assert.strictEqual(policy.rules[4]?.noncurrentVersionExpirationDays, 14)
  })

  it.effect("JSON input gets defaults; invalid policies are refused with the reason", () =>
    Effect.gen(function* () {
      const policy = yield* decodePolicy({ rules: [{ id: "t", prefix: "temp/", expirationDays: 1 }] })
      assert.deepStrictEqual(policy.rules[0], { id: "t", enabled: true, prefix: "temp/", expirationDays: 1 })
      const whole = yield* decodePolicy({ rules: [{ id: "a", abortIncompleteMultipartUploadDays: 3 }] })
      assert.strictEqual(whole.rules[0]?.prefix, "")
      for (const [input, reason] of [
        [
          {
            rules: [
              { id: "t", expirationDays: 1 },
              { id: "t", expirationDays: 2 }
            ]
          },
          "unique"
        ],
        [{ rules: [{ id: "t", prefix: "x/" }] }, "no action"],
        [
          { rules: [{ id: "t", expirationDays: 30, transitions: [{ days: 60, storageClass: "GLACIER" }] }] },
          "after their last transition"
        ],
        [{ rules: [{ id: "t", expirationDays: 3, expiredObjectDeleteMarker: true }] }, "does not accept"],
        [{ rules: [{ id: "t", expirationDays: 0 }] }, "1"],
        [{ rules: [{ id: "", expirationDays: 1 }] }, ""],
        [{ rules: "none" }, ""]
      ] as const) {
        const error = yield* Effect.flip(decodePolicy(input, "test.json"))
        assert.strictEqual(error._tag, "PolicyInvalid")
        assert.include(error.message, reason)
        assert.include(error.message, "test.json")
      }
    })
  )

  it.effect("loads a JSON file", () =>
    Effect.gen(function* () {
      const file = path.join(Testing.tempDir(), "..", `policy-${Date.now()}.json`)
      writeFileSync(file, JSON.stringify({ rules: [{ id: "expire-temp", prefix: "temp/", expirationDays: 2 }] }))
      const policy = yield* LifecyclePolicy.loadPolicyFile(file)
      assert.strictEqual(policy.rules[0]?.expirationDays, 2)
      writeFileSync(file, "{ nope")
      const error = yield* Effect.flip(LifecyclePolicy.loadPolicyFile(file))
      assert.include(error.message, "not JSON")
    })
  )

  it("the diff: add, change (field by field), remove, and order or tag order does not matter", () => {
    const current: Array<LifecycleRule> = [
      {
        id: "archive",
        enabled: true,
        prefix: "items/",
        tags: { b: "2", a: "1" },
        transitions: [
          { days: 365, storageClass: "GLACIER" },
          { days: 30, storageClass: "STANDARD_IA" }
        ]
      },
      { id: "expire-temp", enabled: true, prefix: "temp/", expirationDays: 2 },
      { id: "legacy", enabled: true, prefix: "old/", expirationDays: 9 }
    ]
    const policy = {
      rules: [
        { id: "expire-temp", enabled: true, prefix: "temp/", expirationDays: 1 },
        {
          id: "archive",
          enabled: true,
          prefix: "items/",
          tags: { a: "1", b: "2" },
          transitions: [
            { days: 30, storageClass: "STANDARD_IA" },
            { days: 365, storageClass: "GLACIER" }
          ]
        },
        { id: "abort", enabled: true, prefix: "", abortIncompleteMultipartUploadDays: 7 }
      ]
    }
    const plan = diff(current, policy)
    assert.deepStrictEqual(
      plan.changes.map((c) => [c.action, c.id, c.differences]),
      [
        ["change", "expire-temp", ["expirationDays: 2 → 1"]],
        [
          "add",
          "abort",
          ["enabled: (none) → true", 'prefix: (none) → ""', "abortIncompleteMultipartUploadDays: (none) → 7"]
        ],
        ["remove", "legacy", ["enabled: true → (none)", 'prefix: "old/" → (none)', "expirationDays: 9 → (none)"]]
      ]
    )
    assert.deepStrictEqual(plan.unchanged, ["archive"])
    assert.isFalse(plan.empty)
    const lines = formatLifecyclePlan(plan)
    assert.strictEqual(lines[0], '~ change lifecycle rule "expire-temp"')
    assert.strictEqual(lines.at(-1), "Plan: 1 to add, 1 to change, 1 to remove, 1 unchanged.")
    assert.isTrue(diff(policy.rules, policy).empty)
    assert.match(formatLifecyclePlan(diff(policy.rules, policy))[0] ?? "", /^No changes/)
  })

  it("a rule with settings the model cannot express never equals a policy rule: apply replaces it", () => {
    const dated: LifecycleRule = {
      id: "d",
      enabled: true,
      prefix: "",
      unsupported: ["ObjectSizeGreaterThan", "Expiration.Date"]
    }
    assert.isFalse(diff([dated], { rules: [{ id: "d", enabled: true, prefix: "", expirationDays: 1 }] }).empty)
  })
})

layer(Layer.provideMerge(LifecyclePolicy.layer, Testing.layerFs()))("lifecycle on fs", (it) => {
  it.effect("answers that the fs driver has no lifecycle", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip((yield* Lifecycle).plan(defaultPolicy()))
      assert.strictEqual(error._tag, "UnsupportedByDriver")
      assert.include(error.message, "the fs driver has no lifecycle")
      const applying = yield* Effect.flip((yield* Lifecycle).apply(defaultPolicy()))
      assert.strictEqual(applying._tag, "UnsupportedByDriver")
    })
  )
})

// --- Ceph RGW --------------------------------------------------------------------------------

describe.skipIf(engine === undefined)("lifecycle on Ceph RGW", () => {
  const raw = Testing.rawClient(engine)
  const managed = Testing.bucketName("lifecycle")
  const expiring = Testing.bucketName("lifecycle-run")
  afterAll(async () => {
    await Promise.all([managed, expiring].map((b) => Testing.dropBucket(raw, b)))
    raw.destroy()
  })

  const rulesOnServer = (bucket: string) =>
    Effect.promise(() =>
      raw.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })).then(
        (out) => (out.Rules ?? []).map((r) => r.ID).sort(),
        () => []
      )
    )

  layer(Layer.provideMerge(LifecyclePolicy.layer, Testing.layerS3(engine!, { bucket: managed })), {
    excludeTestServices: true
  })("plan and apply", (it) => {
    it.effect("apply makes the bucket equal to the policy; the second apply changes nothing; edits are planned", () =>
      Effect.gen(function* () {
        const lifecycle = yield* Lifecycle
        const policy = defaultPolicy()
        const first = yield* lifecycle.plan(policy)
        assert.deepStrictEqual(
          first.changes.map((c) => c.action),
          ["add", "add", "add", "add", "add"]
        )
        const applied = yield* lifecycle.apply(policy)
        assert.isTrue(applied.applied)
        assert.deepStrictEqual(yield* rulesOnServer(managed), policy.rules.map((r) => r.id).sort())
        assert.isTrue((yield* lifecycle.plan(policy)).empty)
        const twice = yield* lifecycle.apply(policy)
        assert.isFalse(twice.applied)
        assert.isTrue(twice.plan.empty)

        const edited = {
          rules: [
            { ...policy.rules[0]!, expirationDays: 3 },
            ...policy.rules.slice(1, 4),
            { id: "expire-markers", enabled: true, prefix: "", expiredObjectDeleteMarker: true }
          ]
        }
        const plan = yield* lifecycle.plan(edited)
        assert.deepStrictEqual(
          plan.changes.map((c) => [c.action, c.id]),
          [
            ["change", "expire-temp"],
            ["add", "expire-markers"],
            ["remove", "expire-noncurrent-versions"]
          ]
        )
        yield* lifecycle.apply(edited)
        assert.isTrue((yield* lifecycle.plan(edited)).empty)
        assert.deepStrictEqual(yield* rulesOnServer(managed), edited.rules.map((r) => r.id).sort())

        yield* lifecycle.apply({ rules: [] })
        assert.deepStrictEqual(yield* rulesOnServer(managed), [], "an empty policy removes the configuration")
        assert.isTrue((yield* lifecycle.plan({ rules: [] })).empty)
      })
    )
  })

  layer(Layer.provideMerge(LifecyclePolicy.layer, Testing.layerS3(engine!, { bucket: expiring })), {
    excludeTestServices: true
  })("rules at work", (it) => {
    it.effect(
      "an applied rule really expires temp objects and moves old photos to the archive class",
      () =>
        Effect.gen(function* () {
          const store = yield* ObjectStore
          yield* Testing.putAll(store, [
            { key: "temp/a", size: 10 },
            { key: "temp/b/c", size: 10 },
            { key: "items/i/photos/h/thumb.webp", size: 10 },
            { key: "keep/me", size: 10 }
          ])
          yield* (yield* Lifecycle).apply({
            rules: [
              { id: "expire-temp", enabled: true, prefix: "temp/", expirationDays: 1 },
              { id: "archive", enabled: true, prefix: "items/", transitions: [{ days: 1, storageClass: "COLD" }] }
            ]
          })
          const storageClass = (key: string) =>
            Effect.promise(() => raw.send(new HeadObjectCommand({ Bucket: expiring, Key: key }))).pipe(
              Effect.map((head): string => head.StorageClass ?? "STANDARD")
            )
          // One lifecycle day is 10 s here; run the lifecycle pass until the rules took effect (≤ 2 min).
          const dataDir = engine!.dataDir
          const settled = Effect.gen(function* () {
            if (dataDir !== undefined)
              yield* Effect.promise(() => radosgwAdmin(dataDir, "lc", "process").catch(() => ""))
            const keys = yield* Testing.allKeys(store)
            const cls = yield* storageClass("items/i/photos/h/thumb.webp")
            if (keys.some((k) => k.startsWith("temp/")) || cls !== "COLD")
              return yield* Effect.fail(`not yet: ${keys}, ${cls}`)
            return keys
          })
          const keys = yield* settled.pipe(
            Effect.delay("5 seconds"),
            Effect.retry({ schedule: Schedule.spaced("3 seconds"), times: 40 })
          )
          assert.deepStrictEqual(keys, ["items/i/photos/h/thumb.webp", "keep/me"])
          assert.strictEqual(yield* storageClass("keep/me"), "STANDARD")
        }),
      180_000
    )
  })
})

describe("BucketAdmin layers", () => {
  it.effect("fs: every call is UnsupportedByDriver", () =>
    Effect.gen(function* () {
      const admin = yield* BucketAdmin
      const calls: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string }>> = [
        admin.getLifecycleRules(),
        admin.putLifecycleRules([]),
        admin.getTieringConfigurations(),
        admin.deleteTieringConfiguration("x"),
        admin.getVersioning(),
        admin.getObjectTags("k"),
        Stream.runDrain(admin.listVersions()),
        Stream.runDrain(admin.listIncompleteUploads())
      ]
      for (const call of calls) {
        const error = yield* Effect.flip(call)
        assert.strictEqual(error._tag, "UnsupportedByDriver")
      }
    }).pipe(Effect.provide(Testing.layerFs()))
  )
})
