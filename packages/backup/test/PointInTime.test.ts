/**
 * Point-in-time restore as a stream, on an fs store with a versions listing made in-process (the
 * RGW suite in Versions.test.ts restores real versions): the decisions per key, the NDJSON plan
 * manifest (header, actions, `End`), the apply read back from it, deletions through DeletionPlan,
 * the safety limit checked on the totals, and a listing that breaks part-way.
 */
import { assert, describe, it } from "@effect/vitest"
import {
  type BucketAdmin,
  type ObjectVersion,
  readText,
  TransportError,
  type VersionCopied
} from "@localex/storage-core"
import { Effect, Stream } from "effect"
import type { Side } from "../src/Location.js"
import * as PointInTime from "../src/PointInTime.js"
import { fsSide, keysOf, seeded } from "./support.js"

const T = Date.parse("2026-06-01T12:00:00Z")
const before = new Date(T - 60_000)
const after = new Date(T + 60_000)

const version = (key: string, versionId: string, lastModified: Date, isLatest: boolean, etag = `e-${versionId}`) => ({
  key,
  versionId,
  isLatest,
  isDeleteMarker: false,
  size: 64,
  etag,
  lastModified,
  storageClass: undefined
})
const marker = (key: string, versionId: string, lastModified: Date): ObjectVersion => ({
  ...version(key, versionId, lastModified, true),
  isDeleteMarker: true,
  size: 0,
  etag: undefined
})

/** An fs side whose versions listing is `listing` (read at each run); copies are recorded, not made. */
const versioned = Effect.gen(function* () {
  const side = yield* fsSide()
  const copies: Array<string> = []
  const state = { listing: Stream.empty as Stream.Stream<ObjectVersion, TransportError> }
  const admin: BucketAdmin["Service"] = {
    ...side.admin,
    getVersioning: () => Effect.succeed("Enabled"),
    listVersions: () => state.listing,
    copyVersion: (key, versionId) =>
      Effect.sync((): VersionCopied => {
        copies.push(`${key}@${versionId}`)
        return { key, etag: "x", versionId: "new" }
      })
  }
  return { side: { ...side, admin }, copies, state }
})

/** The listing entry of an object really in the store (DeletionPlan re-checks it before deleting it). */
const current = (side: Side, key: string, versionId: string) =>
  Effect.map(side.store.head(key), (info) => ({
    ...version(key, versionId, info.lastModified, true, info.etag),
    size: info.size
  }))

/** The manifest's lines, parsed. */
const manifestOf = (side: Side, key: string) =>
  Effect.map(readText(side.store, key), (text) =>
    text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  )

const keysOfAll = (side: Side) =>
  Stream.runCollect(side.store.list({})).pipe(
    Effect.map((entries) => entries.flatMap((e) => (e._tag === "Object" ? [e.key] : [])))
  )

describe("point-in-time restore, streamed", () => {
  it.live("decides key by key, writes the plan as NDJSON first, applies it, deletes the extra keys", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { side, copies, state } = yield* versioned
        yield* side.store.put("items/extra", seeded(64, 7))
        state.listing = Stream.make(
          // Listed out of time order: the newest not after T still wins (d2 is after T).
          version("items/deleted", "d1", before, false),
          version("items/deleted", "d2", after, true),
          yield* current(side, "items/extra", "x1"),
          marker("items/gone", "g2", after),
          version("items/gone", "g1", before, false),
          version("items/same", "s1", before, true),
          version("items/twice", "t3", after, true),
          version("items/twice", "t2", before, false),
          version("items/twice", "t1", new Date(T - 120_000), false)
        )
        const at = new Date(T)

        const dry = yield* PointInTime.run(side, { prefix: "items/", at, dryRun: true })
        assert.deepStrictEqual(
          [dry.keysAtT, dry.unchanged, dry.toRestore, dry.extra, dry.manifestKey],
          [4, 1, 3, 1, null]
        )
        assert.deepStrictEqual(
          dry.actions.map((a) => (a._tag === "Restore" ? `restore ${a.key}@${a.versionId}` : `extra ${a.key}`)),
          ["restore deleted@d1", "extra extra", "restore gone@g1", "restore twice@t2"]
        )
        assert.deepStrictEqual(copies, [], "a dry run copies nothing")
        assert.isTrue(yield* side.store.exists("items/extra"), "a dry run deletes nothing")

        const done = yield* PointInTime.run(side, { prefix: "items/", at })
        assert.deepStrictEqual([done.restored, done.deleted, done.failures], [3, 1, 0])
        assert.deepStrictEqual([...copies].sort(), ["items/deleted@d1", "items/gone@g1", "items/twice@t2"])
        assert.isFalse(yield* side.store.exists("items/extra"))
        const lines = yield* manifestOf(side, done.manifestKey as string)
        assert.strictEqual(lines[0]?.kind, "point-in-time-plan")
        assert.deepStrictEqual(lines.at(-1), {
          _tag: "End",
          keysAtT: 4,
          unchanged: 1,
          toRestore: 3,
          bytesToRestore: 192,
          extra: 1
        })
        assert.deepStrictEqual(
          lines.slice(1, -1).map((l) => l._tag),
          ["Restore", "Extra", "Restore", "Restore"]
        )
        assert.include(yield* readText(side.store, done.reportKey as string), '"restored": 3')
      })
    )
  )

  it.live("the safety limit is checked on the totals before anything changes; forced, it goes on", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { side, copies, state } = yield* versioned
        for (const key of ["items/a", "items/b", "items/c"]) yield* side.store.put(key, seeded(10, key.length))
        state.listing = Stream.make(
          version("items/a", "a2", after, true),
          version("items/a", "a1", before, false),
          yield* current(side, "items/b", "b1"),
          yield* current(side, "items/c", "c1")
        )
        const refused = yield* Effect.flip(PointInTime.run(side, { at: new Date(T), safety: { maxObjects: 1 } }))
        assert.strictEqual(refused._tag, "SafetyLimitExceeded")
        assert.deepStrictEqual(copies, [], "not even the restores ran")
        assert.deepStrictEqual(yield* keysOf(side), ["items/a", "items/b", "items/c"], "nothing deleted")
        const forced = yield* PointInTime.run(side, { at: new Date(T), safety: { maxObjects: 1 }, force: true })
        assert.deepStrictEqual([forced.restored, forced.deleted], [1, 2])
        assert.deepStrictEqual(yield* keysOf(side), ["items/a"])
      })
    )
  )

  it.live("a listing that breaks part-way fails the run with its error: no plan stored, nothing changed", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { side, copies, state } = yield* versioned
        state.listing = Stream.make(
          version("items/a", "a2", after, true),
          version("items/a", "a1", before, false)
        ).pipe(Stream.concat(Stream.fail(new TransportError({ operation: "ListObjectVersions", detail: "injected" }))))
        const error = yield* Effect.flip(PointInTime.run(side, { at: new Date(T) }))
        assert.strictEqual(error._tag, "TransportError")
        assert.include(error.message, "injected")
        assert.deepStrictEqual(copies, [])
        assert.deepStrictEqual(yield* keysOfAll(side), [], "no manifest, no report")
      })
    )
  )
})
