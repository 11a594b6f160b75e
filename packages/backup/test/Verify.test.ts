/** Verify on fs and on the local RGW: each of the five classes, by metadata and by download. */
import { assert, describe, it } from "@effect/vitest"
import { type ObjectStore, TransportError } from "@localex/storage-core"
import { Effect, type Scope } from "effect"
import type { Side } from "../src/Location.js"
import * as Snapshot from "../src/Snapshot.js"
import * as Verify from "../src/Verify.js"
import { engine, fsSide, s3Side, seeded } from "./support.js"

/** A store whose HEAD and GET of `bad` fail (an object that cannot be read). */
const unreadable = (store: ObjectStore["Service"], bad: string): ObjectStore["Service"] => ({
  ...store,
  head: (key) =>
    key === bad ? Effect.fail(new TransportError({ operation: "HeadObject", detail: "injected" })) : store.head(key),
  get: (key, options) =>
    key === bad
      ? Effect.fail(new TransportError({ operation: "GetObject", detail: "injected" }))
      : store.get(key, options)
})

describe("verify", () => {
  const scenario = <E>(destination: Effect.Effect<Side, E, Scope.Scope>) =>
    Effect.gen(function* () {
      const source = yield* fsSide()
      const target = yield* destination
      yield* source.store.put("items/same.bin", seeded(100, 1))
      yield* source.store.put("items/differs.bin", seeded(100, 2))
      yield* source.store.put("items/err.bin", seeded(100, 3))
      yield* source.store.put("items/only-source.bin", seeded(10, 4))
      yield* Snapshot.run(source, target, { prefix: "items/same" })
      yield* target.store.put("items/differs.bin", seeded(100, 5))
      yield* target.store.put("items/err.bin", seeded(100, 6))
      yield* target.store.put("items/only-destination.bin", seeded(10, 7))
      yield* target.store.put("_localex/reports/r.json", seeded(10, 8))
      const broken = { ...target, store: unreadable(target.store, "items/err.bin") }
      const lines: Array<string> = []
      const report = yield* Verify.run(source, broken, {
        onEntry: (entry) => Effect.sync(() => lines.push(`${entry.status} ${entry.key}`))
      })
      assert.deepStrictEqual(lines, [
        "* items/differs.bin",
        "! items/err.bin",
        "- items/only-destination.bin",
        "+ items/only-source.bin",
        "= items/same.bin"
      ])
      assert.deepStrictEqual(report.counts, { same: 1, onlyInSource: 1, onlyInDestination: 1, differ: 1, errors: 1 })
      assert.isFalse(report.ok)
      const downloaded = yield* Verify.run(source, target, { download: true })
      assert.strictEqual(downloaded.counts.differ, 2)
      assert.strictEqual(downloaded.comparisons.download, 3)
      // After a mirror, everything is `=`.
      yield* Snapshot.run(source, target, { delete: true })
      const clean = yield* Verify.run(source, target, { download: true })
      assert.isTrue(clean.ok)
      assert.strictEqual(clean.counts.same, 4)
    })

  it.live("fs ↔ fs: the five classes", () => Effect.scoped(scenario(fsSide())))
  it.live.skipIf(!engine)("fs ↔ RGW: the five classes", () =>
    Effect.scoped(scenario(Effect.map(s3Side(), (s) => s.side)))
  )
})
