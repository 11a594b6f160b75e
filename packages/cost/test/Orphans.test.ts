/**
 * Orphans: reference sources (file, stored object, paged HTTP endpoint), photo variants and
 * folders covered by one reference, the grace period, the scope, and deletion through the
 * shared plan/manifest/safety mechanism — on fs (TestClock ages) and on Ceph RGW.
 */
import { writeFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { assert, describe, it, layer } from "@effect/vitest"
import { testS3 } from "@localex/local-s3"
import { ObjectStore } from "@localex/storage-core"
import * as Testing from "@localex/storage-core/testing"
import { Effect, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, beforeAll } from "vitest"
import * as Orphans from "../src/Orphans.js"
import { OrphanCleanup, photoFolder, ReferenceIndex } from "../src/Orphans.js"
import * as ReferenceSource from "../src/ReferenceSource.js"

const engine = testS3()

const HOUR = 3_600_000
const NOW = Date.parse("2026-06-01T12:00:00Z")

describe("what a reference covers", () => {
  it("a photo reference covers its whole {hash}/ folder; a folder reference, everything under it", () => {
    assert.strictEqual(photoFolder("items/i1/photos/abc/thumb.webp"), "items/i1/photos/abc/")
    assert.strictEqual(photoFolder("profiles/u1/photos/abc"), "profiles/u1/photos/abc/")
    assert.strictEqual(photoFolder("items/i1/doc.pdf"), undefined)
    const index = new ReferenceIndex()
    index.add("items/i1/photos/abc/thumb.webp")
    index.add("/profiles/u1/photos/p1") // a leading "/" and no trailing one: the folder itself
    index.add("items/i2/doc.pdf")
    index.add("items/i3/")
    assert.deepStrictEqual(index.size, { keys: 2, folders: 3 })
    for (const key of [
      "items/i1/photos/abc/thumb.webp",
      "items/i1/photos/abc/large.avif",
      "items/i1/photos/abc/manifest.json",
      "profiles/u1/photos/p1/avatar.webp",
      "profiles/u1/photo.json", // the user's profile-photo pointer stays with their photo
      "items/i2/doc.pdf",
      "items/i3/anything/at/all"
    ])
      assert.isTrue(index.covers(key), key)
    for (const key of [
      "items/i1/photos/abd/thumb.webp",
      "items/i1/photos/abc",
      "items/i2/doc.pdf.bak",
      "items/i4/x",
      "profiles/u2/photo.json"
    ])
      assert.isFalse(index.covers(key), key)
  })
})

/** Key, size, age in hours. */
const POPULATION: ReadonlyArray<readonly [string, number, number]> = [
  ["items/i1/photos/h1/thumb.webp", 10, 100],
  ["items/i1/photos/h1/large.webp", 20, 100],
  ["items/i1/photos/h1/manifest.json", 5, 100],
  ["items/i1/photos/h2/thumb.webp", 11, 100], // i1's second photo: not referenced
  ["items/i1/photos/h2/manifest.json", 6, 100],
  ["items/i9/photos/h9/thumb.webp", 12, 2], // unreferenced but younger than the grace period
  ["profiles/u1/photos/p1/avatar.webp", 30, 100],
  ["profiles/u2/photos/p2/avatar.webp", 31, 100], // unreferenced
  ["items/i2/attachment.pdf", 40, 100],
  ["temp/upload.bin", 50, 100], // out of scope
  ["reports/old.json", 60, 100] // out of scope
]
const REFERENCES = ["items/i1/photos/h1/thumb.webp", "profiles/u1/photos/p1/", "items/i2/attachment.pdf"]
const ORPHANS = [
  "items/i1/photos/h2/manifest.json",
  "items/i1/photos/h2/thumb.webp",
  "profiles/u2/photos/p2/avatar.webp"
]

const seed = Effect.gen(function* () {
  const store = yield* ObjectStore
  for (const [key, size, ageHours] of POPULATION) {
    yield* TestClock.setTime(NOW - ageHours * HOUR)
    yield* Testing.putAll(store, [{ key, size }])
  }
  yield* TestClock.setTime(NOW)
})

// A reference endpoint on an ephemeral port: pages of 2 keys with a numeric cursor.
let server: Server
let base = ""
const requests: Array<string> = []
let failuresLeft = 0
beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://x")
    requests.push(url.pathname + url.search)
    if (url.pathname === "/flaky" && failuresLeft > 0) {
      failuresLeft--
      response.writeHead(503).end()
      return
    }
    if (url.pathname === "/missing") return void response.writeHead(404).end("no such endpoint")
    if (url.pathname === "/garbage") return void response.writeHead(200).end('{"items": []}')
    if (url.pathname === "/stuck") return void response.writeHead(200).end('{"keys": ["a"], "nextCursor": "same"}')
    if (request.headers.authorization !== "Bearer t0ken") return void response.writeHead(401).end()
    const cursor = Number(url.searchParams.get("cursor") ?? "0")
    const limit = Number(url.searchParams.get("limit"))
    const keys = REFERENCES.slice(cursor, cursor + limit)
    const next = cursor + limit < REFERENCES.length ? String(cursor + limit) : null
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys, nextCursor: next }))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const http = (route: string) =>
  ReferenceSource.fromHttp(`${base}${route}`, { headers: { authorization: "Bearer t0ken" }, pageSize: 2 })

describe("reference sources", () => {
  it.live("a file of plain keys and NDJSON lines", () =>
    Effect.gen(function* () {
      const file = path.join(Testing.tempDir(), "..", `refs-${Date.now()}.txt`)
      writeFileSync(file, `items/a\n\n{"key":"items/b","note":"x"}\r\n  items/c  \n`)
      const source = ReferenceSource.fromFile(file)
      assert.deepStrictEqual(yield* Stream.runCollect(source.keys), ["items/a", "items/b", "items/c"])
      assert.deepStrictEqual(yield* Stream.runCollect(source.keys), ["items/a", "items/b", "items/c"], "read again")
      writeFileSync(file, `items/a\n{"id": 3}\n`)
      const bad = yield* Effect.flip(Stream.runCollect(ReferenceSource.fromFile(file).keys))
      assert.include(bad.message, "line 2")
      const missing = yield* Effect.flip(Stream.runCollect(ReferenceSource.fromFile(`${file}.none`).keys))
      assert.strictEqual(missing._tag, "ReferenceSourceError")
    })
  )

  it.live("an HTTP endpoint paged with a cursor, retried on 503, refused on 404, bad pages and stuck cursors", () =>
    Effect.gen(function* () {
      requests.length = 0
      assert.deepStrictEqual(yield* Stream.runCollect(http("/refs").keys), REFERENCES)
      assert.deepStrictEqual(requests, ["/refs?limit=2", "/refs?limit=2&cursor=2"])
      failuresLeft = 2
      assert.deepStrictEqual(yield* Stream.runCollect(http("/flaky").keys), REFERENCES)
      for (const [route, expected] of [
        ["/missing", "HTTP 404"],
        ["/garbage", "a page must be"],
        ["/stuck", "twice"]
      ] as const) {
        const error = yield* Effect.flip(Stream.runCollect(http(route).keys))
        assert.strictEqual(error._tag, "ReferenceSourceError")
        assert.include(error.message, expected)
      }
      const unauthorized = yield* Effect.flip(Stream.runCollect(ReferenceSource.fromHttp(`${base}/refs`).keys))
      assert.include(unauthorized.message, "HTTP 401")
    })
  )
})

layer(Layer.provideMerge(Orphans.layer, Testing.layerFs()))("orphans on fs", (it) => {
  it.effect(
    "the report: unreferenced photos and files past the grace period, in scope; a dry run deletes nothing",
    () =>
      Effect.gen(function* () {
        yield* seed
        const store = yield* ObjectStore
        const orphans = yield* OrphanCleanup
        const outcome = yield* orphans.run(ReferenceSource.fromKeys(REFERENCES), { dryRun: true })
        assert.deepStrictEqual(
          outcome.plan.candidates.map((c) => c.key),
          ORPHANS
        )
        assert.deepStrictEqual(outcome.plan.totals, { objects: 3, bytes: 6 + 11 + 31 })
        assert.deepStrictEqual(outcome.plan.population, { objects: 9, bytes: 10 + 20 + 5 + 11 + 6 + 12 + 30 + 31 + 40 })
        // One of the keys is profiles/u1/photo.json, kept with u1's photo.
        assert.deepStrictEqual(outcome.plan.criteria.references, { keys: 2, folders: 2 })
        assert.strictEqual(outcome.plan.criteria.unreferencedWithinGrace, 1)
        assert.strictEqual(outcome.report, null)
        assert.strictEqual((yield* Testing.allKeys(store)).length, POPULATION.length)

        // The grace period decides about the young photo.
        const shortGrace = yield* orphans.plan(ReferenceSource.fromKeys(REFERENCES), { gracePeriod: "1 hour" })
        assert.include(
          shortGrace.candidates.map((c) => c.key),
          "items/i9/photos/h9/thumb.webp"
        )
      })
  )

  it.effect("references from a stored object and from HTTP give the same plan; the real run deletes it once", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      yield* store.put(
        "reports/references.ndjson",
        new TextEncoder().encode(REFERENCES.map((key) => JSON.stringify({ key })).join("\n"))
      )
      const orphans = yield* OrphanCleanup
      const fromObject = yield* ReferenceSource.fromObject("reports/references.ndjson")
      const viaObject = yield* orphans.plan(fromObject)
      assert.deepStrictEqual(
        viaObject.candidates.map((c) => c.key),
        ORPHANS
      )
      assert.strictEqual(viaObject.criteria.source, `${store.location}/reports/references.ndjson`)

      const run = yield* orphans.run(fromObject)
      assert.deepStrictEqual(run.report?.deleted, { objects: 3, bytes: 48 })
      assert.isTrue(run.report?.manifestKey?.endsWith("-orphans-plan.json"))
      const left = yield* Testing.allKeys(store)
      for (const key of ORPHANS) assert.notInclude(left, key)
      assert.include(left, "items/i1/photos/h1/large.webp", "a variant of a referenced photo stays")
      assert.include(left, "items/i9/photos/h9/thumb.webp", "a young object stays")
      assert.include(left, "temp/upload.bin", "out of scope stays")

      const again = yield* orphans.run(fromObject)
      assert.strictEqual(again.report?.deleted.objects, 0)
    })
  )

  it.effect("no references at all is refused: it would make every object an orphan", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const before = yield* Testing.allKeys(store)
      const error = yield* Effect.flip((yield* OrphanCleanup).run(ReferenceSource.fromKeys([])))
      assert.strictEqual(error._tag, "ReferenceSourceError")
      assert.deepStrictEqual(yield* Testing.allKeys(store), before)
    })
  )
})

// --- Ceph RGW --------------------------------------------------------------------------------

describe.skipIf(engine === undefined)("orphans on Ceph RGW", () => {
  const raw = Testing.rawClient(engine)
  const bucket = Testing.bucketName("orphans")
  afterAll(async () => {
    await Testing.dropBucket(raw, bucket)
    raw.destroy()
  })

  layer(Layer.provideMerge(Orphans.layer, Testing.layerS3(engine!, { bucket: bucket })), { excludeTestServices: true })(
    "",
    (it) => {
      it.effect("references from HTTP; variants kept, orphans deleted, safety limit respected", () =>
        Effect.gen(function* () {
          const store = yield* ObjectStore
          yield* Testing.putAll(
            store,
            POPULATION.map(([key, size]) => ({ key, size }))
          )
          const orphans = yield* OrphanCleanup
          const later = new Date(Date.now() + 2 * 24 * HOUR)
          // Everything is older than the grace period two days from now, the young photo included.
          const refused = yield* Effect.flip(orphans.run(http("/refs"), { now: later, safety: { maxObjects: 3 } }))
          assert.strictEqual(refused._tag, "SafetyLimitExceeded")
          const run = yield* orphans.run(http("/refs"), { now: later })
          assert.deepStrictEqual(
            run.plan.candidates.map((c) => c.key),
            [...ORPHANS, "items/i9/photos/h9/thumb.webp"].sort()
          )
          assert.strictEqual(run.report?.deleted.objects, 4)
          assert.deepStrictEqual(
            (yield* Testing.allKeys(store)).filter((k) => !k.startsWith("_localex/")),
            [
              "items/i1/photos/h1/large.webp",
              "items/i1/photos/h1/manifest.json",
              "items/i1/photos/h1/thumb.webp",
              "items/i2/attachment.pdf",
              "profiles/u1/photos/p1/avatar.webp",
              "reports/old.json",
              "temp/upload.bin"
            ]
          )
        })
      )
    }
  )
})
