/**
 * The s3 driver behind a fault proxy (testing's `startFaultProxy`) in front of the local Ceph RGW:
 * under a frozen, black-holed or reset connection, put (single and multipart), get (also in the
 * middle of a body), list, head and deleteMany fail with a `TransportError` within their bound
 * (a 2 s idle timeout, 2 attempts, asserted with a generous margin), leave nothing behind once the
 * endpoint is back, and succeed when the endpoint comes back within the retry budget.
 * Each test has its own proxy and store, so the tests run concurrently.
 */
import { HeadObjectCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3"
import { testS3 } from "@localex/local-s3"
import { Cause, Duration, Effect, Exit, Option, Stream } from "effect"
import { assert, describe, test } from "vitest"
import type { BucketAdmin } from "../src/BucketAdmin.js"
import * as S3 from "../src/drivers/S3.js"
import type { TransportError } from "../src/Errors.js"
import type { ObjectStore } from "../src/ObjectStore.js"
import { OnRetry, type RetryEvent } from "../src/Retries.js"
import { MiB } from "../src/StorageConfig.js"
import { bytes, type Fault, s3Options, startFaultProxy } from "../src/testing.js"
import { rgwBucket } from "./rgwBucket.js"

const engine = testS3()
const IDLE_MS = 2000
const ATTEMPTS = 2
/** What a failing operation may take: every attempt stalls for the idle timeout (plus a failed upload's abort). */
const bound = (withAbort: boolean) => ATTEMPTS * IDLE_MS + (withAbort ? IDLE_MS : 0)
/** The margin: a few times the bound, so a busy machine does not make the suite flaky. */
const within = (withAbort: boolean) => 3 * bound(withAbort)

const FAULTS: ReadonlyArray<Fault> = [{ kind: "freeze" }, { kind: "blackhole" }, { kind: "reset" }]

describe.skipIf(engine === undefined).concurrent("s3 driver under a stalled endpoint", () => {
  const { s3, raw, bucket } = rgwBucket(engine, "stall")

  interface Harness {
    readonly store: ObjectStore["Service"]
    readonly admin: BucketAdmin["Service"]
    readonly setFault: (fault: Fault) => void
    readonly retries: Array<RetryEvent>
  }

  /** A store behind its own fault proxy, for the length of `body`. */
  const withHarness = <A, E>(
    body: (h: Harness) => Effect.Effect<A, E>,
    overrides: { readonly maxAttempts?: number } = {}
  ): Promise<A> =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const proxy = yield* Effect.acquireRelease(
            Effect.promise(() => startFaultProxy(s3.endpoint)),
            (p) => Effect.promise(() => p.close())
          )
          const { store, admin } = yield* S3.makeServices(
            s3Options({ ...s3, endpoint: proxy.endpoint }, bucket, {
              idleTimeoutMs: IDLE_MS,
              connectTimeoutMs: IDLE_MS,
              maxAttempts: overrides.maxAttempts ?? ATTEMPTS,
              concurrency: 2
            })
          )
          const retries: Array<RetryEvent> = []
          return yield* body({ store, admin, setFault: proxy.setFault, retries }).pipe(
            Effect.provideService(OnRetry, (event) => retries.push(event))
          )
        })
      ).pipe(Effect.provideService(S3.RetryBaseDelay, Duration.millis(10)))
    )

  /** Runs `operation` and returns its TransportError and how long it took. */
  const failure = <A, E extends { readonly _tag: string }>(operation: Effect.Effect<A, E>) =>
    Effect.gen(function* () {
      const started = Date.now()
      const exit = yield* Effect.exit(operation)
      const elapsed = Date.now() - started
      assert.isTrue(Exit.isFailure(exit), "the operation must fail")
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined
      assert.strictEqual(error?._tag, "TransportError", `a TransportError, got ${String(error?._tag)}`)
      return { error: error as unknown as TransportError, elapsed }
    })

  const assertStalledOrUnreachable = (fault: Fault, error: TransportError) => {
    assert.isTrue(error.unreachable, "the store is reported unreachable")
    assert.strictEqual(error.endpoint?.startsWith("http://127.0.0.1:"), true, "the error names the endpoint")
    if (fault.kind === "reset") return
    assert.include(["send", "first-byte", "receive"], error.stalled, `what stalled: ${error.message}`)
    assert.isAtLeast(error.stalledForMs ?? 0, IDLE_MS * 0.9)
    assert.include(error.message, "stalled")
  }

  const exists = (key: string) =>
    Effect.promise(() =>
      raw.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
        () => true,
        () => false
      )
    )
  const sizeOf = (key: string) =>
    Effect.promise(() =>
      raw.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
        (out) => out.ContentLength,
        () => undefined
      )
    )
  const uploadsOf = (key: string) =>
    Effect.promise(() => raw.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }))).pipe(
      Effect.map((out) => (out.Uploads ?? []).filter((u) => u.Key === key).map((u) => u.UploadId))
    )

  for (const fault of FAULTS) {
    test(
      `put (single) under ${fault.kind}: fails in bound, no partial object`,
      () =>
        withHarness(({ store, setFault, retries }) =>
          Effect.gen(function* () {
            const key = `single-${fault.kind}.bin`
            setFault(fault)
            const { error, elapsed } = yield* failure(store.put(key, bytes(MiB)))
            assertStalledOrUnreachable(fault, error)
            assert.strictEqual(error.attempts, ATTEMPTS)
            assert.isBelow(elapsed, within(false))
            assert.strictEqual(retries.length, ATTEMPTS - 1, "the retry was announced")
            setFault({ kind: "none" })
            // A frozen gateway that wakes up runs a request its kernel held whole: never a part of one.
            if (fault.kind === "freeze") yield* Effect.sleep(1000)
            const stored = yield* sizeOf(key)
            assert.isTrue(
              stored === undefined || (fault.kind === "freeze" && stored === MiB),
              `no object, or (freeze) the whole object: ${stored}`
            )
          })
        ),
      30_000
    )

    test(
      `put (multipart) under ${fault.kind} after the upload started: fails in bound, names the upload left, which cleans up`,
      () =>
        withHarness(({ store, admin, setFault }) =>
          Effect.gen(function* () {
            const key = `multi-${fault.kind}.bin`
            // The fault starts once CreateMultipartUpload went through: while the second part is cut.
            const body = Stream.concat(
              Stream.succeed(bytes(6 * MiB)),
              Stream.fromEffect(
                Effect.sync(() => {
                  setFault(fault)
                  return bytes(6 * MiB, 2)
                })
              )
            )
            const { error, elapsed } = yield* failure(store.put(key, body))
            assertStalledOrUnreachable(fault, error)
            assert.isBelow(elapsed, within(true))
            setFault({ kind: "none" })
            assert.isFalse(yield* exists(key))
            // The abort could not reach the endpoint either: the error says which upload was left …
            const left = error.leftUpload
            assert.isDefined(left, `the error names the upload left: ${error.message}`)
            assert.strictEqual(left?.key, key)
            // (A frozen gateway that wakes up reads the abort it held and may run it: gone or left, nothing else.)
            const remaining = yield* uploadsOf(key)
            assert.isTrue(
              remaining.length === 0 || (remaining.length === 1 && remaining[0] === left?.uploadId),
              `only the named upload may be left, found ${JSON.stringify(remaining)}`
            )
            // … and once the endpoint is back, aborting it leaves nothing.
            yield* admin.abortIncompleteUpload(key, left?.uploadId ?? "")
            assert.deepStrictEqual(yield* uploadsOf(key), [])
          })
        ),
      30_000
    )

    test(
      `get, list, head, deleteMany under ${fault.kind}: each fails in bound, no partial delete`,
      () =>
        withHarness(({ store, setFault }) =>
          Effect.gen(function* () {
            const keys = [1, 2, 3].map((i) => `reads-${fault.kind}/${i}.bin`)
            for (const key of keys) yield* store.put(key, bytes(1024))
            setFault(fault)
            const operations = {
              get: Effect.flatMap(store.get(keys[0] ?? ""), (result) => Stream.runDrain(result.body)),
              list: Stream.runDrain(store.list({ prefix: `reads-${fault.kind}/` })),
              head: store.head(keys[0] ?? ""),
              deleteMany: store.deleteMany(keys)
            }
            const results = yield* Effect.forEach(
              Object.entries(operations),
              ([name, operation]) => Effect.map(failure(operation), (result) => ({ name, ...result })),
              { concurrency: "unbounded" }
            )
            for (const { name, error, elapsed } of results) {
              assertStalledOrUnreachable(fault, error)
              assert.isBelow(elapsed, within(false), `${name} took ${elapsed} ms`)
            }
            setFault({ kind: "none" })
            // Held requests reach the gateway as the freeze lifts: let them land before looking.
            if (fault.kind === "freeze") yield* Effect.sleep(1000)
            const present = yield* Effect.forEach(keys, exists)
            if (fault.kind === "freeze") {
              // A frozen gateway that wakes up reads the delete it held and may run it: all or nothing.
              assert.isTrue(
                present.every((e) => e === present[0]),
                `all or none deleted: ${JSON.stringify(present)}`
              )
            } else {
              assert.deepStrictEqual(present, [true, true, true], "nothing deleted")
            }
          })
        ),
      30_000
    )
  }

  test(
    "get: a stall in the middle of the body fails the body in bound",
    () =>
      withHarness(({ store, setFault }) =>
        Effect.gen(function* () {
          const key = "mid-body.bin"
          const size = 24 * MiB
          yield* store.put(key, bytes(size))
          const result = yield* store.get(key, { range: { start: 0 } })
          let received = 0
          const started = Date.now()
          const exit = yield* result.body.pipe(
            Stream.runForEach((chunk) =>
              Effect.sync(() => {
                if (received === 0) setFault({ kind: "freeze" })
                received += chunk.length
              })
            ),
            Effect.exit
          )
          const elapsed = Date.now() - started
          assert.isTrue(Exit.isFailure(exit))
          const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined
          assert.strictEqual(error?._tag, "TransportError")
          assert.strictEqual((error as TransportError | undefined)?.stalled, "receive")
          assert.isBelow(received, size, "the body stopped before its end")
          assert.isBelow(elapsed, within(false))
        })
      ),
    30_000
  )

  test(
    "a caller that reads slowly is not a stall: a body left unread longer than the idle timeout still arrives whole",
    () =>
      withHarness(({ store }) =>
        Effect.gen(function* () {
          const key = "slow-reader.bin"
          const sent = bytes(8 * MiB, 3)
          yield* store.put(key, sent)
          const result = yield* store.get(key, { range: { start: 0 } })
          yield* Effect.sleep(IDLE_MS * 1.5)
          let pulls = 0
          const got = yield* result.body.pipe(
            Stream.mapEffect((chunk) =>
              // Once, mid-body (the socket paused behind a full buffer), wait past the idle timeout again.
              ++pulls === 2 ? Effect.as(Effect.sleep(IDLE_MS * 1.5), chunk) : Effect.succeed(chunk)
            ),
            Stream.runCollect
          )
          assert.deepStrictEqual(new Uint8Array(Buffer.concat(got)), sent)
        })
      ),
    30_000
  )

  test(
    "an endpoint that comes back within the retry budget: put and get succeed, the retry is announced",
    () =>
      withHarness(
        ({ store, setFault, retries }) =>
          Effect.gen(function* () {
            const key = "recovers.bin"
            const sent = bytes(MiB, 7)
            setFault({ kind: "freeze" })
            // Back after the first attempt stalled, before the second one does.
            yield* Effect.forkDetach(
              Effect.delay(
                Effect.sync(() => setFault({ kind: "none" })),
                IDLE_MS * 1.5
              )
            )
            const info = yield* store.put(key, sent)
            assert.strictEqual(info.size, sent.length)
            assert.isAtLeast(retries.length, 1)
            assert.strictEqual(retries[0]?.reason, "stalled")
            assert.strictEqual(retries[0]?.attempt, 2)
            const got = yield* Effect.flatMap(store.get(key), (result) => Stream.runCollect(result.body))
            assert.deepStrictEqual(new Uint8Array(Buffer.concat(got)), sent)
          }),
        { maxAttempts: 3 }
      ),
    30_000
  )
})
