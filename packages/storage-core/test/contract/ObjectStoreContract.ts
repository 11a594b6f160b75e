/**
 * The ObjectStore contract: one suite, run once per driver (`fs` in test/fs.test.ts, `s3` on
 * the local Ceph RGW in test/s3.test.ts). It says what a user of any driver can rely on.
 *
 * Every key lives under a prefix unique to the run, so a shared bucket does not disturb it.
 * Tests run with the live clock (objects get real timestamps) except where a test sets one:
 * `presign` must take "now" from Effect's `Clock` so that an expired URL can be made.
 */
import { randomUUID } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Deferred, Effect, Fiber, type Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { MAX_PRESIGN_SECONDS, ObjectStore, type PresignedUrl, type PutBody } from "../../src/ObjectStore.js"
import * as SignedUrl from "../../src/SignedUrl.js"
import {
  byteOrder,
  chunked,
  collectBytes,
  digestStream,
  expectedListing,
  MiB,
  md5,
  seededBytes,
  sha256
} from "./fixtures.js"

export type PresignCheck = "valid" | "expired" | "invalid"

/** `checkPresigned` for the drivers that sign with the local HMAC scheme (fs, memory). */
export const checkLocalSignature =
  (secret: string): NonNullable<ContractOptions["checkPresigned"]> =>
  (url, request) =>
    Effect.sync((): PresignCheck => {
      const parts = SignedUrl.parse(url)
      if (parts === undefined) return "invalid"
      const verdict = SignedUrl.verify({
        secret,
        key: parts.key,
        method: request.method,
        expires: parts.expires,
        sig: parts.sig,
        ...(request.contentType === undefined ? {} : { contentType: request.contentType }),
        now: new Date()
      })
      return verdict._tag === "Valid" ? "valid" : verdict._tag === "Expired" ? "expired" : "invalid"
    })

export interface ContractOptions {
  /** The driver's presigned URLs work with plain `fetch` (s3): the suite uses them for real. */
  readonly fetchPresigned?: boolean
  /**
   * For drivers whose URLs are served elsewhere (fs: by the HTTP app): says whether `url`
   * would be honoured for a request with this method and Content-Type.
   */
  readonly checkPresigned?: (
    url: string,
    request: { readonly method: "GET" | "PUT"; readonly contentType?: string }
  ) => Effect.Effect<PresignCheck>
  /**
   * Fails when a failed or interrupted put of `key` left anything behind besides the object
   * (fs: a temp file; s3: an in-progress multipart upload).
   */
  readonly assertNoLeftovers?: (key: string) => Effect.Effect<void, unknown>
  /** The tags stored on `key`, read behind the store's back (the ObjectStore does not return tags). */
  readonly tagsOf?: (key: string) => Effect.Effect<Readonly<Record<string, string>>, unknown>
}

/** A folder for the length of the test. */
const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "localex-contract-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

const failureTag = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => error._tag)

/** 2,500 keys whose byte order differs from JavaScript's and from locale order: uppercase, accents, CJK, emoji, fullwidth. */
const manyKeys = (prefix: string): Array<string> => {
  const stems = ["a", "B", "b", "Z", "é", "E", "中", "😀", "ｚ", "-", "_", "~", "0"]
  return Array.from({ length: 2500 }, (_, i) => {
    const stem = stems[i % stems.length]!
    const name = `${stem}${(i * 7919).toString(36)}${stems[(i * 3) % stems.length]}`
    // Some keys one or two folders down, so delimited listings have common prefixes.
    if (i % 10 === 3) return `${prefix}dir-${stem}/${name}`
    if (i % 25 === 7) return `${prefix}deep/${stem}/${name}`
    return `${prefix}${name}`
  })
}

export const objectStoreContract = (
  name: string,
  storeLayer: Layer.Layer<ObjectStore, unknown>,
  options: ContractOptions = {}
): void => {
  const run = `contract/${name}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}/`
  const noLeftovers = (key: string) => options.assertNoLeftovers?.(key) ?? Effect.void

  layer(storeLayer, { excludeTestServices: true })(`ObjectStore contract: ${name}`, (it) => {
    // --- bytes in, bytes out -------------------------------------------------------------

    const sizes = [
      { size: 0, via: "bytes" },
      { size: 0, via: "stream" },
      { size: 1, via: "bytes" },
      { size: 5 * MiB - 1, via: "bytes" },
      { size: 5 * MiB + 1, via: "stream" },
      { size: 64 * MiB, via: "file" }
    ] as const

    for (const { size, via } of sizes) {
      it.effect(`round-trips ${size} bytes put from ${via === "bytes" ? "a Uint8Array" : `a ${via}`}`, () =>
        Effect.gen(function* () {
          const store = yield* ObjectStore
          const key = `${run}round-trip/${via}-${size}.bin`
          const bytes = seededBytes(size, size)
          let lastProgress = 0
          const onProgress = ({ loaded }: { readonly loaded: number }) => {
            lastProgress = loaded
          }
          let body: PutBody
          if (via === "bytes") body = bytes
          else if (via === "stream") body = chunked(bytes, MiB + 7)
          else {
            const dir = yield* Effect.acquireRelease(
              Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "localex-contract-"))),
              (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
            )
            yield* Effect.promise(() => fs.writeFile(path.join(dir, "body.bin"), bytes))
            body = { _tag: "File", path: path.join(dir, "body.bin") } as const
          }
          const info = yield* store.put(key, body, { onProgress })
          assert.strictEqual(info.size, size)
          if (size > 0) assert.strictEqual(lastProgress, size, "the last progress event reports every byte")
          if (size < 5 * MiB) assert.strictEqual(info.etag, md5(bytes), "a single-part ETag is the MD5 of the bytes")

          const head = yield* store.head(key)
          assert.strictEqual(head.size, size)
          assert.strictEqual(head.etag, info.etag)
          const got = yield* store.get(key)
          assert.strictEqual(got.info.size, size)
          assert.isUndefined(got.range)
          assert.deepStrictEqual(yield* digestStream(got.body), { sha256: sha256(bytes), size })

          // download: the same bytes in a file, nothing else left in its folder.
          const dir = yield* tempDir
          const target = path.join(dir, "out.bin")
          yield* Effect.promise(() => fs.writeFile(target, "an older file, replaced"))
          let downloaded = 0
          const saved = yield* store.download(key, target, {
            onProgress: ({ loaded }) => {
              downloaded = loaded
            }
          })
          assert.strictEqual(saved.size, size)
          assert.strictEqual(saved.etag, info.etag)
          assert.strictEqual(sha256(yield* Effect.promise(() => fs.readFile(target))), sha256(bytes))
          assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(dir)), ["out.bin"])
          if (size > 0) assert.strictEqual(downloaded, size, "the last progress event reports every byte")
        })
      )
    }

    it.effect("download of a missing key fails with ObjectNotFound, leaves the file as it was and nothing else", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const dir = yield* tempDir
        const target = path.join(dir, "kept.txt")
        yield* Effect.promise(() => fs.writeFile(target, "kept"))
        assert.strictEqual(yield* failureTag(store.download(`${run}missing/none.bin`, target)), "ObjectNotFound")
        assert.strictEqual(yield* Effect.promise(() => fs.readFile(target, "utf8")), "kept")
        assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(dir)), ["kept.txt"])
        assert.strictEqual(yield* failureTag(store.download("../bad", target)), "InvalidKey")
      })
    )

    it.effect("round-trips content type, cache-control, content disposition and metadata", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}meta/photo.webp`
        yield* store.put(key, seededBytes(1, 100), {
          contentType: "image/webp",
          cacheControl: "public, max-age=31536000, immutable",
          contentDisposition: 'inline; filename="photo.webp"',
          metadata: { "Owner-Id": "u-42", source: "upload" }
        })
        for (const info of [yield* store.head(key), (yield* store.get(key)).info]) {
          assert.strictEqual(info.key, key)
          assert.strictEqual(info.contentType, "image/webp")
          assert.strictEqual(info.cacheControl, "public, max-age=31536000, immutable")
          assert.strictEqual(info.contentDisposition, 'inline; filename="photo.webp"')
          assert.deepStrictEqual(info.metadata, { "owner-id": "u-42", source: "upload" })
        }
        // A later put replaces the metadata with its own.
        yield* store.put(key, seededBytes(2, 10), { contentType: "image/png" })
        const replaced = yield* store.head(key)
        assert.strictEqual(replaced.contentType, "image/png")
        assert.isUndefined(replaced.cacheControl)
        assert.deepStrictEqual(replaced.metadata, {})
        assert.strictEqual(replaced.size, 10)
      })
    )

    it.effect("reports a missing key as ObjectNotFound, and exists() as false", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}missing/nothing-here`
        assert.strictEqual(yield* failureTag(store.head(key)), "ObjectNotFound")
        assert.strictEqual(yield* failureTag(store.get(key)), "ObjectNotFound")
        assert.isFalse(yield* store.exists(key))
        yield* store.put(key, new Uint8Array([1]))
        assert.isTrue(yield* store.exists(key))
      })
    )

    // --- listing --------------------------------------------------------------------------

    it.effect("lists 2,500 keys in UTF-8 byte order, in pages of 1,000 and of 7, with start-after", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const prefix = `${run}many/`
        const keys = manyKeys(prefix)
        const sorted = [...keys].sort(byteOrder)
        // The data must tell the orders apart, or this test could not catch a driver that sorts naively.
        assert.notDeepEqual(sorted, [...keys].sort(), "byte order differs from JavaScript's order")
        assert.notDeepEqual(
          sorted,
          [...keys].sort((a, b) => a.localeCompare(b)),
          "byte order differs from locale order"
        )

        yield* Effect.forEach(keys, (key, i) => store.put(key, seededBytes(i, i % 3)), {
          concurrency: 32,
          discard: true
        })
        for (const pageSize of [1000, 7]) {
          const listed = yield* Stream.runCollect(store.list({ prefix, pageSize }))
          assert.deepStrictEqual(
            listed.map((entry) => (entry._tag === "Object" ? entry.key : `prefix:${entry.prefix}`)),
            sorted,
            `pageSize ${pageSize}`
          )
          const first = listed[0]!
          assert.strictEqual(first._tag === "Object" && first.size, keys.indexOf(sorted[0]!) % 3)
        }
        const startAfter = sorted[1234]!
        const rest = yield* Stream.runCollect(store.list({ prefix, startAfter, pageSize: 100 }))
        assert.deepStrictEqual(
          rest.map((entry) => (entry._tag === "Object" ? entry.key : entry.prefix)),
          sorted.slice(1235)
        )

        const delimited = yield* Stream.runCollect(store.list({ prefix, delimiter: "/", pageSize: 7 }))
        const expected = expectedListing(keys, { prefix, delimiter: "/" })
        assert.deepStrictEqual(
          delimited.map((entry) => (entry._tag === "Object" ? `object:${entry.key}` : `prefix:${entry.prefix}`)),
          expected
        )
        assert.include(expected, `prefix:${prefix}deep/`, "a folder that only holds folders is a common prefix")
      })
    )

    it.effect("groups common prefixes exactly as S3 does", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const p = `${run}tree/`
        const keys = [
          `${p}a`,
          `${p}b/c`,
          `${p}b/d`,
          `${p}c/`, // a folder marker
          `${p}deep/er/x`, // a folder holding only a folder
          `${p}e`, // both an object ...
          `${p}e/f`, // ... and a folder
          `${p}e-g`, // sorts between "e" and "e/": "-" is 0x2D, "/" is 0x2F
          `${p}v.1`,
          `${p}v.2`
        ]
        yield* Effect.forEach(keys, (key) => store.put(key, new Uint8Array()), { discard: true })
        const listing = (options: {
          readonly prefix: string
          readonly delimiter?: string
          readonly startAfter?: string
        }) =>
          Effect.map(Stream.runCollect(store.list({ ...options, pageSize: 2 })), (entries) =>
            entries.map((entry) => (entry._tag === "Object" ? `object:${entry.key}` : `prefix:${entry.prefix}`))
          )

        assert.deepStrictEqual(yield* listing({ prefix: p, delimiter: "/" }), [
          `object:${p}a`,
          `prefix:${p}b/`,
          `prefix:${p}c/`,
          `prefix:${p}deep/`,
          `object:${p}e`,
          `object:${p}e-g`,
          `prefix:${p}e/`,
          `object:${p}v.1`,
          `object:${p}v.2`
        ])
        assert.deepStrictEqual(yield* listing({ prefix: `${p}c/`, delimiter: "/" }), [`object:${p}c/`])
        assert.deepStrictEqual(yield* listing({ prefix: `${p}deep/`, delimiter: "/" }), [`prefix:${p}deep/er/`])
        assert.deepStrictEqual(yield* listing({ prefix: `${p}e`, delimiter: "/" }), [
          `object:${p}e`,
          `object:${p}e-g`,
          `prefix:${p}e/`
        ])
        // Any delimiter, not only "/".
        assert.deepStrictEqual(yield* listing({ prefix: `${p}v`, delimiter: "." }), [`prefix:${p}v.`])
        assert.deepStrictEqual(
          yield* listing({ prefix: p, delimiter: "/", startAfter: `${p}deep/er/x` }),
          expectedListing(keys, { prefix: p, delimiter: "/", startAfter: `${p}deep/er/x` })
        )
        assert.deepStrictEqual(yield* listing({ prefix: `${p}nothing/`, delimiter: "/" }), [])
      })
    )

    // --- awkward and invalid keys -----------------------------------------------------------

    it.effect("stores awkward keys: spaces, unicode, + % & = ? #, trailing slash, file-and-folder", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const p = `${run}awkward/`
        const keys = [
          `${p}with space/file name.txt`,
          `${p}unicodé/日本語 😀.png`,
          `${p}sym + % & = ? #.bin`,
          `${p}folder/`,
          `${p}Upper/CASE.JPG`,
          `${p}both`,
          `${p}both/inner`,
          `${p}.hidden`,
          `${p}%41~@!'()*`,
          `${p}...`
        ]
        for (const [i, key] of keys.entries()) {
          const bytes = seededBytes(100 + i, 50 + i)
          yield* store.put(key, bytes, { contentType: "application/x-test" })
          assert.deepStrictEqual(yield* collectBytes((yield* store.get(key)).body), bytes, key)
          assert.strictEqual((yield* store.head(key)).key, key)
        }
        const listed = yield* Stream.runCollect(store.list({ prefix: p }))
        assert.deepStrictEqual(
          listed.map((entry) => (entry._tag === "Object" ? entry.key : entry.prefix)),
          [...keys].sort(byteOrder)
        )

        for (const [i, key] of keys.entries()) {
          const copied = `${run}awkward-copy/${key.slice(p.length)}`
          yield* store.copy(key, copied)
          assert.deepStrictEqual(yield* collectBytes((yield* store.get(copied)).body), seededBytes(100 + i, 50 + i))
          assert.strictEqual((yield* store.head(copied)).contentType, "application/x-test")
        }
        yield* Effect.forEach(keys, (key) => store.delete(key), { discard: true })
        assert.deepStrictEqual(yield* Stream.runCollect(store.list({ prefix: p })), [])
        assert.strictEqual(
          (yield* Stream.runCollect(store.list({ prefix: `${run}awkward-copy/` }))).length,
          keys.length,
          "deleting the originals leaves the copies"
        )
      })
    )

    it.effect("stores the longest valid key (1,024 bytes)", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const head = `${run}long/`
        const fill = 1024 - Buffer.byteLength(head)
        const key = `${head}${"é".repeat(Math.floor(fill / 2))}${"x".repeat(fill % 2)}`
        assert.strictEqual(Buffer.byteLength(key), 1024)
        yield* store.put(key, seededBytes(7, 7))
        assert.deepStrictEqual(yield* collectBytes((yield* store.get(key)).body), seededBytes(7, 7))
        const listed = yield* Stream.runCollect(store.list({ prefix: head }))
        assert.deepStrictEqual(
          listed.map((entry) => entry._tag === "Object" && entry.key),
          [key]
        )
        yield* store.delete(key)
        assert.isFalse(yield* store.exists(key))
      })
    )

    it.effect("refuses invalid keys with InvalidKey before any I/O", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const p = `${run}invalid/`
        const kept = `${p}kept`
        yield* store.put(kept, new Uint8Array([1, 2, 3]))
        const invalid = [
          "",
          "/leading",
          "..",
          `${p}../escape`,
          `${p}a/./b`,
          `${p}a//b`,
          `${p}control\u0001char`,
          `${p}lone\uD800surrogate`,
          `${p}non\uFFFEcharacter`,
          `${p}non\uFFFFcharacter`,
          `${p}${"x".repeat(1025 - Buffer.byteLength(p))}`
        ]
        for (const key of invalid) {
          const tags = [
            yield* failureTag(store.put(key, new Uint8Array([1]))),
            yield* failureTag(store.put(key, Stream.make(new Uint8Array([1])))),
            yield* failureTag(store.get(key)),
            yield* failureTag(store.head(key)),
            yield* failureTag(store.exists(key)),
            yield* failureTag(store.copy(kept, key)),
            yield* failureTag(store.copy(key, `${p}copy`)),
            yield* failureTag(store.delete(key)),
            yield* failureTag(store.presign(key, { method: "GET" }))
          ]
          assert.deepStrictEqual(tags, Array(tags.length).fill("InvalidKey"), JSON.stringify(key))
        }
        assert.strictEqual(yield* failureTag(store.deleteMany([kept, `${p}a//b`])), "InvalidKey")
        assert.isTrue(yield* store.exists(kept), "a batch with an invalid key deletes nothing")
        // XML cannot carry U+FFFF: such a key would sink a whole DeleteObjects batch on S3.
        assert.strictEqual(yield* failureTag(store.deleteMany([kept, `${p}\uFFFF`])), "InvalidKey")
        assert.isTrue(yield* store.exists(kept))
        assert.strictEqual(yield* failureTag(Stream.runCollect(store.list({ prefix: `${p}a//` }))), "InvalidKey")
        const listed = yield* Stream.runCollect(store.list({ prefix: p }))
        assert.deepStrictEqual(
          listed.map((entry) => entry._tag === "Object" && entry.key),
          [kept]
        )
      })
    )

    // --- copy and delete ---------------------------------------------------------------------

    it.effect("copies bytes and metadata, or replaces the metadata", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const p = `${run}copy/`
        const bytes = seededBytes(3, 3000)
        const source = yield* store.put(`${p}source`, bytes, {
          contentType: "image/jpeg",
          cacheControl: "max-age=60",
          metadata: { origin: "camera" }
        })
        const kept = yield* store.copy(`${p}source`, `${p}kept`)
        assert.strictEqual(kept.etag, source.etag)
        const keptHead = yield* store.head(`${p}kept`)
        assert.strictEqual(keptHead.contentType, "image/jpeg")
        assert.strictEqual(keptHead.cacheControl, "max-age=60")
        assert.deepStrictEqual(keptHead.metadata, { origin: "camera" })
        assert.deepStrictEqual(yield* collectBytes((yield* store.get(`${p}kept`)).body), bytes)

        yield* store.copy(`${p}source`, `${p}replaced`, {
          replace: { contentType: "image/webp", metadata: { Variant: "thumb" } }
        })
        const replaced = yield* store.head(`${p}replaced`)
        assert.strictEqual(replaced.contentType, "image/webp")
        assert.isUndefined(replaced.cacheControl)
        assert.deepStrictEqual(replaced.metadata, { variant: "thumb" })
        assert.deepStrictEqual(yield* collectBytes((yield* store.get(`${p}replaced`)).body), bytes)

        // Onto itself with new metadata (S3 allows this only with replace).
        yield* store.copy(`${p}source`, `${p}source`, { replace: { metadata: { reviewed: "yes" } } })
        assert.deepStrictEqual((yield* store.head(`${p}source`)).metadata, { reviewed: "yes" })
        assert.deepStrictEqual(yield* collectBytes((yield* store.get(`${p}source`)).body), bytes)

        assert.strictEqual(yield* failureTag(store.copy(`${p}absent`, `${p}never`)), "ObjectNotFound")
        assert.isFalse(yield* store.exists(`${p}never`))
        assert.strictEqual(
          yield* failureTag(store.copy(`${p}replaced`, `${p}kept`, { ifNoneMatch: "*" })),
          "PreconditionFailed"
        )
        assert.strictEqual((yield* store.head(`${p}kept`)).contentType, "image/jpeg")
      })
    )

    it.effect("deletes one key, leaving its neighbours; deleting a missing key succeeds", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const p = `${run}delete/`
        yield* store.put(`${p}a`, new Uint8Array([1]))
        yield* store.put(`${p}a/b`, new Uint8Array([2]))
        yield* store.delete(`${p}a/b`)
        assert.isTrue(yield* store.exists(`${p}a`))
        assert.isFalse(yield* store.exists(`${p}a/b`))
        yield* store.put(`${p}a/b`, new Uint8Array([2]))
        yield* store.delete(`${p}a`)
        assert.isFalse(yield* store.exists(`${p}a`))
        assert.isTrue(yield* store.exists(`${p}a/b`))
        yield* store.delete(`${p}never-existed`)
        const listed = yield* Stream.runCollect(store.list({ prefix: p }))
        assert.deepStrictEqual(
          listed.map((entry) => entry._tag === "Object" && entry.key),
          [`${p}a/b`]
        )
      })
    )

    it.effect("deleteMany removes 2,500 keys, one outcome per key in input order", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const prefix = `${run}bulk/`
        const keys = manyKeys(prefix)
        yield* Effect.forEach(keys, (key) => store.put(key, new Uint8Array([7])), { concurrency: 32, discard: true })
        const asked = [...keys, `${prefix}never-existed`]
        const outcomes = yield* store.deleteMany(asked)
        assert.deepStrictEqual(
          outcomes.map((outcome) => outcome.key),
          asked
        )
        assert.deepStrictEqual(
          outcomes.filter((outcome) => !outcome.deleted),
          []
        )
        assert.deepStrictEqual(yield* Stream.runCollect(store.list({ prefix })), [])
      })
    )

    // --- conditional requests ------------------------------------------------------------

    it.effect("create-only: a second create fails with PreconditionFailed and changes nothing", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}conditional/create-only`
        const first = yield* store.put(key, seededBytes(1, 64), { ifNoneMatch: "*" })
        const error = yield* Effect.flip(store.put(key, seededBytes(2, 64), { ifNoneMatch: "*" }))
        assert.strictEqual(error._tag, "PreconditionFailed")
        assert.strictEqual((yield* store.head(key)).etag, first.etag)
        assert.deepStrictEqual(yield* collectBytes((yield* store.get(key)).body), seededBytes(1, 64))
      })
    )

    it.effect("create-only: of 16 concurrent creators exactly one wins", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}conditional/race`
        const results = yield* Effect.forEach(
          Array.from({ length: 16 }, (_, i) => i),
          (i) => Effect.result(store.put(key, seededBytes(1000 + i, 4096), { ifNoneMatch: "*" })),
          { concurrency: "unbounded" }
        )
        const winners = results.flatMap((result, i) => (result._tag === "Success" ? [i] : []))
        assert.strictEqual(winners.length, 1)
        for (const result of results) {
          if (result._tag === "Failure") assert.strictEqual(result.failure._tag, "PreconditionFailed")
        }
        assert.deepStrictEqual(yield* collectBytes((yield* store.get(key)).body), seededBytes(1000 + winners[0]!, 4096))
      })
    )

    it.effect("compare-and-swap: a stale or absent ETag fails, the current one succeeds", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}conditional/cas`
        const v1 = yield* store.put(key, seededBytes(1, 100))
        const v2 = yield* store.put(key, seededBytes(2, 100), { ifMatch: v1.etag })
        assert.strictEqual(
          yield* failureTag(store.put(key, seededBytes(3, 100), { ifMatch: v1.etag })),
          "PreconditionFailed"
        )
        assert.deepStrictEqual(yield* collectBytes((yield* store.get(key)).body), seededBytes(2, 100))
        // Quoted, as an HTTP ETag header carries it.
        yield* store.put(key, seededBytes(4, 100), { ifMatch: `"${v2.etag}"` })
        assert.deepStrictEqual(yield* collectBytes((yield* store.get(key)).body), seededBytes(4, 100))
        assert.strictEqual(
          yield* failureTag(store.put(`${run}conditional/cas-absent`, seededBytes(5, 1), { ifMatch: v1.etag })),
          "PreconditionFailed"
        )
        assert.isFalse(yield* store.exists(`${run}conditional/cas-absent`))
      })
    )

    it.effect("compare-and-swap: of 8 concurrent swaps from the same ETag exactly one wins", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}conditional/cas-race`
        const base = yield* store.put(key, seededBytes(0, 512))
        const results = yield* Effect.forEach(
          Array.from({ length: 8 }, (_, i) => i),
          (i) => Effect.result(store.put(key, seededBytes(2000 + i, 512), { ifMatch: base.etag })),
          { concurrency: "unbounded" }
        )
        const winners = results.flatMap((result, i) => (result._tag === "Success" ? [i] : []))
        assert.strictEqual(winners.length, 1)
        assert.deepStrictEqual(yield* collectBytes((yield* store.get(key)).body), seededBytes(2000 + winners[0]!, 512))
      })
    )

    // --- reads: ranges and conditional gets ----------------------------------------------

    it.effect("serves byte ranges, and refuses ranges outside the object", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}range/object`
        const bytes = seededBytes(9, 1000)
        yield* store.put(key, bytes)
        const cases = [
          { range: { start: 0, end: 9 }, start: 0, end: 9 },
          { range: { start: 100, end: 199 }, start: 100, end: 199 },
          { range: { start: 990 }, start: 990, end: 999 },
          { range: { start: 990, end: 5000 }, start: 990, end: 999 },
          { range: { start: 999, end: 999 }, start: 999, end: 999 }
        ]
        for (const { range, start, end } of cases) {
          const got = yield* store.get(key, { range })
          assert.deepStrictEqual(got.range, { start, end, size: 1000 })
          assert.deepStrictEqual(yield* collectBytes(got.body), bytes.subarray(start, end + 1))
        }
        for (const range of [{ start: 1000 }, { start: 5000, end: 6000 }]) {
          const error = yield* Effect.flip(store.get(key, { range }))
          assert.strictEqual(error._tag, "RangeNotSatisfiable")
        }
        yield* store.put(`${run}range/empty`, new Uint8Array())
        assert.strictEqual(
          yield* failureTag(store.get(`${run}range/empty`, { range: { start: 0 } })),
          "RangeNotSatisfiable"
        )
      })
    )

    it.effect("answers NotModified to If-None-Match and If-Modified-Since", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}conditional-get/object`
        const info = yield* store.put(key, seededBytes(5, 500))
        const head = yield* store.head(key)
        assert.strictEqual(yield* failureTag(store.get(key, { ifNoneMatch: info.etag })), "NotModified")
        assert.strictEqual(yield* failureTag(store.get(key, { ifNoneMatch: `"${info.etag}"` })), "NotModified")
        const other = yield* store.get(key, { ifNoneMatch: md5(new Uint8Array([1])) })
        assert.strictEqual((yield* collectBytes(other.body)).length, 500)

        assert.strictEqual(yield* failureTag(store.get(key, { ifModifiedSince: head.lastModified })), "NotModified")
        const earlier = new Date(head.lastModified.getTime() - 60_000)
        const changed = yield* store.get(key, { ifModifiedSince: earlier })
        assert.strictEqual((yield* collectBytes(changed.body)).length, 500)
      })
    )

    // --- failed uploads leave nothing -----------------------------------------------------

    it.effect("a body stream that fails halfway leaves no object, and keeps the previous version", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}failed/stream`
        const failing = Stream.concat(chunked(seededBytes(11, 12 * MiB), MiB), Stream.fail("the network went away"))
        yield* Effect.flip(store.put(key, failing))
        assert.isFalse(yield* store.exists(key))
        yield* noLeftovers(key)

        const previous = seededBytes(12, 1000)
        yield* store.put(key, previous)
        yield* Effect.flip(store.put(key, failing))
        assert.deepStrictEqual(yield* collectBytes((yield* store.get(key)).body), previous)
        yield* noLeftovers(key)
      })
    )

    it.effect("an upload interrupted halfway leaves no object", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}failed/interrupted`
        const started = yield* Deferred.make<void>()
        // 12 MiB, then a body that never ends: the put is in flight when it is interrupted.
        const body = Stream.concat(chunked(seededBytes(13, 12 * MiB), MiB), Stream.never)
        const fiber = yield* Effect.forkChild(
          store.put(key, body, { onProgress: () => Deferred.doneUnsafe(started, Effect.void) })
        )
        yield* Deferred.await(started)
        yield* Fiber.interrupt(fiber)
        assert.isFalse(yield* store.exists(key))
        yield* noLeftovers(key)
      })
    )

    it.effect("maxBytes refuses larger bodies with ObjectTooLarge and stores nothing", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}too-large/object`
        const streamed = yield* Effect.flip(
          store.put(key, chunked(seededBytes(14, 2 * MiB), 256 * 1024), { maxBytes: MiB })
        )
        assert.strictEqual(streamed._tag, "ObjectTooLarge")
        assert.strictEqual(streamed._tag === "ObjectTooLarge" && streamed.limit, MiB)
        assert.isFalse(yield* store.exists(key))
        yield* noLeftovers(key)

        const bytes = yield* Effect.flip(store.put(key, seededBytes(15, MiB + 1), { maxBytes: MiB }))
        assert.deepStrictEqual(bytes._tag === "ObjectTooLarge" && [bytes.size, bytes.limit], [MiB + 1, MiB])
        assert.isFalse(yield* store.exists(key))

        const exact = yield* store.put(key, seededBytes(16, MiB), { maxBytes: MiB })
        assert.strictEqual(exact.size, MiB)
      })
    )

    it.effect("a put whose bytes contradict its localex-sha256 fails with TransportError, storing nothing", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}checksum/object`
        const previous = seededBytes(17, 1000)
        yield* store.put(key, previous)
        const wrong = { metadata: { "localex-sha256": sha256(seededBytes(18, 10)) } }
        // In memory, and streamed past the multipart threshold (on S3 the parts are hashed as they go).
        for (const body of [seededBytes(19, 1000), chunked(seededBytes(20, 12 * MiB), MiB)]) {
          const failed = yield* Effect.flip(store.put(key, body, wrong))
          assert.strictEqual(failed._tag, "TransportError")
          assert.deepStrictEqual(yield* collectBytes((yield* store.get(key)).body), previous)
          yield* noLeftovers(key)
        }
        const bytes = seededBytes(21, 1000)
        const right = yield* store.put(`${key}-right`, bytes, { metadata: { "localex-sha256": sha256(bytes) } })
        assert.strictEqual((yield* store.head(`${key}-right`)).metadata["localex-sha256"], sha256(bytes))
        assert.strictEqual(right.size, bytes.length)
      })
    )

    // --- where the drivers once disagreed: S3's behaviour, on every driver ----------------

    it.effect("a listing resumed after a common prefix does not repeat it; startAfter takes any string", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const p = `${run}resume/`
        const keys = [`${p}L/a/b`, `${p}L/a/c/d`, `${p}L/a0`]
        yield* Effect.forEach(keys, (key) => store.put(key, new Uint8Array()), { discard: true })
        const listing = (options: {
          readonly prefix: string
          readonly delimiter?: string
          readonly startAfter: string
        }) =>
          Effect.map(Stream.runCollect(store.list({ ...options, pageSize: 1 })), (entries) =>
            entries.map((entry) => (entry._tag === "Object" ? `object:${entry.key}` : `prefix:${entry.prefix}`))
          )
        const prefix = `${p}L/`
        const cases = [
          [`${p}L/a/`, [`object:${p}L/a0`]],
          [`${p}L/a/b`, [`object:${p}L/a0`]],
          [`${p}L/a//x`, [`object:${p}L/a0`]],
          [`${p}L/a`, [`prefix:${p}L/a/`, `object:${p}L/a0`]],
          ["/", [`prefix:${p}L/a/`, `object:${p}L/a0`]],
          [`${p}L/a0`, []]
        ] as const
        for (const [startAfter, expected] of cases) {
          assert.deepStrictEqual(yield* listing({ prefix, delimiter: "/", startAfter }), [...expected], startAfter)
          assert.deepStrictEqual(
            [...expected],
            expectedListing(keys, { prefix, delimiter: "/", startAfter }),
            "the model"
          )
        }
        // Resuming a delimited listing from each entry it returned yields exactly the rest.
        const all = yield* listing({ prefix, delimiter: "/", startAfter: "" })
        for (const [i, entry] of all.entries()) {
          const resumed = yield* listing({ prefix, delimiter: "/", startAfter: entry.slice(entry.indexOf(":") + 1) })
          assert.deepStrictEqual(resumed, all.slice(i + 1), `resumed after ${entry}`)
        }
        // startAfter is any string, not a key: no InvalidKey.
        for (const startAfter of ["/", "a//b", "..", `${p}L/a/./`]) {
          yield* Stream.runCollect(store.list({ prefix: p, startAfter }))
        }
        assert.deepStrictEqual(
          (yield* Stream.runCollect(store.list({ prefix: p, startAfter: "/" }))).map(
            (entry) => entry._tag === "Object" && entry.key
          ),
          keys
        )
      })
    )

    it.effect("refuses to copy an object onto itself without changes, with InvalidCopy, and changes nothing", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}self-copy/object`
        const stored = yield* store.put(key, seededBytes(30, 100), { metadata: { kept: "yes" } })
        const error = yield* Effect.flip(store.copy(key, key))
        assert.strictEqual(error._tag, "InvalidCopy")
        assert.match(error.message, /onto itself .* pass `replace`/)
        assert.strictEqual(yield* failureTag(store.copy(key, key, { ifNoneMatch: "*" })), "InvalidCopy")
        const after = yield* store.head(key)
        assert.strictEqual(after.etag, stored.etag)
        assert.deepStrictEqual(after.metadata, { kept: "yes" })
        // With changes it is allowed (S3's way to rewrite metadata in place).
        yield* store.copy(key, key, { replace: { metadata: { kept: "no" } } })
        assert.deepStrictEqual((yield* store.head(key)).metadata, { kept: "no" })
      })
    )

    it.effect("refuses metadata names a header cannot carry, with InvalidMetadata, before storing anything", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}metadata-names/object`
        const source = `${run}metadata-names/source`
        yield* store.put(source, new Uint8Array([1]))
        for (const name of ["naïve", "a b", "a:b", "", "semi;colon", 'quote"', "new\nline"]) {
          const metadata = { [name]: "value" }
          const refusals = [
            yield* Effect.flip(store.put(key, new Uint8Array([1]), { metadata })),
            yield* Effect.flip(store.put(key, Stream.make(new Uint8Array([1])), { metadata })),
            yield* Effect.flip(store.copy(source, key, { replace: { metadata } }))
          ]
          for (const error of refusals) {
            assert.strictEqual(error._tag, "InvalidMetadata", JSON.stringify(name))
            assert.match(error.message, /metadata name may only hold|cannot be empty/)
          }
          assert.isFalse(yield* store.exists(key))
        }
        yield* noLeftovers(key)
      })
    )

    it.effect("stores metadata names lower-cased with _ as -, and refuses two names that would become one", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}metadata-names/normalised`
        const put = yield* store.put(key, new Uint8Array([1]), {
          metadata: { snake_case: "1", "Mixed_Case-Name": "2", "token!#$%&'*+.^`|~": "3" }
        })
        const expected = { "snake-case": "1", "mixed-case-name": "2", "token!#$%&'*+.^`|~": "3" }
        assert.deepStrictEqual(put.metadata, expected)
        assert.deepStrictEqual((yield* store.head(key)).metadata, expected)
        assert.deepStrictEqual((yield* store.get(key)).info.metadata, expected)
        for (const metadata of [
          { a_b: "1", "a-b": "2" },
          { Name: "1", name: "2" }
        ]) {
          const error = yield* Effect.flip(store.put(`${key}-twice`, new Uint8Array([1]), { metadata }))
          assert.strictEqual(error._tag, "InvalidMetadata")
          assert.match(error.message, /keep one of them/)
        }
        assert.isFalse(yield* store.exists(`${key}-twice`))
      })
    )

    it.effect("round-trips metadata values unchanged: encoded-looking words, edge spaces, non-ASCII, empty", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const p = `${run}metadata-values/`
        const metadata = {
          "encoded-word": "=?UTF-8?B?aGk=?=",
          "encoded-q": "=?utf-8?Q?hi?=",
          starts: "=?",
          padded: "  padded  ",
          inner: "a  b, c",
          empty: "",
          unicode: "naïve ✓ 日本",
          controls: "tab\there\nnext line",
          ascii: "plain ASCII: !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
        }
        yield* store.put(`${p}single`, seededBytes(31, 10), { metadata })
        yield* store.put(`${p}multipart`, chunked(seededBytes(32, 5 * MiB + 1), MiB), { metadata })
        yield* store.copy(`${p}single`, `${p}kept`)
        yield* store.copy(`${p}single`, `${p}replaced`, { replace: { metadata } })
        for (const key of ["single", "multipart", "kept", "replaced"].map((name) => `${p}${name}`)) {
          assert.deepStrictEqual((yield* store.head(key)).metadata, metadata, key)
          assert.deepStrictEqual((yield* store.get(key)).info.metadata, metadata, key)
        }
        assert.deepStrictEqual((yield* store.put(`${p}single`, seededBytes(31, 10), { metadata })).metadata, metadata)
        assert.strictEqual(
          yield* failureTag(store.put(`${p}lone`, new Uint8Array([1]), { metadata: { bad: "lone\uD800" } })),
          "InvalidMetadata"
        )
      })
    )

    it.effect("enforces S3's tag rules on every driver, before storing anything", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}tags/refused`
        const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, "v"]))
        const refused = [
          eleven,
          { ["k".repeat(129)]: "v" },
          { k: "v".repeat(257) },
          { "a&b": "v" },
          { k: "a?b" },
          { k: "a&b=c" },
          { "": "v" },
          { "aws:reserved": "v" },
          { k: "semi;colon" }
        ]
        for (const tags of refused) {
          const error = yield* Effect.flip(store.put(key, new Uint8Array([1]), { tags }))
          assert.strictEqual(error._tag, "InvalidMetadata", JSON.stringify(tags).slice(0, 80))
          assert.match(error.message, /^Invalid tag /)
          assert.strictEqual(
            yield* failureTag(store.put(key, Stream.make(new Uint8Array([1])), { tags })),
            "InvalidMetadata"
          )
          assert.isFalse(yield* store.exists(key))
        }
        // At every limit, with every allowed kind of character.
        const allowed = {
          ...Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`k${i}`, `v${i}`])),
          ["k".repeat(128)]: "v".repeat(256),
          "Ünïcode 日本 + - = . _ : / @": "Ünïcode 日本 + - = . _ : / @",
          empty: ""
        }
        yield* store.put(`${run}tags/allowed`, new Uint8Array([1]), { tags: allowed })
        if (options.tagsOf) assert.deepStrictEqual(yield* options.tagsOf(`${run}tags/allowed`), allowed)
      })
    )

    if (options.tagsOf) {
      const tagsOf = options.tagsOf
      it.effect("copies keep the source's tags, also when they replace the metadata", () =>
        Effect.gen(function* () {
          const store = yield* ObjectStore
          const p = `${run}tags/copy/`
          const tags = { owner: "u-42", stage: "review" }
          yield* store.put(`${p}source`, seededBytes(33, 100), { tags, metadata: { a: "1" } })
          yield* store.copy(`${p}source`, `${p}kept`)
          yield* store.copy(`${p}source`, `${p}replaced`, { replace: { metadata: { b: "2" } } })
          yield* store.copy(`${p}source`, `${p}source`, { replace: { metadata: { c: "3" } } })
          for (const name of ["kept", "replaced", "source"]) {
            assert.deepStrictEqual(yield* tagsOf(`${p}${name}`), tags, name)
          }
          assert.deepStrictEqual((yield* store.head(`${p}replaced`)).metadata, { b: "2" })
          assert.deepStrictEqual((yield* store.head(`${p}source`)).metadata, { c: "3" })
        })
      )
    }

    it.effect("get with a weak or * If-None-Match answers NotModified", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}conditional-get/weak`
        const info = yield* store.put(key, seededBytes(34, 100))
        for (const ifNoneMatch of [`W/"${info.etag}"`, "*", `"*"`]) {
          assert.strictEqual(yield* failureTag(store.get(key, { ifNoneMatch })), "NotModified", ifNoneMatch)
          assert.strictEqual(
            yield* failureTag(store.get(key, { ifNoneMatch, range: { start: 5000 } })),
            "NotModified",
            "304 comes before 416"
          )
        }
        const other = yield* store.get(key, { ifNoneMatch: `W/"${md5(new Uint8Array([9]))}"` })
        assert.strictEqual((yield* collectBytes(other.body)).length, 100)
        assert.strictEqual(
          yield* failureTag(store.get(`${run}conditional-get/absent`, { ifNoneMatch: "*" })),
          "ObjectNotFound"
        )
      })
    )

    it.effect("put with If-Match * updates any existing object and never creates one", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const key = `${run}conditional/if-match-any`
        yield* store.put(key, seededBytes(35, 100))
        const updated = yield* store.put(key, seededBytes(36, 100), { ifMatch: "*" })
        assert.strictEqual(updated.etag, md5(seededBytes(36, 100)))
        assert.deepStrictEqual(yield* collectBytes((yield* store.get(key)).body), seededBytes(36, 100))
        const absent = `${run}conditional/if-match-any-absent`
        const error = yield* Effect.flip(store.put(absent, seededBytes(37, 100), { ifMatch: "*" }))
        assert.strictEqual(error._tag, "PreconditionFailed")
        assert.isFalse(yield* store.exists(absent))
      })
    )

    it.effect("reports application/octet-stream when no content type was given", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const p = `${run}content-type/`
        const put = yield* store.put(`${p}bytes`, new Uint8Array([1]))
        yield* store.put(`${p}stream`, Stream.make(new Uint8Array([1])))
        yield* store.put(`${p}typed`, new Uint8Array([1]), { contentType: "image/png" })
        yield* store.copy(`${p}typed`, `${p}replaced`, { replace: { metadata: { a: "1" } } })
        assert.strictEqual(put.contentType, "application/octet-stream")
        for (const name of ["bytes", "stream", "replaced"]) {
          assert.strictEqual((yield* store.head(`${p}${name}`)).contentType, "application/octet-stream", name)
          assert.strictEqual((yield* store.get(`${p}${name}`)).info.contentType, "application/octet-stream", name)
        }
      })
    )

    it.effect("an object looks the same in a listing, a head, a get and its put: timestamp and storage class", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const p = `${run}same-look/`
        const put = yield* store.put(`${p}object`, seededBytes(38, 100))
        const [listed] = yield* Stream.runCollect(store.list({ prefix: p }))
        assert.strictEqual(listed?._tag, "Object")
        if (listed?._tag !== "Object") return
        const head = yield* store.head(`${p}object`)
        const got = (yield* store.get(`${p}object`)).info
        for (const info of [head, got]) {
          assert.strictEqual(info.lastModified.getTime(), listed.lastModified.getTime())
          assert.strictEqual(info.storageClass, listed.storageClass)
          assert.strictEqual(info.etag, listed.etag)
          assert.strictEqual(info.size, listed.size)
        }
        assert.strictEqual(listed.storageClass, "STANDARD")
        assert.strictEqual(put.storageClass, "STANDARD")
        assert.strictEqual(listed.lastModified.getMilliseconds(), 0, "whole seconds, as HTTP dates have them")
      })
    )

    // --- presigned URLs -------------------------------------------------------------------

    it.effect("caps presigned URLs at 7 days", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const before = Date.now()
        const url = yield* store.presign(`${run}presign/capped`, { method: "GET", expiresIn: 30 * 24 * 3600 })
        const lifetime = (url.expiresAt.getTime() - before) / 1000
        assert.isAtMost(lifetime, MAX_PRESIGN_SECONDS + 1)
        assert.isAtLeast(lifetime, MAX_PRESIGN_SECONDS - 60)
        assert.strictEqual(url.method, "GET")
      })
    )

    const tamperKey = (presigned: PresignedUrl) => {
      const url = new URL(presigned.url)
      url.pathname = url.pathname.replace(/photo\.jpg$/, "photo.jpe")
      return url.toString()
    }
    const tamperSig = (presigned: PresignedUrl) => {
      const url = new URL(presigned.url)
      for (const name of ["sig", "X-Amz-Signature"]) {
        const sig = url.searchParams.get(name)
        if (sig !== null) url.searchParams.set(name, `${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`)
      }
      return url.toString()
    }
    /** A URL that expired an hour ago: signed under a clock set two hours back. */
    const expiredUrl = (key: string) =>
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.now() - 2 * 3600_000)
        const store = yield* ObjectStore
        return yield* store.presign(key, { method: "GET", expiresIn: 3600 })
      }).pipe(Effect.provide(TestClock.layer()))

    if (options.fetchPresigned) {
      const request = (url: string, init: RequestInit) =>
        Effect.promise(async () => {
          const response = await fetch(url, init)
          return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) }
        })

      it.effect("presigned GET and PUT work with plain fetch; tampered or expired ones are refused", () =>
        Effect.gen(function* () {
          const store = yield* ObjectStore
          const key = `${run}presign/photo.jpg`
          const bytes = seededBytes(21, 4096)
          yield* store.put(key, bytes, { contentType: "image/jpeg" })
          const get = yield* store.presign(key, { method: "GET", expiresIn: 300 })
          const got = yield* request(get.url, { headers: get.headers })
          assert.strictEqual(got.status, 200)
          assert.deepStrictEqual(got.body, bytes)
          assert.strictEqual((yield* request(tamperKey(get), { headers: get.headers })).status, 403)
          assert.strictEqual((yield* request(tamperSig(get), { headers: get.headers })).status, 403)
          assert.strictEqual((yield* request((yield* expiredUrl(key)).url, {})).status, 403)

          const uploaded = `${run}presign/uploaded.txt`
          const put = yield* store.presign(uploaded, { method: "PUT", contentType: "text/plain" })
          const body = new TextEncoder().encode("uploaded through a presigned URL")
          assert.strictEqual((yield* request(put.url, { method: "PUT", headers: put.headers, body })).status, 200)
          const stored = yield* store.get(uploaded)
          assert.deepStrictEqual(yield* collectBytes(stored.body), body)
          assert.strictEqual(stored.info.contentType, "text/plain")
          assert.strictEqual(
            (yield* request(get.url, { method: "PUT", headers: { "content-type": "text/plain" }, body })).status,
            403,
            "a GET URL does not allow a PUT"
          )
          assert.deepStrictEqual(yield* collectBytes((yield* store.get(key)).body), bytes)
        })
      )
    } else if (options.checkPresigned) {
      const check = options.checkPresigned
      it.effect("presigned GET and PUT URLs hold for their request only; tampered or expired ones are refused", () =>
        Effect.gen(function* () {
          const store = yield* ObjectStore
          const key = `${run}presign/photo.jpg`
          const get = yield* store.presign(key, { method: "GET", expiresIn: 300 })
          assert.strictEqual(yield* check(get.url, { method: "GET" }), "valid")
          assert.strictEqual(yield* check(tamperKey(get), { method: "GET" }), "invalid")
          assert.strictEqual(yield* check(tamperSig(get), { method: "GET" }), "invalid")
          assert.strictEqual(yield* check(get.url, { method: "PUT" }), "invalid", "a GET URL does not allow a PUT")
          assert.strictEqual(yield* check((yield* expiredUrl(key)).url, { method: "GET" }), "expired")

          const put = yield* store.presign(key, { method: "PUT", contentType: "image/jpeg" })
          assert.deepStrictEqual(put.headers, { "content-type": "image/jpeg" })
          assert.strictEqual(yield* check(put.url, { method: "PUT", contentType: "image/jpeg" }), "valid")
          assert.strictEqual(yield* check(put.url, { method: "PUT", contentType: "text/html" }), "invalid")
          assert.strictEqual(yield* check(put.url, { method: "GET" }), "invalid")
        })
      )
    }
  })
}
