/**
 * The s3 driver at the SDK boundary (aws-sdk-client-mock): what RGW cannot show on demand —
 * throttling, 5xx and broken connections with their retries, every error mapping, DeleteObjects
 * batching, the abort of a failed multipart upload, and presigned URLs against AWS's own example.
 * Single-part puts do not go through the SDK: s3-put.test.ts covers them over real HTTP.
 * The retry delay is zero here (RetryBaseDelay) except where a test checks the backoff with TestClock.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListPartsCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand
} from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { mockClient } from "aws-sdk-client-mock"
import { Duration, Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"
import { beforeEach } from "vitest"
import * as S3 from "../src/drivers/S3.js"
import { MAX_PARTS, MiB, partSizeFor, streamParts } from "../src/drivers/s3/multipart.js"
import { backoffMillis, MAX_DELAY_MS, RetryBaseDelay } from "../src/drivers/s3/retry.js"
import type { S3Options } from "../src/StorageConfig.js"

/**
 * Lets the forked request run until `done()` (at most 200 event-loop turns): the mocked SDK
 * answers through promises and the event loop, never through time, so no real sleep is needed.
 */
const settle = (done: () => boolean) =>
  Effect.promise(async () => {
    for (let turn = 0; turn < 200 && !done(); turn++) await new Promise((resolve) => setImmediate(resolve))
  })

const s3 = mockClient(S3Client)
beforeEach(() => {
  s3.reset()
})

const options: S3Options = {
  bucket: "photos",
  region: "eu-west-1",
  forcePathStyle: false,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  checksums: "when_supported",
  multipartThreshold: 5 * MiB,
  partSize: 5 * MiB,
  concurrency: 4,
  maxAttempts: 3
}

const serviceError = (name: string, status: number, message = `${name} (mocked)`) =>
  new S3ServiceException({
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
    message
  })
const connectionReset = () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
const headOk = { ContentLength: 5, ETag: '"5d41402abc4b2a76b9719d911017c592"', LastModified: new Date(0) }

/** No waiting between retries in these tests. */
const noDelay = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provideService(effect, RetryBaseDelay, Duration.zero)

const tagOf = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => error)

describe("retries", () => {
  it.effect("throttling that does not stop is Throttled after maxAttempts calls", () =>
    Effect.gen(function* () {
      s3.on(GetObjectCommand).rejects(serviceError("SlowDown", 503))
      const store = yield* S3.make(options)
      const error = yield* tagOf(store.get("a"))
      assert.strictEqual(error._tag, "Throttled")
      assert.strictEqual(error._tag === "Throttled" && error.attempts, 3)
      assert.strictEqual(s3.commandCalls(GetObjectCommand).length, 3)
    }).pipe(noDelay)
  )

  const cases = [
    {
      what: "429 TooManyRequests",
      error: () => serviceError("TooManyRequestsException", 429),
      tag: "Throttled",
      calls: 3
    },
    {
      // What the SDK makes of a throttled HEAD: a bare 503, no body to name SlowDown (found by the fault suite).
      what: "503 without an error code",
      error: () => serviceError("Unknown", 503, "UnknownError"),
      tag: "Throttled",
      calls: 3
    },
    {
      what: "503 ServiceUnavailable",
      error: () => serviceError("ServiceUnavailable", 503),
      tag: "TransportError",
      calls: 3
    },
    { what: "500 InternalError", error: () => serviceError("InternalError", 500), tag: "TransportError", calls: 3 },
    { what: "400 RequestTimeout", error: () => serviceError("RequestTimeout", 400), tag: "TransportError", calls: 3 },
    { what: "a connection reset", error: connectionReset, tag: "TransportError", calls: 3 },
    { what: "404 NoSuchKey", error: () => serviceError("NoSuchKey", 404), tag: "ObjectNotFound", calls: 1 },
    { what: "404 NoSuchBucket", error: () => serviceError("NoSuchBucket", 404), tag: "BucketNotFound", calls: 1 },
    { what: "400 InvalidArgument", error: () => serviceError("InvalidArgument", 400), tag: "TransportError", calls: 1 },
    {
      what: "a refused connection",
      error: () => Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      tag: "TransportError",
      calls: 1
    }
  ] as const
  for (const { what, error, tag, calls } of cases) {
    it.effect(`${what}: ${tag} after ${calls} call${calls === 1 ? "" : "s"}`, () =>
      Effect.gen(function* () {
        s3.on(HeadObjectCommand).rejects(error())
        const store = yield* S3.make(options)
        const failure = yield* tagOf(store.head("a"))
        assert.strictEqual(failure._tag, tag)
        assert.strictEqual(s3.commandCalls(HeadObjectCommand).length, calls)
      }).pipe(noDelay)
    )
  }

  it.effect("a server error that goes away is retried after a backoff, not at once", () =>
    Effect.gen(function* () {
      s3.on(HeadObjectCommand).rejectsOnce(serviceError("InternalError", 500)).resolves(headOk)
      const store = yield* S3.make(options)
      const fiber = yield* Effect.forkChild(store.head("a"))
      // The first retry of a 5xx waits between 50 and 100 ms (base 100 ms, equal jitter).
      yield* settle(() => s3.commandCalls(HeadObjectCommand).length === 1)
      yield* TestClock.adjust("49 millis")
      yield* settle(() => false)
      assert.strictEqual(s3.commandCalls(HeadObjectCommand).length, 1, "no retry before the backoff")
      yield* TestClock.adjust("51 millis")
      const info = yield* Fiber.join(fiber)
      assert.strictEqual(info.size, 5)
      assert.strictEqual(s3.commandCalls(HeadObjectCommand).length, 2)
    })
  )

  it("backoff grows exponentially with equal jitter, longer for throttling, capped", () => {
    assert.strictEqual(backoffMillis(1, false, 100, 0), 50)
    assert.strictEqual(backoffMillis(1, false, 100, 0.999999), 99.99995)
    assert.strictEqual(backoffMillis(3, false, 100, 0), 200)
    assert.strictEqual(backoffMillis(1, true, 100, 0), 250)
    assert.strictEqual(backoffMillis(2, true, 100, 0), 500)
    assert.strictEqual(backoffMillis(30, true, 100, 0.5), 0.75 * MAX_DELAY_MS)
  })
})

describe("error mapping", () => {
  it.effect("GET: 304 is NotModified, 416 is RangeNotSatisfiable with the object's size", () =>
    Effect.gen(function* () {
      s3.on(GetObjectCommand, { IfNoneMatch: '"abc"' }).rejects(serviceError("NotModified", 304))
      s3.on(GetObjectCommand, { Range: "bytes=100-" }).rejects(serviceError("InvalidRange", 416))
      s3.on(HeadObjectCommand).resolves(headOk)
      const store = yield* S3.make(options)
      const notModified = yield* tagOf(store.get("a", { ifNoneMatch: "abc" }))
      assert.deepStrictEqual(
        [notModified._tag, notModified._tag === "NotModified" && notModified.etag],
        ["NotModified", "abc"]
      )
      const range = yield* tagOf(store.get("a", { range: { start: 100 } }))
      assert.deepStrictEqual(
        [range._tag, range._tag === "RangeNotSatisfiable" && range.size],
        ["RangeNotSatisfiable", 5]
      )
    }).pipe(noDelay)
  )

  it.effect("no error that reaches the caller is an AWS exception", () =>
    Effect.gen(function* () {
      s3.on(HeadObjectCommand).rejects(serviceError("Weird", 418))
      const store = yield* S3.make(options)
      const error = yield* tagOf(store.head("a"))
      assert.strictEqual(error._tag, "TransportError")
      assert.notInstanceOf(error, S3ServiceException)
      assert.include(error.message, "Weird")
      assert.include(error.message, "HTTP 418")
    }).pipe(noDelay)
  )
})

describe("deleteMany", () => {
  it.effect("2,500 keys go in 3 DeleteObjects requests (1,000 + 1,000 + 500); per-key errors in input order", () =>
    Effect.gen(function* () {
      const keys = Array.from({ length: 2500 }, (_, i) => `k/${String(i).padStart(4, "0")}`)
      const refused = new Set(["k/0007", "k/1500", "k/2499"])
      s3.on(DeleteObjectsCommand).callsFake((input: { Delete: { Objects: Array<{ Key: string }> } }) => {
        const asked = input.Delete.Objects.map((object) => object.Key)
        return Promise.resolve({
          // S3 reports in its own order, not the request's.
          Deleted: asked
            .filter((key) => !refused.has(key))
            .reverse()
            .map((Key) => ({ Key })),
          Errors: asked.filter((key) => refused.has(key)).map((Key) => ({ Key, Code: "AccessDenied", Message: "no" }))
        })
      })
      const store = yield* S3.make(options)
      const outcomes = yield* store.deleteMany(keys)
      const calls = s3.commandCalls(DeleteObjectsCommand)
      assert.deepStrictEqual(
        calls.map((call) => call.args[0].input.Delete?.Objects?.length),
        [1000, 1000, 500]
      )
      assert.isTrue(calls.every((call) => call.args[0].input.Delete?.Quiet === false))
      assert.deepStrictEqual(
        outcomes.map((outcome) => outcome.key),
        keys
      )
      assert.deepStrictEqual(
        outcomes.filter((outcome) => !outcome.deleted),
        [...refused].map((key) => ({ key, deleted: false, code: "AccessDenied", message: "no" }))
      )
    }).pipe(noDelay)
  )

  it.effect("a batch refused for its content (400) is deleted key by key: one odd key never fails the others", () =>
    Effect.gen(function* () {
      s3.on(DeleteObjectsCommand).rejects(serviceError("MalformedXML", 400))
      s3.on(DeleteObjectCommand).callsFake((input: { Key: string }) =>
        input.Key === "p/odd"
          ? Promise.reject(serviceError("InvalidArgument", 400, "no such key name"))
          : Promise.resolve({})
      )
      const store = yield* S3.make(options)
      const outcomes = yield* store.deleteMany(["p/1", "p/odd", "p/2", "p/3"])
      assert.deepStrictEqual(
        outcomes.map((outcome) => [outcome.key, outcome.deleted]),
        [
          ["p/1", true],
          ["p/odd", false],
          ["p/2", true],
          ["p/3", true]
        ]
      )
      const odd = outcomes[1]!
      assert.strictEqual(odd.deleted === false && odd.code, "TransportError")
      assert.match(odd.deleted === false ? odd.message : "", /no such key name/)
      assert.deepStrictEqual(
        s3
          .commandCalls(DeleteObjectCommand)
          .map((call) => call.args[0].input.Key)
          .sort(),
        ["p/1", "p/2", "p/3", "p/odd"]
      )
    }).pipe(noDelay)
  )

  it.effect("a failed batch fails the call with a typed error", () =>
    Effect.gen(function* () {
      s3.on(DeleteObjectsCommand).rejects(serviceError("AccessDenied", 403))
      const store = yield* S3.make(options)
      const error = yield* tagOf(store.deleteMany(["a", "b"]))
      assert.strictEqual(error._tag, "AccessDenied")
    }).pipe(noDelay)
  )
})

describe("multipart", () => {
  const twelveMiB = new Uint8Array(12 * MiB)

  it.effect("a part that fails aborts the upload (and checks it is gone); CompleteMultipartUpload is never sent", () =>
    Effect.gen(function* () {
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "u1" })
      s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) =>
        input.PartNumber === 2 ? Promise.reject(serviceError("AccessDenied", 403)) : Promise.resolve({ ETag: '"p"' })
      )
      s3.on(AbortMultipartUploadCommand).resolves({})
      s3.on(ListPartsCommand).rejects(serviceError("NoSuchUpload", 404))
      const store = yield* S3.make(options)
      const error = yield* tagOf(store.put("big", twelveMiB))
      assert.strictEqual(error._tag, "AccessDenied")
      assert.strictEqual(s3.commandCalls(CompleteMultipartUploadCommand).length, 0)
      assert.deepStrictEqual(
        s3.commandCalls(AbortMultipartUploadCommand).map((call) => call.args[0].input.UploadId),
        ["u1"]
      )
      assert.strictEqual(s3.commandCalls(ListPartsCommand).length, 1)
    }).pipe(noDelay)
  )

  it.effect("an abort that leaves parts behind is repeated", () =>
    Effect.gen(function* () {
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "u2" })
      s3.on(UploadPartCommand).rejects(serviceError("InvalidArgument", 400))
      s3.on(AbortMultipartUploadCommand).resolves({})
      // A part still in flight landed after the first abort.
      s3.on(ListPartsCommand)
        .resolvesOnce({ Parts: [{ PartNumber: 1 }] })
        .rejects(serviceError("NoSuchUpload", 404))
      const store = yield* S3.make(options)
      yield* Effect.flip(store.put("big", twelveMiB))
      assert.strictEqual(s3.commandCalls(AbortMultipartUploadCommand).length, 2)
    }).pipe(noDelay)
  )

  it.effect("a refused conditional complete aborts and is PreconditionFailed; the condition is sent on complete", () =>
    Effect.gen(function* () {
      s3.on(HeadObjectCommand).rejects(serviceError("NotFound", 404))
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "u3" })
      s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) =>
        Promise.resolve({ ETag: `"e${input.PartNumber}"`, ChecksumCRC32: `c${input.PartNumber}` })
      )
      s3.on(CompleteMultipartUploadCommand).rejects(serviceError("PreconditionFailed", 412))
      s3.on(AbortMultipartUploadCommand).resolves({})
      s3.on(ListPartsCommand).rejects(serviceError("NoSuchUpload", 404))
      const store = yield* S3.make(options)
      const error = yield* tagOf(store.put("big", twelveMiB, { ifNoneMatch: "*" }))
      assert.strictEqual(error._tag, "PreconditionFailed")
      const complete = s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input
      assert.strictEqual(complete.IfNoneMatch, "*")
      assert.deepStrictEqual(complete.MultipartUpload?.Parts, [
        { PartNumber: 1, ETag: '"e1"', ChecksumCRC32: "c1" },
        { PartNumber: 2, ETag: '"e2"', ChecksumCRC32: "c2" },
        { PartNumber: 3, ETag: '"e3"', ChecksumCRC32: "c3" }
      ])
      // Flexible checksums (the AWS default here): announced on create, computed for every part.
      assert.strictEqual(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input.ChecksumAlgorithm, "CRC32")
      assert.isTrue(
        s3.commandCalls(UploadPartCommand).every((call) => call.args[0].input.ChecksumAlgorithm === "CRC32")
      )
      assert.strictEqual(s3.commandCalls(AbortMultipartUploadCommand).length, 1)
    }).pipe(noDelay)
  )

  it("part size: the configured size, raised to whole MiB so an object fits in 10,000 parts", () => {
    assert.strictEqual(partSizeFor(undefined, 8 * MiB), 8 * MiB)
    assert.strictEqual(partSizeFor(64 * MiB, 8 * MiB), 8 * MiB)
    assert.strictEqual(partSizeFor(80_000 * MiB, 8 * MiB), 8 * MiB, "exactly 10,000 parts of 8 MiB")
    assert.strictEqual(partSizeFor(80_000 * MiB + 1, 8 * MiB), 9 * MiB)
    assert.strictEqual(partSizeFor(100 * 1024 * MiB, 8 * MiB), 11 * MiB, "100 GiB: 10.24 MiB rounds up to 11")
    assert.strictEqual(partSizeFor(5 * 1024 * 1024 * MiB, 8 * MiB), 525 * MiB, "5 TiB, S3's largest object")
    for (const size of [1, 5 * MiB, 123_456_789_012, 999_999 * MiB, 5 * 1024 * 1024 * MiB]) {
      const part = partSizeFor(size, 5 * MiB)
      assert.isAtMost(Math.ceil(size / part), MAX_PARTS, `size ${size}`)
      assert.strictEqual(part % MiB, 0)
    }
  })

  it.effect("a stream cut into parts keeps every byte in order; the 10,001st part is refused", () =>
    Effect.gen(function* () {
      const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251)
      const chunks = Stream.fromIterable([bytes.subarray(0, 3), bytes.subarray(3, 700), bytes.subarray(700)])
      const parts = yield* Stream.runCollect(streamParts(chunks, 128, { key: "k" }))
      assert.deepStrictEqual(
        parts.map((part) => [part.partNumber, part.bytes.length]),
        [1, 2, 3, 4, 5, 6, 7, 8].map((n) => [n, n === 8 ? 1000 - 7 * 128 : 128])
      )
      assert.deepStrictEqual(new Uint8Array(Buffer.concat(parts.map((part) => part.bytes))), bytes)

      const tooMany = Stream.fromIterable(Array.from({ length: MAX_PARTS + 1 }, () => new Uint8Array([1])))
      const error = yield* Effect.flip(Stream.runDrain(streamParts(tooMany, 1, { key: "k" })))
      assert.deepStrictEqual([error._tag, error.limit], ["ObjectTooLarge", MAX_PARTS])
    })
  )
})

describe("copy", () => {
  it.effect("a source deleted between the HEAD and the CopyObject is ObjectNotFound for the source", () =>
    Effect.gen(function* () {
      s3.on(HeadObjectCommand).resolves(headOk)
      s3.on(CopyObjectCommand).rejects(serviceError("NoSuchKey", 404))
      const store = yield* S3.make(options)
      const error = yield* Effect.flip(store.copy("from", "to"))
      assert.deepStrictEqual([error._tag, error._tag === "ObjectNotFound" && error.key], ["ObjectNotFound", "from"])
      const input = s3.commandCalls(CopyObjectCommand)[0]!.args[0].input
      assert.deepStrictEqual([input.CopySource, input.MetadataDirective], ["photos/from", "COPY"])
    }).pipe(noDelay)
  )

  it.effect("a source replaced during a multipart copy fails it (TransportError) and aborts the upload", () =>
    Effect.gen(function* () {
      s3.on(HeadObjectCommand, { Key: "big source" }).resolves({ ...headOk, ContentLength: 12 * MiB, ETag: '"src"' })
      s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] })
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "c1" })
      s3.on(UploadPartCopyCommand).callsFake((input: { PartNumber: number }) =>
        input.PartNumber === 2
          ? Promise.reject(serviceError("PreconditionFailed", 412))
          : Promise.resolve({ CopyPartResult: { ETag: '"p"' } })
      )
      s3.on(AbortMultipartUploadCommand).resolves({})
      s3.on(ListPartsCommand).rejects(serviceError("NoSuchUpload", 404))
      const store = yield* S3.make(options, { multipartCopyAbove: 5 * MiB, multipartCopyPartSize: 5 * MiB })
      const error = yield* Effect.flip(store.copy("big source", "to"))
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "replaced during the copy")
      const ranges = s3.commandCalls(UploadPartCopyCommand).map((call) => call.args[0].input)
      assert.isTrue(
        ranges.every((input) => input.CopySourceIfMatch === '"src"' && input.CopySource === "photos/big%20source")
      )
      assert.strictEqual(s3.commandCalls(CompleteMultipartUploadCommand).length, 0)
      assert.strictEqual(s3.commandCalls(AbortMultipartUploadCommand).length, 1)
    }).pipe(noDelay)
  )
})

// list does not go through the SDK client: its boundary is HTTP (s3-list.test.ts).

describe("presign", () => {
  it.effect("reproduces AWS's documented presigned URL exactly (virtual-hosted style)", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2013-05-24T00:00:00Z"))
      const store = yield* S3.make({
        ...options,
        bucket: "examplebucket",
        region: "us-east-1",
        endpoint: "https://s3.amazonaws.com",
        forcePathStyle: false,
        credentials: {
          accessKeyId: "AKIAIOSFODNN7EXAMPLE",
          secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        }
      })
      const url = yield* store.presign("test.txt", { method: "GET", expiresIn: 86400 })
      assert.strictEqual(
        url.url,
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
      )
      assert.strictEqual(url.expiresAt.toISOString(), "2013-05-25T00:00:00.000Z")
    })
  )

  it.effect("addresses AWS by region, path style by endpoint, and escapes keys once", () =>
    Effect.gen(function* () {
      const aws = yield* S3.make(options)
      const virtual = new URL((yield* aws.presign("items/a b/ü+%.jpg", { method: "GET" })).url)
      assert.strictEqual(virtual.host, "photos.s3.eu-west-1.amazonaws.com")
      assert.strictEqual(virtual.pathname, "/items/a%20b/%C3%BC%2B%25.jpg")
      const dotted = yield* S3.make({ ...options, bucket: "my.photos" })
      const dottedUrl = new URL((yield* dotted.presign("k", { method: "GET" })).url)
      assert.strictEqual(dottedUrl.host, "s3.eu-west-1.amazonaws.com", "dotted buckets cannot be TLS hosts")
      assert.strictEqual(dottedUrl.pathname, "/my.photos/k")
      const local = yield* S3.make({ ...options, endpoint: "http://127.0.0.1:9000", forcePathStyle: true })
      const path = new URL((yield* local.presign("k/(1)", { method: "PUT", contentType: "image/png" })).url)
      assert.strictEqual(path.origin, "http://127.0.0.1:9000")
      assert.strictEqual(path.pathname, "/photos/k/%281%29")
      assert.strictEqual(path.searchParams.get("X-Amz-SignedHeaders"), "content-type;host")
    })
  )

  it.effect("temporary credentials: the session token is in the URL and the lifetime stops at their expiry", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2030-01-01T00:00:00Z"))
      const store = yield* S3.make(options, {
        credentials: () =>
          Promise.resolve({
            accessKeyId: "ASIAEXAMPLE",
            secretAccessKey: "secret",
            sessionToken: "token/with+chars",
            expiration: new Date("2030-01-01T00:20:00Z")
          })
      })
      const url = yield* store.presign("k", { method: "GET", expiresIn: 7 * 24 * 3600 })
      const query = new URL(url.url).searchParams
      assert.strictEqual(query.get("X-Amz-Security-Token"), "token/with+chars")
      assert.strictEqual(query.get("X-Amz-Expires"), "1200")
      assert.strictEqual(url.expiresAt.toISOString(), "2030-01-01T00:20:00.000Z")
    })
  )

  it.effect("credentials already expired cannot sign: AccessDenied", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2030-01-01T00:00:00Z"))
      const store = yield* S3.make(options, {
        credentials: () =>
          Promise.resolve({ accessKeyId: "A", secretAccessKey: "s", expiration: new Date("2029-12-31T23:59:59Z") })
      })
      const error = yield* Effect.flip(store.presign("k", { method: "GET" }))
      assert.strictEqual(error._tag, "AccessDenied")
    })
  )
})

describe("options", () => {
  it.effect("options that cannot work are StorageConfigError", () =>
    Effect.gen(function* () {
      for (const bad of [
        { partSize: MiB },
        { multipartThreshold: MiB },
        { concurrency: 0 },
        { maxAttempts: 0 },
        { bucket: "ab" },
        { endpoint: "not a url" }
      ]) {
        const error = yield* Effect.flip(S3.make({ ...options, ...bad }))
        assert.strictEqual(error._tag, "StorageConfigError", JSON.stringify(bad))
      }
    })
  )
})
