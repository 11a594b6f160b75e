/**
 * The s3 driver against a real Ceph RADOS Gateway (the local-s3 harness starts one per run):
 * the shared ObjectStore contract, then what only S3 has — multipart uploads and their abort,
 * part sizes, presigned URLs checked by the server, credential expiry, multipart copy.
 * The suite skips (with the harness's loud line) when no engine can run here; under CI=true
 * the harness fails instead.
 */
import { createHash, randomUUID } from "node:crypto"
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectTaggingCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client
} from "@aws-sdk/client-s3"
import { assert, describe, layer } from "@effect/vitest"
import { testS3 } from "@localex/local-s3"
import { Deferred, Effect, Exit, Fiber, Layer, Stream } from "effect"
import { TestClock } from "effect/testing"
import { afterAll } from "vitest"
import * as S3 from "../src/drivers/S3.js"
import { ObjectStore } from "../src/ObjectStore.js"
import type { S3Options } from "../src/StorageConfig.js"
import { MiB } from "../src/StorageConfig.js"
import { objectStoreContract } from "./contract/ObjectStoreContract.js"

const engine = testS3()

// --- helpers --------------------------------------------------------------------------------

/** Deterministic bytes (xorshift32 from a seed), so a failure reproduces. */
const bytesOf = (size: number, seed = 1): Uint8Array => {
  const out = new Uint8Array(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")
const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex")

/** A stream of `bytes` in chunks of `chunk` bytes. */
const chunked = (bytes: Uint8Array, chunk = 256 * 1024): Stream.Stream<Uint8Array> =>
  Stream.fromIterable(
    Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk))
  )

const collect = <E>(body: Stream.Stream<Uint8Array, E>) =>
  Effect.map(Stream.runCollect(body), (chunks) => new Uint8Array(Buffer.concat(chunks)))

// --- the suite ------------------------------------------------------------------------------

describe.skipIf(engine === undefined)("s3 driver on Ceph RGW", () => {
  // Vitest still collects a skipped suite: nothing below may touch the network without an engine.
  const s3 = engine ?? { endpoint: "http://127.0.0.1:9", region: "us-east-1", accessKeyId: "-", secretAccessKey: "-" }
  const bucket = `s3-test-${randomUUID().slice(0, 8)}`
  const raw = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED"
  })
  const options: S3Options = {
    bucket,
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    checksums: "when_required",
    multipartThreshold: 5 * MiB,
    partSize: 5 * MiB,
    concurrency: 4,
    maxAttempts: 3
  }

  /** The bucket exists before any layer is built (layers build lazily, in the first test's beforeAll). */
  let bucketReady: Promise<unknown> | undefined
  const withBucket = <A, E, R>(l: Layer.Layer<A, E, R>) =>
    Layer.unwrap(
      Effect.map(
        Effect.promise(() => {
          bucketReady ??= raw.send(new CreateBucketCommand({ Bucket: bucket }))
          return bucketReady
        }),
        () => l
      )
    )

  afterAll(async () => {
    if (bucketReady === undefined) return // no test ran: no bucket
    // The engine is thrown away after the run; emptying the bucket keeps memstore small meanwhile.
    for (;;) {
      const page = await raw.send(new ListObjectsV2Command({ Bucket: bucket }))
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }))
      if (keys.length === 0) break
      await raw.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }))
    }
    await raw.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined)
    raw.destroy()
  })

  const inProgressUploads = (prefix: string) =>
    Effect.promise(() => raw.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }))).pipe(
      Effect.map((out) => out.Uploads ?? [])
    )
  const storedKeys = (prefix: string) =>
    Effect.promise(() => raw.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).pipe(
      Effect.map((out) => (out.Contents ?? []).map((o) => o.Key))
    )

  objectStoreContract("s3 (Ceph RGW)", withBucket(S3.layer(options)), {
    fetchPresigned: true,
    tagsOf: (key) =>
      Effect.promise(() => raw.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))).pipe(
        Effect.map((out) => Object.fromEntries((out.TagSet ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""])))
      ),
    assertNoLeftovers: (key) =>
      Effect.map(inProgressUploads(key), (uploads) =>
        assert.deepStrictEqual(
          uploads.map((upload) => upload.Key),
          [],
          `no multipart upload of "${key}" may be left in progress`
        )
      )
  })

  layer(withBucket(S3.layer(options)), { excludeTestServices: true })("s3 specifics", (it) => {
    it.effect("lists keys this package would refuse to write (control characters, XML markup) exactly", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        // Another writer's keys: XML 1.0 cannot carry \u0001, so the listing asks for URL encoding.
        const keys = ["odd/a\u0001b", "odd/del\u007f", "odd/<x> & \"y\" 'z'", "odd/+plus%2B space", "odd/tab\tnl\n"]
        yield* Effect.promise(() =>
          Promise.all(keys.map((Key) => raw.send(new PutObjectCommand({ Bucket: bucket, Key, Body: "x" }))))
        )
        const listed = yield* Stream.runCollect(store.list({ prefix: "odd/" }))
        const folders = yield* Stream.runCollect(store.list({ prefix: "", delimiter: "\u0001" }))
        // One by one: a DeleteObjects body is XML too, and RGW refuses \u0001 in it.
        yield* Effect.promise(() =>
          Promise.all(keys.map((Key) => raw.send(new DeleteObjectCommand({ Bucket: bucket, Key }))))
        )
        assert.deepStrictEqual(
          listed.map((entry) => entry._tag === "Object" && entry.key),
          [...keys].sort()
        )
        assert.isTrue(folders.some((entry) => entry._tag === "Prefix" && entry.prefix === "odd/a\u0001"))
      })
    )

    it.effect("a stream shorter than the threshold is one PutObject; a longer one is multipart", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const small = bytesOf(5 * MiB - 1, 7)
        const smallInfo = yield* store.put("mp/short-stream", chunked(small))
        // A single PutObject's ETag is the MD5 of the content; a multipart one ends in -N.
        assert.strictEqual(smallInfo.etag, md5(small))
        assert.strictEqual(smallInfo.size, small.length)
        // A single put reports the server's time (its Date header), not the client's.
        const stored = yield* store.head("mp/short-stream")
        assert.isAtMost(Math.abs(stored.lastModified.getTime() - smallInfo.lastModified.getTime()), 2000)
        assert.strictEqual(smallInfo.lastModified.getMilliseconds(), 0)

        const large = bytesOf(12 * MiB + 3, 8)
        const largeInfo = yield* store.put("mp/long-stream", chunked(large))
        assert.match(largeInfo.etag, /^[0-9a-f]{32}-3$/, "12 MiB in 5 MiB parts is 3 parts")
        assert.strictEqual(largeInfo.size, large.length)
        const got = yield* store.get("mp/long-stream")
        assert.strictEqual(sha256(yield* collect(got.body)), sha256(large))
        assert.strictEqual(got.info.etag, largeInfo.etag)
        assert.deepStrictEqual(yield* inProgressUploads("mp/"), [])
      })
    )

    it.effect("bytes and files above the threshold round-trip through multipart with metadata and tags", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const bytes = bytesOf(11 * MiB, 9)
        const progress: Array<number> = []
        const info = yield* store.put("mp/bytes", bytes, {
          contentType: "image/webp",
          cacheControl: "public, max-age=60",
          metadata: { Owner: "u1", note: "café ☕" },
          tags: { kind: "photo", "temp file": "yes + no = maybe/@" },
          onProgress: (p) => progress.push(p.loaded)
        })
        assert.match(info.etag, /-3$/)
        assert.strictEqual(info.contentType, "image/webp")
        assert.strictEqual(info.cacheControl, "public, max-age=60")
        assert.deepStrictEqual(info.metadata, { owner: "u1", note: "café ☕" })
        assert.strictEqual(progress.at(-1), bytes.length)
        assert.strictEqual(progress.length, 3, "one progress event per part")
        const tags = yield* Effect.promise(() =>
          raw.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "mp/bytes" }))
        )
        assert.deepStrictEqual(Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value])), {
          kind: "photo",
          "temp file": "yes + no = maybe/@"
        })
      })
    )

    it.effect("a streamed upload holds at most about concurrency × part size bytes", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const size = 64 * MiB
        let pulled = 0
        let uploaded = 0
        let ahead = 0
        const body = chunked(bytesOf(size, 5), 512 * 1024).pipe(
          Stream.tap((chunk) =>
            Effect.sync(() => {
              pulled += chunk.length
              ahead = Math.max(ahead, pulled - uploaded)
            })
          )
        )
        const info = yield* store.put("mp/bounded", body, {
          onProgress: (p) => {
            uploaded = p.loaded
          }
        })
        assert.strictEqual(info.size, size)
        // Parts in flight (4), the part being filled, and one chunk: never the whole body.
        assert.isAtMost(ahead, (options.concurrency + 1) * options.partSize + 512 * 1024)
        assert.isAtLeast(ahead, options.partSize, "the check saw parts in flight")
      })
    )

    it.effect("a large object is read in concurrent ranged parts, all pinned to one version", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const first = bytesOf(23 * MiB + 11, 41)
        yield* store.put("get/parts", first)
        const progress: Array<number> = []
        const got = yield* store.get("get/parts", { onProgress: (p) => progress.push(p.loaded) })
        assert.strictEqual(got.info.size, first.length)
        assert.strictEqual(sha256(yield* collect(got.body)), sha256(first))
        assert.strictEqual(progress.at(-1), first.length)

        // Replaced after the first part was answered: the rest of the read must not mix versions.
        const stale = yield* store.get("get/parts")
        yield* store.put("get/parts", bytesOf(23 * MiB + 11, 42))
        const error = yield* Effect.flip(collect(stale.body))
        assert.strictEqual(error._tag, "TransportError")
        assert.include(error.message, "replaced")
      })
    )

    it.effect("an upload interrupted halfway leaves no object and no in-progress multipart upload", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const firstPart = yield* Deferred.make<void>()
        // 64 MiB, produced slowly after the first parts so the interruption lands mid-upload.
        const body = Stream.range(0, 63).pipe(
          Stream.mapEffect((i) =>
            i < 12 ? Effect.succeed(bytesOf(MiB, i + 1)) : Effect.as(Effect.sleep(50), bytesOf(MiB, i + 1))
          )
        )
        const fiber = yield* Effect.forkChild(
          store.put("abort/interrupted", body, {
            onProgress: () => Deferred.doneUnsafe(firstPart, Exit.void)
          })
        )
        yield* Deferred.await(firstPart) // at least one part is stored on the server
        assert.strictEqual((yield* inProgressUploads("abort/")).length, 1, "the upload was in progress")
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(yield* inProgressUploads("abort/"), [])
        assert.deepStrictEqual(yield* storedKeys("abort/"), [])
        assert.isFalse(yield* store.exists("abort/interrupted"))
      })
    )

    it.effect("a body that fails after some parts aborts the upload: TransportError, nothing left", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const body = chunked(bytesOf(12 * MiB, 3), MiB).pipe(Stream.concat(Stream.fail(new Error("disk on fire"))))
        const error = yield* Effect.flip(store.put("abort/failing", body))
        assert.strictEqual(error._tag, "TransportError")
        assert.include(error.message, "disk on fire")
        assert.deepStrictEqual(yield* inProgressUploads("abort/"), [])
        assert.deepStrictEqual(yield* storedKeys("abort/"), [])
      })
    )

    it.effect("maxBytes exceeded mid-stream is ObjectTooLarge and leaves nothing", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const error = yield* Effect.flip(
          store.put("abort/too-large", chunked(bytesOf(20 * MiB, 4), MiB), { maxBytes: 12 * MiB })
        )
        assert.strictEqual(error._tag, "ObjectTooLarge")
        assert.deepStrictEqual(yield* inProgressUploads("abort/"), [])
        assert.deepStrictEqual(yield* storedKeys("abort/"), [])
      })
    )

    it.effect("conditional multipart writes: create-only and compare-and-swap hold on RGW too", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const first = bytesOf(6 * MiB, 11)
        const created = yield* store.put("cond/mp", first, { ifNoneMatch: "*" })
        const again = yield* Effect.flip(store.put("cond/mp", bytesOf(6 * MiB, 12), { ifNoneMatch: "*" }))
        assert.strictEqual(again._tag, "PreconditionFailed")
        const stale = yield* Effect.flip(
          store.put("cond/mp", bytesOf(6 * MiB, 13), { ifMatch: "0123456789abcdef0123456789abcdef-2" })
        )
        assert.strictEqual(stale._tag, "PreconditionFailed")
        assert.strictEqual(sha256(yield* collect((yield* store.get("cond/mp")).body)), sha256(first))
        const swapped = yield* store.put("cond/mp", bytesOf(6 * MiB, 14), { ifMatch: created.etag })
        assert.notStrictEqual(swapped.etag, created.etag)
        assert.deepStrictEqual(yield* inProgressUploads("cond/"), [])
      })
    )

    it.effect("copies above the single-copy limit go through UploadPartCopy with metadata and tags", () =>
      Effect.gen(function* () {
        const bytes = bytesOf(12 * MiB + 5, 21)
        const store = yield* ObjectStore
        yield* store.put("copy/big-source", bytes, { contentType: "image/png", metadata: { a: "1" }, tags: { t: "x" } })
        const copied = yield* S3.make(options, { multipartCopyAbove: 5 * MiB, multipartCopyPartSize: 5 * MiB }).pipe(
          Effect.flatMap((multipartStore) => multipartStore.copy("copy/big-source", "copy/big-target"))
        )
        assert.strictEqual(copied.size, bytes.length)
        assert.strictEqual(copied.contentType, "image/png")
        assert.deepStrictEqual(copied.metadata, { a: "1" })
        assert.match(copied.etag, /-3$/, "a multipart copy of three 5 MiB ranges")
        assert.strictEqual(sha256(yield* collect((yield* store.get("copy/big-target")).body)), sha256(bytes))
        const tags = yield* Effect.promise(() =>
          raw.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "copy/big-target" }))
        )
        assert.deepStrictEqual(
          tags.TagSet?.map((t) => [t.Key, t.Value]),
          [["t", "x"]]
        )
        assert.deepStrictEqual(yield* inProgressUploads("copy/"), [])
      })
    )

    it.effect("presigned GET and PUT work with plain fetch; a tampered URL or wrong Content-Type gets 403", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const bytes = bytesOf(100_000, 31)
        yield* store.put("presign/a b+c%&=?#ü.bin", bytes)
        const get = yield* store.presign("presign/a b+c%&=?#ü.bin", { method: "GET", expiresIn: 60 })
        const fetched = yield* Effect.promise(() => fetch(get.url))
        assert.strictEqual(fetched.status, 200)
        assert.strictEqual(sha256(new Uint8Array(yield* Effect.promise(() => fetched.arrayBuffer()))), sha256(bytes))

        const tampered = get.url.replace(
          /X-Amz-Signature=([0-9a-f])/,
          (_, c: string) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`
        )
        assert.strictEqual((yield* Effect.promise(() => fetch(tampered))).status, 403)
        const otherKey = get.url.replace("presign/a%20b", "presign/a%20c")
        assert.strictEqual((yield* Effect.promise(() => fetch(otherKey))).status, 403)

        const put = yield* store.presign("presign/upload.webp", { method: "PUT", contentType: "image/webp" })
        assert.deepStrictEqual(put.headers, { "content-type": "image/webp" })
        const upload = bytesOf(70_000, 32)
        const wrongType = yield* Effect.promise(() =>
          fetch(put.url, { method: "PUT", body: upload, headers: { "content-type": "text/html" } })
        )
        assert.strictEqual(wrongType.status, 403)
        const ok = yield* Effect.promise(() => fetch(put.url, { method: "PUT", body: upload, headers: put.headers }))
        assert.strictEqual(ok.status, 200)
        const info = yield* store.head("presign/upload.webp")
        assert.strictEqual(info.contentType, "image/webp")
        assert.strictEqual(info.size, upload.length)
      })
    )

    it.effect("an expired presigned URL is refused by the server", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        yield* store.put("presign/old", bytesOf(10, 1))
        // Signed two hours ago for one minute.
        yield* TestClock.setTime(Date.now() - 2 * 3600_000)
        const url = yield* store.presign("presign/old", { method: "GET", expiresIn: 60 })
        assert.isBelow(url.expiresAt.getTime(), Date.now())
        assert.strictEqual((yield* Effect.promise(() => fetch(url.url))).status, 403)
      }).pipe(Effect.provide(TestClock.layer()))
    )

    it.effect("presigned URLs live at most 7 days and never past the credentials' expiry", () =>
      Effect.gen(function* () {
        const now = Date.now()
        let resolutions = 0
        const expiring = yield* S3.make(options, {
          credentials: () => {
            resolutions++
            return Promise.resolve({
              accessKeyId: s3.accessKeyId,
              secretAccessKey: s3.secretAccessKey,
              expiration: new Date(Date.now() + 10 * 60_000)
            })
          }
        })
        const store = yield* ObjectStore
        yield* store.put("presign/capped", bytesOf(10, 2))
        const capped = yield* expiring.presign("presign/capped", { method: "GET", expiresIn: 3600 })
        const lifetime = Number(new URL(capped.url).searchParams.get("X-Amz-Expires"))
        assert.isAtMost(lifetime, 600)
        assert.isAtLeast(lifetime, 590)
        assert.isAtMost(capped.expiresAt.getTime(), now + 10 * 60_000 + 1000)
        assert.strictEqual(
          (yield* Effect.promise(() => fetch(capped.url))).status,
          200,
          "signed with those credentials"
        )
        yield* expiring.presign("presign/capped", { method: "GET" })
        assert.strictEqual(resolutions, 1, "credentials with 10 minutes left are reused")

        const week = yield* store.presign("presign/capped", { method: "GET", expiresIn: 30 * 24 * 3600 })
        assert.strictEqual(new URL(week.url).searchParams.get("X-Amz-Expires"), String(7 * 24 * 3600))
        assert.strictEqual((yield* Effect.promise(() => fetch(week.url))).status, 200)
      })
    )

    it.effect("credentials about to expire are resolved again before signing", () =>
      Effect.gen(function* () {
        let resolutions = 0
        const store = yield* S3.make(options, {
          credentials: () => {
            resolutions++
            // Four minutes left: inside the five-minute refresh window every time.
            return Promise.resolve({
              accessKeyId: s3.accessKeyId,
              secretAccessKey: s3.secretAccessKey,
              expiration: new Date(Date.now() + 4 * 60_000)
            })
          }
        })
        yield* store.presign("presign/x", { method: "GET" })
        yield* store.presign("presign/x", { method: "GET" })
        assert.strictEqual(resolutions, 2)
      })
    )

    it.effect("a missing bucket is BucketNotFound; wrong credentials are AccessDenied", () =>
      Effect.gen(function* () {
        const missing = yield* S3.make({ ...options, bucket: `missing-${randomUUID().slice(0, 8)}` })
        const put = yield* Effect.flip(missing.put("k", bytesOf(10)))
        assert.strictEqual(put._tag, "BucketNotFound")
        const listed = yield* Effect.flip(Stream.runCollect(missing.list()))
        assert.strictEqual(listed._tag, "BucketNotFound")

        const wrong = yield* S3.make({
          ...options,
          credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: "nope" }
        })
        const denied = yield* Effect.flip(wrong.put("k", bytesOf(10)))
        assert.strictEqual(denied._tag, "AccessDenied")
      })
    )
  })
})
