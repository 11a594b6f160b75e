/**
 * S3 Inventory reports: the CSV line parser, reports that must be refused (and why), and a
 * generated report of 1,000,000 rows in four gzipped files read with flat memory into exactly
 * the statistics the generator counted.
 */
import { createHash } from "node:crypto"
import { pipeline, Readable } from "node:stream"
import { createGzip, gzipSync } from "node:zlib"
import { assert, describe, it, layer } from "@effect/vitest"
import { ObjectStore } from "@localex/storage-core"
import * as Testing from "@localex/storage-core/testing"
import { Effect, Layer, Stream } from "effect"
import { latestManifest } from "../src/Inventory.js"
import { decodeInventoryKey, parseCsvLine } from "../src/internal/csv.js"
import * as Stats from "../src/Stats.js"
import { StorageStatistics } from "../src/Stats.js"

const encoder = new TextEncoder()
const DAY = 86_400_000
const CREATED = Date.parse("2026-03-01T00:00:00Z")

describe("CSV lines of an inventory report", () => {
  it("parses quoted, unquoted, empty and escaped fields", () => {
    assert.deepStrictEqual(parseCsvLine('"a","b,c","",d,,"say ""hi"""'), ["a", "b,c", "", "d", "", 'say "hi"'])
    assert.deepStrictEqual(parseCsvLine("x,"), ["x", ""])
    assert.deepStrictEqual(parseCsvLine('""'), [""])
    assert.strictEqual(parseCsvLine('"open'), undefined)
    assert.strictEqual(parseCsvLine('"a"b'), undefined)
    assert.strictEqual(parseCsvLine('a"b'), undefined)
  })

  it("decodes form-URL-encoded keys: + is a space, %2B a plus", () => {
    assert.strictEqual(decodeInventoryKey("items/a+b%2Bc/%C3%BC.webp"), "items/a b+c/ü.webp")
    assert.strictEqual(decodeInventoryKey("plain/key.txt"), "plain/key.txt")
  })
})

const SCHEMA = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass"
const q = (value: string) => `"${value}"`
const row = (fields: {
  key: string
  version?: string
  latest?: boolean
  marker?: boolean
  size: number | ""
  modified: number
  storageClass?: string
}) =>
  [
    q("source-bucket"),
    q(fields.key),
    q(fields.version ?? "v1"),
    q(String(fields.latest ?? true)),
    q(String(fields.marker ?? false)),
    q(String(fields.size)),
    q(new Date(fields.modified).toISOString()),
    q("0123456789abcdef0123456789abcdef"),
    q(fields.storageClass ?? "STANDARD")
  ].join(",")

const manifestOf = (files: ReadonlyArray<{ key: string; md5: string; size: number }>, extra: object = {}) =>
  encoder.encode(
    JSON.stringify({
      sourceBucket: "source-bucket",
      destinationBucket: "arn:aws:s3:::inventory-bucket",
      version: "2016-11-30",
      creationTimestamp: String(CREATED),
      fileFormat: "CSV",
      fileSchema: SCHEMA,
      files: files.map((f) => ({ key: f.key, size: f.size, MD5checksum: f.md5 })),
      ...extra
    })
  )

/** Writes a small report from CSV lines (one file) and returns its manifest key. */
const smallReport = (name: string, lines: ReadonlyArray<string>, extra: object = {}, md5?: string) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const gz = gzipSync(`${lines.join("\n")}\n`)
    const dataKey = `inventory/${name}/data/file.csv.gz`
    yield* store.put(dataKey, new Uint8Array(gz))
    const manifestKey = `inventory/${name}/2026-03-01T00-00Z/manifest.json`
    yield* store.put(
      manifestKey,
      manifestOf([{ key: dataKey, size: gz.length, md5: md5 ?? createHash("md5").update(gz).digest("hex") }], extra)
    )
    return manifestKey
  })

layer(Layer.provideMerge(Stats.layer, Testing.layerFs()))("reports that are refused", (it) => {
  it.effect("a malformed line, a wrong MD5, a non-CSV format, a missing Size: InventoryError saying which", () =>
    Effect.gen(function* () {
      const statistics = yield* StorageStatistics
      const good = row({ key: "a", size: 1, modified: CREATED })
      const failure = (manifest: string) => Effect.flip(statistics.fromInventory(manifest))

      const broken = yield* failure(yield* smallReport("broken", [good, good, '"source-bucket","b","v1",oops"']))
      assert.strictEqual(broken._tag, "InventoryError")
      assert.include(broken.message, "line 3")

      const short = yield* failure(yield* smallReport("short", [good, '"source-bucket","b"']))
      assert.include(short.message, "line 2: 2 fields")

      const tampered = yield* failure(yield* smallReport("tampered", [good], {}, "00000000000000000000000000000000"))
      assert.include(tampered.message, "MD5")

      const orc = yield* failure(yield* smallReport("orc", [good], { fileFormat: "ORC" }))
      assert.include(orc.message, "only CSV")

      const sizeless = yield* failure(yield* smallReport("sizeless", [good], { fileSchema: "Bucket, Key" }))
      assert.include(sizeless.message, "lacks Size")

      const missing = yield* Effect.flip(statistics.fromInventory("inventory/none/manifest.json"))
      assert.strictEqual(missing._tag, "ObjectNotFound")
    })
  )

  it.effect("latestManifest picks the newest report folder", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      for (const day of ["2026-02-27", "2026-03-01", "2026-02-28"])
        yield* store.put(`inventory/daily/${day}T00-00Z/manifest.json`, encoder.encode("{}"))
      assert.strictEqual(
        yield* latestManifest(store, "inventory/daily/"),
        "inventory/daily/2026-03-01T00-00Z/manifest.json"
      )
      const none = yield* Effect.flip(latestManifest(store, "inventory/nothing-here/"))
      assert.strictEqual(none._tag, "InventoryError")
    })
  )
})

// --- 1,000,000 rows ------------------------------------------------------------------------

const ROWS = 1_000_000
const FILES = 4
const BATCH = 5_000

interface Expected {
  objects: number
  bytes: number
  cold: number
  noncurrent: number
  noncurrentBytes: number
  markers: number
  items: number
  spaced: number
  old: number
}

/** Row i of the generated report, and its contribution to the expected figures. */
const generatedRow = (i: number, expected: Expected): string => {
  const size = (i % 1000) * 37 + (i % 7)
  const modified = CREATED - (i % 500) * DAY
  // Every 50th key has a space and a plus, encoded as S3 writes them: "a b+" → "a+b%2B".
  const spaced = i % 50 === 0
  const key = spaced ? `spaced/a+b%2B${i}.webp` : `items/${i % 9973}/photos/h/${i}.webp`
  if (i % 100 === 1) {
    expected.markers++
    return row({ key: `temp/${i}`, marker: true, latest: true, size: "", modified })
  }
  if (i % 10 === 3) {
    expected.noncurrent++
    expected.noncurrentBytes += size
    return row({ key, latest: false, version: "v0", size, modified })
  }
  const storageClass = i % 4 === 0 ? "GLACIER" : "STANDARD"
  expected.objects++
  expected.bytes += size
  if (spaced) expected.spaced++
  else expected.items++
  if (storageClass === "GLACIER") expected.cold++
  if (CREATED - modified >= 365 * DAY) expected.old++
  return row({ key, size, modified, storageClass })
}

/** Streams a gzipped file of rows [from, to) into the store; returns its MD5 and size. */
const writeFile = (key: string, from: number, to: number, expected: Expected) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const md5 = createHash("md5")
    let size = 0
    async function* text() {
      for (let start = from; start < to; start += BATCH) {
        const lines: Array<string> = []
        for (let i = start; i < Math.min(to, start + BATCH); i++) lines.push(generatedRow(i, expected))
        yield `${lines.join("\n")}\n`
      }
    }
    const gzip = createGzip()
    pipeline(Readable.from(text()), gzip, () => {})
    const body = Stream.fromAsyncIterable(gzip as AsyncIterable<Uint8Array>, (e) => e).pipe(
      Stream.map((chunk) => {
        md5.update(chunk)
        size += chunk.length
        return new Uint8Array(chunk)
      })
    )
    yield* store.put(key, body)
    return { key, md5: md5.digest("hex"), size }
  })

layer(Layer.provideMerge(Stats.layer, Testing.layerFs()), { excludeTestServices: true })(
  "a 1,000,000-row report",
  (it) => {
    it.effect(
      "gives exact statistics with flat memory",
      () =>
        Effect.gen(function* () {
          const store = yield* ObjectStore
          const expected: Expected = {
            objects: 0,
            bytes: 0,
            cold: 0,
            noncurrent: 0,
            noncurrentBytes: 0,
            markers: 0,
            items: 0,
            spaced: 0,
            old: 0
          }
          const files = []
          for (let f = 0; f < FILES; f++)
            files.push(
              yield* writeFile(
                `inventory/big/data/part-${f}.csv.gz`,
                (f * ROWS) / FILES,
                ((f + 1) * ROWS) / FILES,
                expected
              )
            )
          const manifestKey = "inventory/big/2026-03-01T00-00Z/manifest.json"
          yield* store.put(manifestKey, manifestOf(files))

          // Memory is sampled while the report is read; a reader that held the rows (≥ 100 MB of
          // text, twice that as strings) would blow the bound.
          const baseline = process.memoryUsage()
          let peakHeap = baseline.heapUsed
          let peakRss = baseline.rss
          const sampler = setInterval(() => {
            const now = process.memoryUsage()
            peakHeap = Math.max(peakHeap, now.heapUsed)
            peakRss = Math.max(peakRss, now.rss)
          }, 10)
          const stats = yield* (yield* StorageStatistics)
            .fromInventory(manifestKey, { largest: 5, trackPrefixes: ["spaced/a b+"] })
            .pipe(Effect.ensuring(Effect.sync(() => clearInterval(sampler))))
          const heapGrowth = (peakHeap - baseline.heapUsed) / 2 ** 20
          const rssGrowth = (peakRss - baseline.rss) / 2 ** 20
          console.log(
            `inventory: ${ROWS} rows in ${stats.listing.durationMs} ms; heap +${heapGrowth.toFixed(1)} MiB, rss +${rssGrowth.toFixed(1)} MiB`
          )

          assert.strictEqual(stats.source, "inventory")
          assert.strictEqual(stats.location, "s3://source-bucket")
          assert.strictEqual(stats.listing.shards, FILES)
          assert.strictEqual(stats.generatedAt, new Date(CREATED).toISOString())
          assert.deepStrictEqual(stats.totals, { objects: expected.objects, bytes: expected.bytes })
          assert.deepStrictEqual(stats.versions, {
            versioning: "Unknown",
            noncurrentVersions: expected.noncurrent,
            noncurrentBytes: expected.noncurrentBytes,
            deleteMarkers: expected.markers
          })
          assert.strictEqual(stats.byStorageClass.find((c) => c.storageClass === "GLACIER")?.objects, expected.cold)
          assert.deepStrictEqual(
            stats.byPrefix.entries.map((e) => [e.prefix, e.objects]),
            [
              ["items/", expected.items],
              ["spaced/", expected.spaced]
            ]
          )
          // Keys are decoded: "a+b%2B" came back as "a b+".
          assert.strictEqual(stats.tracked[0]?.objects, expected.spaced)
          assert.strictEqual(stats.ageHistogram.at(-1)?.objects, expected.old)
          assert.strictEqual(stats.multipartUploads, null)
          assert.strictEqual(expected.objects + expected.noncurrent + expected.markers, ROWS)
          assert.strictEqual(stats.largest[0]?.size, 999 * 37 + 6)
          assert.isBelow(heapGrowth, 100, "heap growth while reading")
          assert.isBelow(rssGrowth, 150, "resident memory growth while reading")
        }),
      300_000
    )
  }
)
