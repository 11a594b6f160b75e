/**
 * Leases in the store, on fs, memory and the local Ceph RGW: one holder at a time (create-only,
 * then compare-and-swap), takeover after expiry with a higher fencing token, and a fenced store
 * that stops writing once its lease is lost.
 */
import { assert, describe, layer } from "@effect/vitest"
import { testS3 } from "@localex/local-s3"
import { Deferred, type Duration, Effect, Fiber, type Layer, Option, Schedule } from "effect"
import { TestClock } from "effect/testing"
import type { StorageConfigError } from "../src/Errors.js"
import * as Lease from "../src/Lease.js"
import { ObjectStore } from "../src/ObjectStore.js"
import { allKeys, layerFs, layerMemory, layerS3 } from "../src/testing.js"

const engine = testS3()
const bytes = new TextEncoder().encode("report")

/**
 * Moves the test clock by `step` and waits (in real time, bounded) until the background renewal
 * that the step woke has written the lease: fs and S3 answer on real I/O, not on the test clock.
 */
const advanceRenewing = (held: Lease.Held, step: Duration.Input) =>
  Effect.gen(function* () {
    const before = (yield* held.current).expiresAt
    yield* TestClock.adjust(step)
    yield* TestClock.withLive(
      held.current.pipe(
        Effect.filterOrFail((lease) => lease.expiresAt > before),
        Effect.retry(Schedule.spaced("5 millis")),
        Effect.timeout("5 seconds")
      )
    )
  })

const leaseSuite = (name: string, storeLayer: Layer.Layer<ObjectStore, StorageConfigError>) =>
  layer(storeLayer)(`Lease on ${name}`, (it) => {
    // Live clock: the fs driver's write lock backs off with real sleeps under contention.
    it.effect("of runners racing for a new lease exactly one gets it (create-only)", () =>
      TestClock.withLive(
        Effect.gen(function* () {
          const store = yield* ObjectStore
          const results = yield* Effect.forEach(
            ["a", "b", "c", "d"],
            (holder) => Effect.result(Lease.acquire(store, { name: "race", holder, ttl: "1 minute" })),
            { concurrency: "unbounded" }
          )
          const won = results.filter((r) => r._tag === "Success")
          assert.strictEqual(won.length, 1)
          for (const r of results) if (r._tag === "Failure") assert.strictEqual(r.failure._tag, "LeaseHeld")
          const stored = Option.getOrThrow(yield* Lease.read(store, "race")).record
          assert.strictEqual(stored.holder, won[0]?._tag === "Success" ? won[0].success.holder : "")
          assert.strictEqual(stored.token, 1)
        })
      )
    )

    it.effect("of runners racing for an expired lease exactly one takes it over (compare-and-swap)", () =>
      TestClock.withLive(
        Effect.gen(function* () {
          const store = yield* ObjectStore
          const first = yield* Lease.acquire(store, { name: "race-expired", holder: "old", ttl: "1 millis" })
          yield* Effect.sleep("5 millis")
          const results = yield* Effect.forEach(
            ["a", "b", "c"],
            (holder) => Effect.result(Lease.acquire(store, { name: "race-expired", holder, ttl: "1 minute" })),
            { concurrency: "unbounded" }
          )
          assert.strictEqual(results.filter((r) => r._tag === "Success").length, 1)
          assert.strictEqual(Option.getOrThrow(yield* Lease.read(store, "race-expired")).record.token, first.token + 1)
        })
      )
    )

    it.effect("a live lease is refused to others; after expiry it is taken over and the old holder is fenced", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const mine = yield* Lease.acquire(store, { name: "job", holder: "runner-1", ttl: "30 seconds" })
        const held = yield* Effect.flip(Lease.acquire(store, { name: "job", holder: "runner-2", ttl: "30 seconds" }))
        assert.strictEqual(held._tag, "LeaseHeld")
        assert.include(held.message, "runner-1")

        yield* TestClock.adjust("10 seconds")
        const renewed = yield* Lease.renew(store, mine)
        yield* TestClock.adjust("35 seconds") // past the renewed expiry
        const theirs = yield* Lease.acquire(store, { name: "job", holder: "runner-2", ttl: "30 seconds" })
        assert.strictEqual(theirs.token, mine.token + 1)

        const renewal = yield* Effect.flip(Lease.renew(store, renewed))
        assert.strictEqual(renewal._tag, "LeaseLost")
        assert.strictEqual((yield* Effect.flip(Lease.verify(store, renewed)))._tag, "LeaseLost")
        // Releasing a lost lease leaves the new holder's record alone.
        yield* Lease.release(store, renewed)
        assert.strictEqual(Option.getOrThrow(yield* Lease.read(store, "job")).record.holder, "runner-2")
        yield* Lease.verify(store, theirs)
      })
    )

    it.effect("a released lease is free at once", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const mine = yield* Lease.acquire(store, { name: "released", holder: "runner-1", ttl: "1 hour" })
        yield* Lease.release(store, mine)
        const next = yield* Lease.acquire(store, { name: "released", holder: "runner-2", ttl: "1 hour" })
        assert.strictEqual(next.token, 2)
      })
    )

    it.effect("a held lease renews itself in the background; once taken over, the fenced store writes nothing", () =>
      Effect.scoped(
        Effect.gen(function* () {
          const store = yield* ObjectStore
          const held = yield* Lease.hold(store, { name: "fenced", holder: "runner-1", ttl: "30 seconds" })
          const fenced = Lease.fence(store, held)
          yield* fenced.put("fenced/one", bytes)
          // Renewed every 10 s: still held well past the first expiry.
          for (let i = 0; i < 9; i++) yield* advanceRenewing(held, "10 seconds")
          yield* held.guard
          yield* fenced.put("fenced/two", bytes)

          // Another runner overwrites the lease (as after a stall past expiry).
          const current = yield* held.current
          const record = Option.getOrThrow(yield* Lease.read(store, "fenced"))
          yield* store.put(
            Lease.leaseKey("fenced"),
            new TextEncoder().encode(
              JSON.stringify({ ...record.record, holder: "runner-2", token: current.token + 1 })
            ),
            { ifMatch: record.etag }
          )
          const refused = yield* Effect.flip(fenced.put("fenced/three", bytes))
          assert.strictEqual(refused._tag, "PreconditionFailed")
          assert.strictEqual((yield* Effect.flip(fenced.delete("fenced/one")))._tag, "AccessDenied")
          // The next renewal notices and signals the loss.
          yield* TestClock.adjust("10 seconds")
          const lost = yield* Effect.flip(TestClock.withLive(Effect.timeout(Deferred.await(held.lost), "5 seconds")))
          assert.strictEqual(lost._tag, "LeaseLost")
          assert.deepStrictEqual(yield* allKeys(store, "fenced/"), ["fenced/one", "fenced/two"])
        })
      )
    )

    it.effect("closing the scope hands the lease back", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const fiber = yield* Effect.scoped(
          Lease.hold(store, { name: "scoped", holder: "runner-1", ttl: "1 hour" })
        ).pipe(Effect.forkChild)
        yield* Fiber.join(fiber)
        const stored = Option.getOrThrow(yield* Lease.read(store, "scoped")).record
        assert.isTrue(stored.released)
        yield* Lease.acquire(store, { name: "scoped", holder: "runner-2", ttl: "1 hour" })
      })
    )

    it.effect("a lease object that is not a lease record is a typed error", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        yield* store.put(Lease.leaseKey("garbage"), new TextEncoder().encode("not json"))
        const error = yield* Effect.flip(Lease.acquire(store, { name: "garbage", holder: "runner-1", ttl: "1 hour" }))
        assert.strictEqual(error._tag, "LeaseUnreadable")
      })
    )
  })

leaseSuite("memory", layerMemory())
leaseSuite("fs", layerFs())
describe.skipIf(engine === undefined)("on the local RGW", () => {
  if (engine !== undefined) leaseSuite("s3 (Ceph RGW)", layerS3(engine))
})
