/**
 * The s3 driver over https, as it runs against AWS: the local Ceph RGW behind a TLS front
 * (`startTlsFront`, a self-signed certificate this process trusts) and a fault proxy. Puts (one
 * request and multipart), listings, reads, copies, deletes and downloads to a file go through
 * TLS and leave the same bytes as over http; a frozen endpoint (a put, a listing) and a download
 * that stalls in the middle fail with a TransportError within their bound (the download leaving
 * no file).
 */
import { createHash, randomBytes } from "node:crypto"
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ListMultipartUploadsCommand, PutObjectCommand } from "@aws-sdk/client-s3"
import { testS3 } from "@localex/local-s3"
import { Duration, Effect, Stream } from "effect"
import { afterAll, assert, beforeAll, describe, test } from "vitest"
import * as S3 from "../src/drivers/S3.js"
import type { ObjectStore } from "../src/ObjectStore.js"
import { MiB } from "../src/StorageConfig.js"
import { type Fault, faultProxy, s3Options, startTlsFront } from "../src/testing.js"
import { freezeOnFirstWrite } from "./freezeOnFirstWrite.js"
import { rgwBucket } from "./rgwBucket.js"
import { transportError } from "./transportError.js"

const engine = testS3()
const IDLE_MS = 1500
const ATTEMPTS = 2
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

describe.skipIf(engine === undefined).concurrent("s3 driver over https (RGW behind a TLS front)", () => {
  const { s3, raw, bucket, stored, storedBytes } = rgwBucket(engine, "https")
  let dir = ""
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "localex-https-"))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  interface Harness {
    readonly store: ObjectStore["Service"]
    readonly endpoint: string
    readonly setFault: (fault: Fault) => void
    readonly folder: string
  }

  /** A store on `https://` (TLS front → fault proxy → RGW; 1 MiB download ranges), for the length of `body`. */
  const withHarness = <A, E>(body: (h: Harness) => Effect.Effect<A, E>): Promise<A> =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const proxy = yield* faultProxy(s3.endpoint)
          const front = yield* Effect.acquireRelease(
            Effect.promise(() => startTlsFront({ ...s3, endpoint: proxy.endpoint })),
            (f) => Effect.promise(() => f.close())
          )
          const folder = yield* Effect.promise(() => mkdtemp(join(dir, "case-")))
          const store = yield* S3.make(
            s3Options(front.engine, bucket, {
              idleTimeoutMs: IDLE_MS,
              connectTimeoutMs: IDLE_MS,
              maxAttempts: ATTEMPTS,
              concurrency: 2
            }),
            { downloadRangeBytes: MiB }
          )
          return yield* body({ store, endpoint: front.engine.endpoint, setFault: proxy.setFault, folder })
        })
      ).pipe(Effect.provideService(S3.RetryBaseDelay, Duration.millis(10)))
    )

  test(
    "puts (one request and multipart), lists, reads, copies and deletes: the bytes as sent",
    () =>
      withHarness(({ store, endpoint }) =>
        Effect.gen(function* () {
          assert.match(endpoint, /^https:\/\//)
          const small = randomBytes(4096)
          const large = randomBytes(11 * MiB + 7)
          const putSmall = yield* store.put("ops/small.bin", small, { metadata: { owner: "42" } })
          assert.strictEqual(putSmall.etag, createHash("md5").update(small).digest("hex"))
          yield* store.put("ops/large.bin", large)
          assert.strictEqual(sha256(yield* Effect.promise(() => storedBytes("ops/large.bin"))), sha256(large))
          const uploads = yield* Effect.promise(() => raw.send(new ListMultipartUploadsCommand({ Bucket: bucket })))
          assert.deepStrictEqual(uploads.Uploads ?? [], [], "no multipart upload left open")

          const keys = yield* store.list({ prefix: "ops/" }).pipe(
            Stream.map((entry) => (entry._tag === "Object" ? entry.key : entry.prefix)),
            Stream.runCollect
          )
          assert.deepStrictEqual([...keys], ["ops/large.bin", "ops/small.bin"])
          const info = yield* store.head("ops/small.bin")
          assert.strictEqual(info.size, small.length)
          assert.deepStrictEqual(info.metadata, { owner: "42" })
          const got = yield* store.get("ops/small.bin")
          const chunks = yield* Stream.runCollect(got.body)
          assert.strictEqual(sha256(Buffer.concat([...chunks])), sha256(small))

          yield* store.copy("ops/small.bin", "ops/copy.bin")
          assert.strictEqual(sha256(yield* Effect.promise(() => storedBytes("ops/copy.bin"))), sha256(small))
          yield* store.delete("ops/copy.bin")
          assert.isUndefined(yield* Effect.promise(() => stored("ops/copy.bin")))
        })
      ),
    60_000
  )

  test(
    "a put and a listing against a frozen endpoint: TransportError within the bound",
    () =>
      withHarness(({ store, setFault }) =>
        Effect.gen(function* () {
          setFault({ kind: "freeze" })
          const operations: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string }>> = [
            store.put("frozen/put.bin", randomBytes(1000)),
            Stream.runCollect(store.list({ prefix: "frozen/" }))
          ]
          for (const operation of operations) {
            const started = Date.now()
            transportError(yield* Effect.exit(operation))
            assert.isBelow(Date.now() - started, 3 * (ATTEMPTS + 1) * IDLE_MS)
          }
          // Not "nothing stored": a gateway that wakes up reads the bytes its kernel kept, as S3 may
          // apply a request whose answer never came.
        })
      ),
    60_000
  )

  test(
    "download to a file: every range in place, the same bytes",
    () =>
      withHarness(({ store, folder }) =>
        Effect.gen(function* () {
          const bytes = randomBytes(5 * MiB + 123)
          yield* Effect.promise(() =>
            raw.send(new PutObjectCommand({ Bucket: bucket, Key: "tls/ranges.bin", Body: bytes }))
          )
          const target = join(folder, "ranges.bin")
          let last = 0
          const info = yield* store.download("tls/ranges.bin", target, {
            onProgress: ({ loaded }) => {
              last = loaded
            }
          })
          assert.strictEqual(info.size, bytes.length)
          assert.strictEqual(last, bytes.length)
          assert.strictEqual(sha256(yield* Effect.promise(() => readFile(target))), sha256(bytes))
          assert.deepStrictEqual(yield* Effect.promise(() => readdir(folder)), ["ranges.bin"])
        })
      ),
    60_000
  )

  test(
    "a download that stalls in the middle: TransportError within its bound, no file",
    () =>
      withHarness(({ store, setFault, folder }) =>
        Effect.gen(function* () {
          yield* Effect.promise(() =>
            raw.send(new PutObjectCommand({ Bucket: bucket, Key: "tls/stalled.bin", Body: randomBytes(16 * MiB) }))
          )
          const { onProgress } = freezeOnFirstWrite(setFault)
          const started = Date.now()
          const exit = yield* Effect.exit(
            store.download("tls/stalled.bin", join(folder, "stalled.bin"), { onProgress })
          )
          const elapsed = Date.now() - started
          transportError(exit)
          // Each attempt of the stalled range waits one idle timeout; a margin for a busy machine.
          assert.isBelow(elapsed, 3 * (ATTEMPTS + 1) * IDLE_MS)
          assert.deepStrictEqual(yield* Effect.promise(() => readdir(folder)), [])
        })
      ),
    60_000
  )
})
