/**
 * Storage statistics: the accumulator's arithmetic, then a known population on fs (ages under
 * TestClock) and on Ceph RGW (storage classes, incomplete uploads, versions), and the parallel
 * listing against the sequential one (tricky keys on fs, 10,000 keys on RGW).
 */
import {
  CreateMultipartUploadCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type StorageClass,
  UploadPartCommand
} from "@aws-sdk/client-s3"
import { assert, describe, it, layer } from "@effect/vitest"
import { testS3 } from "@localex/local-s3"
import { Keys, Listing, ObjectStore } from "@localex/storage-core"
import * as Testing from "@localex/storage-core/testing"
import { Effect, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { afterAll } from "vitest"
import { StatsAccumulator } from "../src/internal/accumulator.js"
import * as Stats from "../src/Stats.js"
import { StorageStatistics, type StorageStats } from "../src/Stats.js"

const engine = testS3()

const DAY = 86_400_000
const KiB = 1024
const withoutListing = ({ listing: _, generatedAt: __, ...rest }: StorageStats) => rest

describe("StatsAccumulator", () => {
  const make = (overrides: Partial<ConstructorParameters<typeof StatsAccumulator>[0]> = {}) =>
    new StatsAccumulator({
      scope: "",
      depth: 1,
      maxPrefixes: 100,
      largest: 3,
      track: [],
      now: 1000 * DAY,
      ...overrides
    })

  it("puts sizes and ages in the right buckets, boundaries included", () => {
    const acc = make()
    const now = 1000 * DAY
    acc.add("a", 0, now, undefined)
    acc.add("b", KiB - 1, now - 1, undefined)
    acc.add("c", KiB, now - DAY, "COLD") // exactly 1 day: "1–7 days"
    acc.add("d", 10 * KiB, now - 7 * DAY, undefined)
    acc.add("e", 1024 * KiB, now - 400 * DAY, "GLACIER")
    acc.add("f", 2 ** 30, now + DAY, undefined) // from the future: youngest bucket
    const r = acc.result()
    assert.deepStrictEqual(
      r.sizeHistogram.map((b) => b.objects),
      [2, 1, 1, 0, 1, 0, 0, 1]
    )
    assert.deepStrictEqual(
      r.ageHistogram.map((b) => b.objects),
      [3, 1, 1, 0, 0, 1]
    )
    assert.deepStrictEqual(r.sizeHistogram[7], {
      label: "≥ 1 GiB",
      minBytes: 2 ** 30,
      maxBytes: null,
      objects: 1,
      bytes: 2 ** 30
    })
    assert.deepStrictEqual(
      r.byStorageClass.map((c) => [c.storageClass, c.objects]),
      [
        ["STANDARD", 4],
        ["GLACIER", 1],
        ["COLD", 1]
      ]
    )
    assert.deepStrictEqual(
      r.largest.map((o) => o.key),
      ["f", "e", "d"]
    )
    assert.strictEqual(r.oldest?.key, "e")
    assert.strictEqual(r.newest?.key, "f")
  })

  it("gives the same result whatever the order, with the prefix table capped", () => {
    const keys = Array.from({ length: 500 }, (_, i) => `p${String(i % 137).padStart(3, "0")}/k${i}`)
    const run = (order: ReadonlyArray<string>) => {
      const acc = make({ maxPrefixes: 10, largest: 5 })
      for (const key of order) acc.add(key, key.length * 7, 0, undefined)
      return acc.result()
    }
    const forward = run(keys)
    // A deterministic shuffle.
    const shuffled = [...keys].sort(
      (a, b) =>
        ((a.length * 31 + a.charCodeAt(a.length - 1)) % 17) - ((b.length * 31 + b.charCodeAt(b.length - 1)) % 17)
    )
    assert.deepStrictEqual(run(shuffled), forward)
    assert.deepStrictEqual(run([...keys].reverse()), forward)
    assert.strictEqual(forward.byPrefix.entries.length, 10)
    assert.deepStrictEqual(
      forward.byPrefix.entries.map((e) => e.prefix),
      Array.from({ length: 10 }, (_, i) => `p${String(i).padStart(3, "0")}/`)
    )
    assert.isTrue(forward.byPrefix.truncated)
    const kept = forward.byPrefix.entries.reduce((sum, e) => sum + e.objects, 0)
    assert.strictEqual(kept + forward.byPrefix.other.objects, 500)
  })

  it("totals tracked prefixes independently of the grouping depth", () => {
    const acc = make({ track: ["items/a/", "temp/"] })
    acc.add("items/a/1", 5, 0, undefined)
    acc.add("items/a/2", 6, 0, undefined)
    acc.add("items/b/1", 7, 0, undefined)
    assert.deepStrictEqual(acc.result().tracked, [
      { prefix: "items/a/", objects: 2, bytes: 11 },
      { prefix: "temp/", objects: 0, bytes: 0 }
    ])
  })
})

// --- fs --------------------------------------------------------------------------------------

const NOW = Date.parse("2026-06-01T00:00:00Z")

/** Key, size, age in days. */
const POPULATION: ReadonlyArray<readonly [string, number, number]> = [
  ["items/a1/photos/h1/thumb.webp", 1000, 400],
  ["items/a1/photos/h1/full.webp", 200_000, 400],
  ["items/a1/photos/h1/manifest.json", 300, 400],
  ["items/a2/photos/h2/thumb.webp", 1024, 40],
  ["items/readme.txt", 10, 10],
  ["profiles/u1/photos/p1/avatar.webp", 5000, 3],
  ["temp/upload-1.bin", 2_000_000, 2],
  ["temp/upload-2.bin", 0, 0],
  ["root.txt", 7, 0]
]
const TOTAL_BYTES = POPULATION.reduce((sum, [, size]) => sum + size, 0)

/** Puts the population with the TestClock at each object's creation time. */
const seedPopulation = Effect.gen(function* () {
  const store = yield* ObjectStore
  for (const [key, size, ageDays] of POPULATION) {
    yield* TestClock.setTime(NOW - ageDays * DAY)
    yield* Testing.putAll(store, [{ key, size }])
  }
  yield* TestClock.setTime(NOW)
})

layer(Layer.provideMerge(Stats.layer, Testing.layerFs()))("statistics on fs", (it) => {
  it.effect("a known population: totals, prefixes, histograms, largest, oldest — exact", () =>
    Effect.gen(function* () {
      yield* seedPopulation
      const stats = yield* (yield* StorageStatistics).collect({ largest: 3 })
      assert.strictEqual(stats.source, "list")
      assert.strictEqual(stats.listing.mode, "sequential")
      assert.deepStrictEqual(stats.totals, { objects: 9, bytes: TOTAL_BYTES })
      assert.deepStrictEqual(stats.byStorageClass, [{ storageClass: "STANDARD", objects: 9, bytes: TOTAL_BYTES }])
      assert.deepStrictEqual(stats.byPrefix.entries, [
        { prefix: "", objects: 1, bytes: 7 },
        { prefix: "items/", objects: 5, bytes: 202_334 },
        { prefix: "profiles/", objects: 1, bytes: 5000 },
        { prefix: "temp/", objects: 2, bytes: 2_000_000 }
      ])
      assert.deepStrictEqual(
        stats.sizeHistogram.map((b) => [b.label, b.objects, b.bytes]),
        [
          ["< 1 KiB", 5, 1317],
          ["1–10 KiB", 2, 6024],
          ["10–100 KiB", 0, 0],
          ["100 KiB–1 MiB", 1, 200_000],
          ["1–10 MiB", 1, 2_000_000],
          ["10–100 MiB", 0, 0],
          ["100 MiB–1 GiB", 0, 0],
          ["≥ 1 GiB", 0, 0]
        ]
      )
      assert.deepStrictEqual(
        stats.ageHistogram.map((b) => [b.label, b.objects]),
        [
          ["< 1 day", 2],
          ["1–7 days", 2],
          ["7–30 days", 1],
          ["30–90 days", 1],
          ["90–365 days", 0],
          ["≥ 365 days", 3]
        ]
      )
      assert.deepStrictEqual(
        stats.largest.map((o) => [o.key, o.size]),
        [
          ["temp/upload-1.bin", 2_000_000],
          ["items/a1/photos/h1/full.webp", 200_000],
          ["profiles/u1/photos/p1/avatar.webp", 5000]
        ]
      )
      assert.strictEqual(stats.oldest?.lastModified, new Date(NOW - 400 * DAY).toISOString())
      assert.deepStrictEqual(stats.multipartUploads, { uploads: 0, bytes: 0, oldestInitiated: null })
      assert.deepStrictEqual(stats.versions, {
        versioning: "Disabled",
        noncurrentVersions: 0,
        noncurrentBytes: 0,
        deleteMarkers: 0
      })
    })
  )

  it.effect("deeper prefixes, a scope, tracked prefixes", () =>
    Effect.gen(function* () {
      const statistics = yield* StorageStatistics
      const deep = yield* statistics.collect({ depth: 2, trackPrefixes: ["items/a1/", "nothing/"] })
      assert.deepStrictEqual(
        deep.byPrefix.entries.map((e) => [e.prefix, e.objects]),
        [
          ["", 1],
          ["items/", 1],
          ["items/a1/", 3],
          ["items/a2/", 1],
          ["profiles/u1/", 1],
          ["temp/", 2]
        ]
      )
      assert.deepStrictEqual(deep.tracked, [
        { prefix: "items/a1/", objects: 3, bytes: 201_300 },
        { prefix: "nothing/", objects: 0, bytes: 0 }
      ])
      const items = yield* statistics.collect({ prefix: "items/" })
      assert.deepStrictEqual(items.totals, { objects: 5, bytes: 202_334 })
      assert.deepStrictEqual(
        items.byPrefix.entries.map((e) => e.prefix),
        ["items/", "items/a1/", "items/a2/"]
      )
    })
  )

  it.effect("leaves the project's own objects (_localex/) out unless asked; parallel and sequential agree", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const statistics = yield* StorageStatistics
      yield* store.put("_localex/reports/daily/1.json", new Uint8Array(10))
      const sequential = yield* statistics.collect({ parallel: false, depth: 2 })
      assert.deepStrictEqual(sequential.totals, { objects: 9, bytes: TOTAL_BYTES })
      const withReserved = yield* statistics.collect({ includeReserved: true })
      assert.deepStrictEqual(withReserved.totals, { objects: 10, bytes: TOTAL_BYTES + 10 })
      const parallel = yield* statistics.collect({ parallel: true, depth: 2, pageSize: 2, concurrency: 8 })
      assert.strictEqual(parallel.listing.mode, "parallel")
      assert.deepStrictEqual(withoutListing(parallel), withoutListing(sequential))
      yield* store.delete("_localex/reports/daily/1.json")
    })
  )
})

// --- Ceph RGW --------------------------------------------------------------------------------

describe.skipIf(engine === undefined)("statistics on Ceph RGW", () => {
  const raw = Testing.rawClient(engine)
  const plain = Testing.bucketName("stats")
  const versioned = Testing.bucketName("stats-versions")
  const big = Testing.bucketName("stats-10k")
  afterAll(async () => {
    await Promise.all([plain, versioned, big].map((b) => Testing.dropBucket(raw, b)))
    raw.destroy()
  })

  layer(Layer.provideMerge(Stats.layer, Testing.layerS3(engine!, { bucket: plain })), { excludeTestServices: true })(
    "a known population",
    (it) => {
      it.effect("counts and bytes exact, storage classes, incomplete uploads with their parts", () =>
        Effect.gen(function* () {
          const store = yield* ObjectStore
          yield* Testing.putAll(
            store,
            POPULATION.map(([key, size]) => ({ key, size }))
          )
          // Two archived objects in the zone's COLD class, and an upload left incomplete.
          for (const key of ["items/a3/photos/h3/full.webp", "items/a3/photos/h3/thumb.webp"])
            yield* Effect.promise(() =>
              // COLD is a class the harness adds to the zone; the SDK's type lists only AWS's.
              raw.send(
                new PutObjectCommand({
                  Bucket: plain,
                  Key: key,
                  Body: new Uint8Array(3000),
                  StorageClass: "COLD" as StorageClass
                })
              )
            )
          const upload = yield* Effect.promise(() =>
            raw.send(new CreateMultipartUploadCommand({ Bucket: plain, Key: "temp/big-upload.bin" }))
          )
          for (const [PartNumber, size] of [
            [1, 100_000],
            [2, 50_000]
          ] as const)
            yield* Effect.promise(() =>
              raw.send(
                new UploadPartCommand({
                  Bucket: plain,
                  Key: "temp/big-upload.bin",
                  UploadId: upload.UploadId!,
                  PartNumber,
                  Body: new Uint8Array(size)
                })
              )
            )

          const realNow = Date.now()
          for (const parallel of [false, true]) {
            const stats = yield* (yield* StorageStatistics).collect({ parallel, now: new Date(realNow + 40 * DAY) })
            assert.strictEqual(stats.location, `s3://${plain}`)
            assert.deepStrictEqual(stats.totals, { objects: 11, bytes: TOTAL_BYTES + 6000 })
            assert.deepStrictEqual(stats.byStorageClass, [
              { storageClass: "STANDARD", objects: 9, bytes: TOTAL_BYTES },
              { storageClass: "COLD", objects: 2, bytes: 6000 }
            ])
            assert.deepStrictEqual(
              stats.byPrefix.entries.map((e) => [e.prefix, e.objects, e.bytes]),
              [
                ["", 1, 7],
                ["items/", 7, 208_334],
                ["profiles/", 1, 5000],
                ["temp/", 2, 2_000_000]
              ]
            )
            // Every object was written moments ago: 40 days before "now".
            assert.strictEqual(stats.ageHistogram.find((b) => b.label === "30–90 days")?.objects, 11)
            assert.strictEqual(stats.multipartUploads?.uploads, 1)
            assert.strictEqual(stats.multipartUploads?.bytes, 150_000)
            assert.isString(stats.multipartUploads?.oldestInitiated)
            assert.deepStrictEqual(stats.versions, {
              versioning: "Disabled",
              noncurrentVersions: 0,
              noncurrentBytes: 0,
              deleteMarkers: 0
            })
          }
        })
      )
    }
  )

  layer(Layer.provideMerge(Stats.layer, Testing.layerS3(engine!, { bucket: versioned })), {
    excludeTestServices: true
  })("a versioned bucket", (it) => {
    it.effect("counts noncurrent versions (and their bytes) and delete markers apart from current objects", () =>
      Effect.gen(function* () {
        yield* Effect.promise(() =>
          raw.send(
            new PutBucketVersioningCommand({ Bucket: versioned, VersioningConfiguration: { Status: "Enabled" } })
          )
        )
        const store = yield* ObjectStore
        yield* store.put("doc", new Uint8Array(100))
        yield* store.put("doc", new Uint8Array(250)) // the 100-byte version becomes noncurrent
        yield* store.put("gone", new Uint8Array(40))
        yield* store.delete("gone") // a delete marker; the 40-byte version becomes noncurrent
        const stats = yield* (yield* StorageStatistics).collect()
        assert.deepStrictEqual(stats.totals, { objects: 1, bytes: 250 })
        assert.deepStrictEqual(stats.versions, {
          versioning: "Enabled",
          noncurrentVersions: 2,
          noncurrentBytes: 140,
          deleteMarkers: 1
        })
      })
    )
  })

  layer(Layer.provideMerge(Stats.layer, Testing.layerS3(engine!, { bucket: big })), { excludeTestServices: true })(
    "10,000 keys",
    (it) => {
      it.effect(
        "the parallel listing yields exactly the keys of the sequential one, and the same statistics",
        () =>
          Effect.gen(function* () {
            const store = yield* ObjectStore
            const objects: Array<{ key: string; size: number }> = []
            for (let item = 0; item < 990; item++) {
              const id = ((item * 2654435761) >>> 0).toString(36)
              for (const variant of ["thumb", "small", "medium", "large", "manifest"])
                objects.push({
                  key: `items/${id}/photos/h${item % 7}/${variant}.webp`,
                  size: (item % 97) * 13 + variant.length
                })
            }
            for (let i = 0; i < 50; i++) objects.push({ key: `items/direct-${i}.txt`, size: i })
            for (let i = 0; i < 50; i++) objects.push({ key: `temp/t${i}`, size: 2 * i })
            objects.push({ key: "root-object", size: 1 })
            while (objects.length < 10_000)
              objects.push({ key: `profiles/u${objects.length}/photos/p/avatar.webp`, size: 9 })
            yield* Testing.putAll(store, objects, 32)

            const expected = objects.map((o) => o.key).sort(Keys.compare)
            assert.deepStrictEqual(yield* Testing.allKeys(store), [...expected].sort(), "the sequential listing")
            const listing = Listing.listAll(store, { prefix: "", parallel: true, concurrency: 16 })
            const keys = yield* Stream.runCollect(Stream.map(listing.objects, (o) => o.key))
            assert.strictEqual(keys.length, 10_000)
            assert.deepStrictEqual([...keys].sort(Keys.compare), expected)
            assert.isAtLeast(listing.shards(), 8)

            const statistics = yield* StorageStatistics
            const sequential = yield* statistics.collect({ parallel: false, depth: 2, largest: 20 })
            const parallel = yield* statistics.collect({ parallel: true, depth: 2, largest: 20 })
            assert.strictEqual(parallel.listing.mode, "parallel")
            assert.deepStrictEqual(withoutListing(parallel), withoutListing(sequential))
            // The default chooses the mode from the first page's latency, and says so.
            const chosen = yield* statistics.collect({ depth: 2, largest: 20 })
            assert.deepStrictEqual(withoutListing(chosen), withoutListing(sequential))
            assert.isDefined(chosen.listing.pageMs)
            // A store on this machine (the local RGW) is never fanned out, whatever its pages took.
            const fansOut = store.loopback !== true && (chosen.listing.pageMs ?? 0) >= Listing.PARALLEL_PAGE_MS
            assert.strictEqual(chosen.listing.mode, fansOut ? "parallel" : "sequential")
            assert.deepStrictEqual(sequential.totals, {
              objects: 10_000,
              bytes: objects.reduce((sum, o) => sum + o.size, 0)
            })
          }),
        180_000
      )
    }
  )
})
