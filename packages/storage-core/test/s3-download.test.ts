/**
 * `download` of the s3 driver over plain http (ranged GETs written at offsets into a temporary
 * file) on the local Ceph RGW, with ranges of 1 MiB so that a few MiB make many ranges: the
 * bytes arrive whole and in place; an object overwritten in the middle of the download fails it
 * with a TransportError (If-Match on the first answer's ETag) and leaves no file; a download that
 * stalls in the middle of a range fails with a TransportError that says so, within its bound, and leaves no file.
 */
import { createHash, randomBytes } from "node:crypto"
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3"
import { testS3 } from "@localex/local-s3"
import { Duration, Effect, Fiber } from "effect"
import { afterAll, assert, beforeAll, describe, test } from "vitest"
import * as S3 from "../src/drivers/S3.js"
import type { ObjectStore } from "../src/ObjectStore.js"
import { MiB } from "../src/StorageConfig.js"
import { bucketName, dropBucket, type Fault, faultProxy, rawClient, s3Options } from "../src/testing.js"
import { freezeOnFirstWrite } from "./freezeOnFirstWrite.js"
import { transportError } from "./transportError.js"

const engine = testS3()
const IDLE_MS = 1500
const ATTEMPTS = 2
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

describe.skipIf(engine === undefined).concurrent("s3 download to a file", () => {
  const s3 = engine ?? { endpoint: "http://127.0.0.1:9", region: "us-east-1", accessKeyId: "-", secretAccessKey: "-" }
  const raw = rawClient(engine)
  const bucket = bucketName("download")
  let dir = ""
  beforeAll(async () => {
    await raw.send(new CreateBucketCommand({ Bucket: bucket }))
    dir = await mkdtemp(join(tmpdir(), "localex-download-"))
  })
  afterAll(async () => {
    await dropBucket(raw, bucket)
    raw.destroy()
    await rm(dir, { recursive: true, force: true })
  })

  interface Harness {
    readonly store: ObjectStore["Service"]
    readonly setFault: (fault: Fault) => void
    /** A folder of this test's own. */
    readonly folder: string
  }

  /** A store (1 MiB ranges, two at a time) behind its own fault proxy, for the length of `body`. */
  const withHarness = <A, E>(body: (h: Harness) => Effect.Effect<A, E>): Promise<A> =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const proxy = yield* faultProxy(s3.endpoint)
          const folder = yield* Effect.promise(() => mkdtemp(join(dir, "case-")))
          const store = yield* S3.make(
            s3Options({ ...s3, endpoint: proxy.endpoint }, bucket, {
              idleTimeoutMs: IDLE_MS,
              connectTimeoutMs: IDLE_MS,
              maxAttempts: ATTEMPTS,
              concurrency: 2
            }),
            { downloadRangeBytes: MiB }
          )
          return yield* body({ store, setFault: proxy.setFault, folder })
        })
      ).pipe(Effect.provideService(S3.RetryBaseDelay, Duration.millis(10)))
    )

  const put = (key: string, bytes: Uint8Array) =>
    Effect.promise(() => raw.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes })))

  test(
    "writes every range in place: the same bytes, the object's info, progress to the last byte",
    () =>
      withHarness(({ store, folder }) =>
        Effect.gen(function* () {
          const bytes = randomBytes(5 * MiB + 123)
          yield* put("ranges.bin", bytes)
          const target = join(folder, "ranges.bin")
          let last = 0
          const info = yield* store.download("ranges.bin", target, {
            onProgress: ({ loaded, total }) => {
              assert.strictEqual(total, bytes.length)
              last = loaded
            }
          })
          assert.strictEqual(info.size, bytes.length)
          assert.strictEqual(info.etag, createHash("md5").update(bytes).digest("hex"))
          assert.strictEqual(last, bytes.length)
          assert.strictEqual(sha256(yield* Effect.promise(() => readFile(target))), sha256(bytes))
          assert.deepStrictEqual(yield* Effect.promise(() => readdir(folder)), ["ranges.bin"])
        })
      ),
    60_000
  )

  test(
    "an object overwritten in the middle of the download: TransportError, the old file kept, nothing left",
    () =>
      withHarness(({ store, setFault, folder }) =>
        Effect.gen(function* () {
          yield* put("overwritten.bin", randomBytes(4 * MiB))
          const target = join(folder, "overwritten.bin")
          yield* Effect.promise(() => writeFile(target, "the previous download"))
          const { onProgress, whenFrozen } = freezeOnFirstWrite(setFault)
          const download = yield* Effect.forkChild(
            Effect.exit(store.download("overwritten.bin", target, { onProgress }))
          )
          // Held in the middle of its first ranges while the object changes; the later ranges see the new one.
          yield* whenFrozen
          yield* put("overwritten.bin", randomBytes(4 * MiB))
          setFault({ kind: "none" })
          const error = transportError(yield* Fiber.join(download))
          assert.include(error.message, "replaced or deleted during the download")
          assert.strictEqual(yield* Effect.promise(() => readFile(target, "utf8")), "the previous download")
          assert.deepStrictEqual(yield* Effect.promise(() => readdir(folder)), ["overwritten.bin"])
        })
      ),
    60_000
  )

  test(
    "a download that stalls in the middle of a range: TransportError (stalled) in bound, no file",
    () =>
      withHarness(({ store, setFault, folder }) =>
        Effect.gen(function* () {
          yield* put("stalled.bin", randomBytes(3 * MiB))
          const { onProgress } = freezeOnFirstWrite(setFault)
          const started = Date.now()
          const exit = yield* Effect.exit(store.download("stalled.bin", join(folder, "stalled.bin"), { onProgress }))
          const elapsed = Date.now() - started
          const error = transportError(exit)
          assert.include(["first-byte", "receive"], error.stalled, error.message)
          assert.isTrue(error.unreachable, "the store is reported unreachable")
          assert.isAtLeast(error.stalledForMs ?? 0, IDLE_MS * 0.9)
          assert.strictEqual(error.attempts, ATTEMPTS)
          assert.strictEqual(error.endpoint?.startsWith("http://127.0.0.1:"), true)
          // Every attempt stalls for the idle timeout; a few times that, for a busy machine.
          assert.isBelow(elapsed, 3 * ATTEMPTS * IDLE_MS)
          setFault({ kind: "none" })
          assert.deepStrictEqual(yield* Effect.promise(() => readdir(folder)), [])
        })
      ),
    60_000
  )
})
