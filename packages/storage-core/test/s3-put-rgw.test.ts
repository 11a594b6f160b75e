/**
 * Single-part puts (drivers/s3/putObject.ts: a signed PUT over node:http) against the local Ceph
 * RGW, behind a fault proxy where a fault is wanted: what a caller sees of a create-only put that
 * loses, of SlowDown answers, of a frozen endpoint, of its metadata and of a wrong content checksum.
 */
import { createHash } from "node:crypto"
import { GetObjectTaggingCommand, HeadObjectCommand } from "@aws-sdk/client-s3"
import { testS3 } from "@localex/local-s3"
import { Cause, Duration, Effect, Exit, Option, type Scope } from "effect"
import { assert, describe, test } from "vitest"
import * as S3 from "../src/drivers/S3.js"
import type { ObjectStore } from "../src/ObjectStore.js"
import { OnRetry, type RetryEvent } from "../src/Retries.js"
import type { S3Options } from "../src/StorageConfig.js"
import { type Chaos, type FaultProxy, s3Options, startFaultProxy } from "../src/testing.js"
import { rgwBucket } from "./rgwBucket.js"

const engine = testS3()
const IDLE_MS = 1000

describe.skipIf(engine === undefined).concurrent("s3 single-part put on RGW", () => {
  const { s3, raw, bucket, stored } = rgwBucket(engine, "put-rgw")

  /** A store (behind its own fault proxy with `chaos`, when given) and the retries it made. */
  const run = <A, E>(
    body: (store: ObjectStore["Service"], proxy: FaultProxy | undefined) => Effect.Effect<A, E, Scope.Scope>,
    setup: { readonly chaos?: Chaos; readonly proxy?: boolean; readonly options?: Partial<S3Options> } = {}
  ): Promise<{ readonly value: A; readonly retries: ReadonlyArray<RetryEvent> }> =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const proxy =
            setup.chaos === undefined && setup.proxy !== true
              ? undefined
              : yield* Effect.acquireRelease(
                  Effect.promise(() =>
                    startFaultProxy(s3.endpoint, setup.chaos === undefined ? {} : { chaos: setup.chaos })
                  ),
                  (p) => Effect.promise(() => p.close())
                )
          const store = yield* S3.make(
            s3Options({ ...s3, endpoint: proxy?.endpoint ?? s3.endpoint }, bucket, { maxAttempts: 4, ...setup.options })
          )
          const retries: Array<RetryEvent> = []
          const value = yield* body(store, proxy).pipe(Effect.provideService(OnRetry, (event) => retries.push(event)))
          return { value, retries }
        })
      ).pipe(Effect.provideService(S3.RetryBaseDelay, Duration.millis(10)))
    )

  const errorOf = <A, E>(exit: Exit.Exit<A, E>) =>
    Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined

  test("a create-only put over an existing key is PreconditionFailed; the original bytes stay", async () => {
    const key = "create-only/a.txt"
    const { value } = await run((store) =>
      Effect.gen(function* () {
        yield* store.put(key, Buffer.from("original"), { ifNoneMatch: "*" })
        return yield* Effect.exit(store.put(key, Buffer.from("intruder"), { ifNoneMatch: "*" }))
      })
    )
    const error = errorOf(value)
    assert.strictEqual(error?._tag, "PreconditionFailed")
    assert.strictEqual(error?._tag === "PreconditionFailed" ? error.condition : undefined, "If-None-Match: *")
    assert.strictEqual(await stored(key), "original")
  })

  test("503 SlowDown answers are retried as throttling; the put then succeeds", async () => {
    const key = "slow-down/a.txt"
    const { value, retries } = await run(
      (store, proxy) =>
        Effect.map(store.put(key, Buffer.from("after two SlowDowns")), (info) => ({
          info,
          counts: proxy!.chaosCounts()
        })),
      { chaos: { seed: 1, only: ["PutObject"], slowDown: 1, times: 2 } }
    )
    assert.strictEqual(value.counts.slowDown, 2)
    assert.deepStrictEqual(
      retries.map((event) => [event.operation, event.reason]),
      [
        ["PutObject", "throttled"],
        ["PutObject", "throttled"]
      ]
    )
    assert.strictEqual(await stored(key), "after two SlowDowns")
    const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
    assert.strictEqual(head.ETag, `"${value.info.etag}"`)
  })

  test("SlowDown past the retry budget is Throttled", async () => {
    const { value } = await run((store) => Effect.exit(store.put("slow-down/never.txt", Buffer.from("x"))), {
      chaos: { seed: 2, only: ["PutObject"], slowDown: 1 },
      options: { maxAttempts: 2 }
    })
    const error = errorOf(value)
    assert.strictEqual(error?._tag, "Throttled")
    assert.strictEqual(error?._tag === "Throttled" ? error.attempts : undefined, 2)
    assert.strictEqual(await stored("slow-down/never.txt"), undefined)
  })

  test("a frozen endpoint fails the put with a TransportError in bound; nothing is stored", async () => {
    const key = "frozen/a.txt"
    const started = Date.now()
    const { value } = await run(
      (store, proxy) => {
        proxy!.setFault({ kind: "freeze" })
        return Effect.exit(store.put(key, Buffer.from("never arrives")))
      },
      { proxy: true, options: { idleTimeoutMs: IDLE_MS, connectTimeoutMs: IDLE_MS, maxAttempts: 2 } }
    )
    const elapsed = Date.now() - started
    const error = errorOf(value)
    assert.strictEqual(error?._tag, "TransportError")
    if (error?._tag === "TransportError") {
      assert.isTrue(error.unreachable)
      assert.include(["send", "first-byte"], error.stalled)
      assert.strictEqual(error.attempts, 2)
    }
    assert.isBelow(elapsed, 3 * 2 * IDLE_MS + 5000)
    assert.strictEqual(await stored(key), undefined)
  })

  test("content type, cache control, disposition, metadata and tags round-trip", async () => {
    const key = "meta/photo ä.jpg"
    const { value } = await run((store) =>
      Effect.gen(function* () {
        const put = yield* store.put(key, Buffer.from("jpeg bytes"), {
          contentType: "image/jpeg",
          cacheControl: "public, max-age=60",
          contentDisposition: 'attachment; filename="photo.jpg"',
          metadata: { Camera: "X100", note: "été" },
          tags: { kind: "photo", "owner id": "a b+c" }
        })
        return { put, head: yield* store.head(key) }
      })
    )
    for (const info of [value.put, value.head]) {
      assert.strictEqual(info.contentType, "image/jpeg")
      assert.strictEqual(info.cacheControl, "public, max-age=60")
      assert.strictEqual(info.contentDisposition, 'attachment; filename="photo.jpg"')
      assert.deepStrictEqual(info.metadata, { camera: "X100", note: "été" })
      assert.strictEqual(info.size, 10)
    }
    assert.strictEqual(value.put.etag, value.head.etag)
    const tags = await raw.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))
    assert.deepStrictEqual(Object.fromEntries((tags.TagSet ?? []).map((tag) => [tag.Key, tag.Value])), {
      kind: "photo",
      "owner id": "a b+c"
    })
  })

  test("the localex-sha256 metadata is the payload hash: a right one is stored, a wrong one fails the put", async () => {
    const body = Buffer.from("checked bytes")
    const right = createHash("sha256").update(body).digest("hex")
    const wrong = createHash("sha256").update("other bytes").digest("hex")
    const { value } = await run((store) =>
      Effect.gen(function* () {
        const ok = yield* store.put("sha/right.txt", body, { metadata: { "localex-sha256": right } })
        const failed = yield* Effect.exit(store.put("sha/wrong.txt", body, { metadata: { "localex-sha256": wrong } }))
        return { ok, failed }
      })
    )
    assert.strictEqual(value.ok.metadata["localex-sha256"], right)
    assert.strictEqual(await stored("sha/right.txt"), "checked bytes")
    const error = errorOf(value.failed)
    assert.strictEqual(error?._tag, "TransportError")
    assert.include(error?._tag === "TransportError" ? error.message : "", "XAmzContentSHA256Mismatch")
    assert.strictEqual(await stored("sha/wrong.txt"), undefined)
  })
})
