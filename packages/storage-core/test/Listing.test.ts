/**
 * Listing: every object under a prefix, sequential or by splitting the key space, and how "auto"
 * chooses between them — on fs with latency given through the TestClock (no real waiting).
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Keys from "../src/Keys.js"
import * as Listing from "../src/Listing.js"
import { ObjectStore } from "../src/ObjectStore.js"
import * as Testing from "../src/testing.js"

describe("key order and prefixes", () => {
  it("compares keys in UTF-8 byte order, not UTF-16", () => {
    // U+E000 is EE 80 80 in UTF-8; 😀 (U+1F600) is F0 9F 98 80: the emoji sorts last in S3.
    assert.isBelow(Keys.compare("a\uE000", "a😀"), 0)
    assert.isTrue("a😀" < "a\uE000", "JavaScript's own order disagrees")
    assert.isBelow(Keys.compare("items/abc.jpg", "items/abc/"), 0)
    assert.isBelow(Keys.compare("items/abc", "items/abc/"), 0)
    assert.strictEqual(Keys.compare("x", "x"), 0)
  })

  it("prefixEnd is above every key of the folder and below the next folder", () => {
    const end = Keys.prefixEnd("items/abc/")
    assert.strictEqual(end, "items/abc0")
    for (const inside of ["items/abc/", "items/abc/z", "items/abc/\uFFFF", "items/abc/😀😀"])
      assert.isBelow(Keys.compare(inside, end), 0)
    for (const after of ["items/abc0/", "items/abc1/x", "items/abd/"]) assert.isAbove(Keys.compare(after, end), 0)
  })

  it("groups keys by folder depth below the scope", () => {
    assert.strictEqual(Keys.prefixAtDepth("items/a/photos/h/t.webp", "", 1), "items/")
    assert.strictEqual(Keys.prefixAtDepth("items/a/photos/h/t.webp", "", 2), "items/a/")
    assert.strictEqual(Keys.prefixAtDepth("items/a.txt", "", 2), "items/")
    assert.strictEqual(Keys.prefixAtDepth("root.txt", "", 1), "")
    assert.strictEqual(Keys.prefixAtDepth("items/a/photos/h/t.webp", "items/", 1), "items/a/")
    assert.strictEqual(Keys.prefixAtDepth("items/x.txt", "items/", 1), "items/")
  })
})

/** Keys whose order trips naive range splitting: neighbours of "/", direct objects, non-ASCII. */
const TRICKY = [
  "a.txt",
  "a/x",
  "a-b/y",
  "a0/z",
  "items/abc.jpg",
  "items/abc/1",
  "items/abc/2/deep",
  "items/abc-/3",
  "items/abc0/4",
  "items/ab/5",
  "items/ü/6",
  "items/😀/7",
  "items/\uE000/8",
  "items/zz/9",
  "items/0/10",
  "items/z.txt",
  "profiles/u/1",
  "profiles/u/2",
  "temp/t1",
  "temp/t2",
  "zzz"
]

describe("choosing the listing mode", () => {
  it("fans out only when a full page was slow to come back", () => {
    assert.strictEqual(Listing.PARALLEL_PAGE_MS, 40)
    // Loopback Ceph RGW: 10–15 ms a 1,000-key page, CPU-bound — stay sequential.
    assert.strictEqual(Listing.chooseListingMode(12, 1000, 1000), "sequential")
    assert.strictEqual(Listing.chooseListingMode(39.9, 1000, 1000), "sequential")
    // AWS S3: 60–150 ms a page, mostly waiting — fan out.
    assert.strictEqual(Listing.chooseListingMode(40, 1000, 1000), "parallel")
    assert.strictEqual(Listing.chooseListingMode(120, 1000, 1000), "parallel")
    // A scope that ends in the measured page is done, however slow that page was.
    assert.strictEqual(Listing.chooseListingMode(500, 999, 1000), "sequential")
    assert.strictEqual(Listing.chooseListingMode(500, 0, 1000), "sequential")
    assert.strictEqual(Listing.chooseListingMode(25, 1000, 1000, 20), "parallel")
  })
})

/** The store with every list request taking `ms` (a store far away): the TestClock moves on, nothing waits. */
const slowStore = (store: ObjectStore["Service"], ms: number): ObjectStore["Service"] => ({
  ...store,
  list: (options) => Stream.concat(Stream.drain(Stream.fromEffect(TestClock.adjust(ms))), store.list(options))
})

layer(Testing.layerFs())("parallel listing on fs", (it) => {
  it.effect("auto mode times the first pages, fans out on a slow store and lists exactly the same keys", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* Testing.putAll(
        store,
        TRICKY.map((key, i) => ({ key, size: i + 1 }))
      )
      const expected = [...TRICKY].sort(Keys.compare)
      for (const [delay, mode] of [
        [0, "sequential"],
        [Listing.PARALLEL_PAGE_MS + 10, "parallel"]
      ] as const) {
        const target = slowStore(store, delay)
        for (const [prefix, pageSize] of [
          ["", 2],
          ["", 5],
          ["items/", 2],
          ["items/", 3]
        ] as const) {
          const listing = Listing.listAll(target, { prefix, parallel: "auto", concurrency: 4, pageSize })
          const keys = yield* Stream.runCollect(Stream.map(listing.objects, (o) => o.key))
          const label = `delay ${delay}, prefix "${prefix}", pageSize ${pageSize}`
          assert.deepStrictEqual(
            [...keys].sort(Keys.compare),
            expected.filter((k) => k.startsWith(prefix)),
            label
          )
          assert.strictEqual(listing.mode(), mode, label)
          assert.isAtLeast(listing.pageMs() ?? -1, delay, label)
          if (mode === "parallel") assert.isAtLeast(listing.shards(), 2, label)
          else assert.strictEqual(listing.shards(), 1, label)
        }
      }
      // Only the first request slow (a new connection, a fresh process): not a slow store.
      let calls = 0
      const cold: ObjectStore["Service"] = {
        ...store,
        list: (options) => (calls++ === 0 ? slowStore(store, Listing.PARALLEL_PAGE_MS + 30) : store).list(options)
      }
      const warmed = Listing.listAll(cold, { prefix: "", parallel: "auto", concurrency: 4, pageSize: 2 })
      const warmedKeys = yield* Stream.runCollect(Stream.map(warmed.objects, (o) => o.key))
      assert.deepStrictEqual([...warmedKeys].sort(Keys.compare), expected)
      assert.strictEqual(warmed.mode(), "sequential")
      assert.isBelow(warmed.pageMs() ?? Number.POSITIVE_INFINITY, Listing.PARALLEL_PAGE_MS)
      // A store on this machine: measured, but never fanned out, however slow its pages.
      const local = Listing.listAll(
        { ...slowStore(store, Listing.PARALLEL_PAGE_MS + 10), loopback: true },
        { prefix: "", parallel: "auto", concurrency: 4, pageSize: 2 }
      )
      const localKeys = yield* Stream.runCollect(Stream.map(local.objects, (o) => o.key))
      assert.deepStrictEqual([...localKeys], expected)
      assert.strictEqual(local.mode(), "sequential")
      assert.strictEqual(local.shards(), 1)
      assert.isAtLeast(local.pageMs() ?? -1, Listing.PARALLEL_PAGE_MS + 10)
      // A scope that fits in one page: one request, sequential, whatever its latency.
      const small = Listing.listAll(slowStore(store, Listing.PARALLEL_PAGE_MS + 10), {
        prefix: "temp/",
        parallel: "auto",
        concurrency: 4
      })
      assert.deepStrictEqual(
        [...(yield* Stream.runCollect(Stream.map(small.objects, (o) => o.key)))],
        ["temp/t1", "temp/t2"]
      )
      assert.strictEqual(small.mode(), "sequential")
    })
  )

  it.effect("splits the key space into ranges that together list every key exactly once", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* Testing.putAll(
        store,
        TRICKY.map((key, i) => ({ key, size: i + 1 }))
      )
      const expected = [...TRICKY].sort(Keys.compare)
      // Small pages make small folders split into many key ranges.
      for (const pageSize of [1, 2, 3, 5, 1000]) {
        const listing = Listing.listAll(store, { prefix: "", parallel: true, concurrency: 4, pageSize })
        const keys = yield* Stream.runCollect(Stream.map(listing.objects, (o) => o.key))
        assert.deepStrictEqual([...keys].sort(Keys.compare), expected, `pageSize ${pageSize}`)
        if (pageSize === 1) assert.isAtLeast(listing.shards(), 10)
      }
      const sequential = yield* Testing.allKeys(store)
      assert.deepStrictEqual(sequential.length, TRICKY.length)
      const scoped = Listing.listAll(store, { prefix: "items/", parallel: true, concurrency: 4, pageSize: 2 })
      const scopedKeys = yield* Stream.runCollect(Stream.map(scoped.objects, (o) => o.key))
      assert.deepStrictEqual(
        [...scopedKeys].sort(Keys.compare),
        expected.filter((k) => k.startsWith("items/"))
      )
    })
  )

  it.effect("clustered, sequential ids split just as exactly", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const keys = Array.from({ length: 300 }, (_, i) => `seq/item-${String(i).padStart(5, "0")}/photo.webp`)
      yield* Testing.putAll(
        store,
        keys.map((key) => ({ key, size: 1 }))
      )
      for (const pageSize of [7, 50]) {
        const listing = Listing.listAll(store, { prefix: "seq/", parallel: true, concurrency: 4, pageSize })
        const listed = yield* Stream.runCollect(Stream.map(listing.objects, (o) => o.key))
        assert.deepStrictEqual([...listed].sort(Keys.compare), keys, `pageSize ${pageSize}`)
      }
      yield* Effect.forEach(keys, (key) => store.delete(key), { discard: true })
    })
  )
})
