/**
 * Leases in the object store: at most one holder of a named lease at a time, among any number
 * of processes sharing a store (the cron app runs each job on one runner through them).
 *
 * - The lease is one small JSON object under `_localex/leases/{name}.json`.
 * - Acquiring writes it create-only (`If-None-Match: *`); an existing lease that has expired
 *   (or was released) is taken over with compare-and-swap (`If-Match` on the ETag read), so of
 *   two runners racing for it exactly one wins.
 * - Renewing is compare-and-swap on the ETag of the holder's own last write: a holder whose
 *   lease was taken over (it stalled past the expiry) learns it with `LeaseLost`.
 * - Every acquisition increments a fencing `token`. `fence` wraps an ObjectStore so that every
 *   write first checks the lease is still this holder's (same ETag, not expired): a runner that
 *   lost its lease stops writing. An S3 store cannot compare tokens itself, so a write that starts
 *   in the instant between that check and a takeover can still land; records that others read
 *   carry the token, and pointers are replaced conditionally, so a stale writer never wins those.
 *
 * Times come from the `Clock` (tests drive expiry with `TestClock`); holders should keep their
 * clocks in sync to well under the lease's time to live.
 */
import { Clock, Deferred, Duration, Effect, Fiber, Option, Ref, Schema, type Scope, Stream } from "effect"
import type { InvalidKey, StoreError } from "./Errors.js"
import { AccessDenied, PreconditionFailed } from "./Errors.js"
import { write } from "./internal/objectIo.js"
import { RESERVED_PREFIX } from "./Keys.js"
import { ObjectStore } from "./ObjectStore.js"

type Store = ObjectStore["Service"]

/** Where leases live in the store. */
export const LEASE_PREFIX = `${RESERVED_PREFIX}leases/`

/** The key of lease `name`. */
export const leaseKey = (name: string): string => `${LEASE_PREFIX}${name}.json`

/** The stored record (JSON). */
export const LeaseRecord = Schema.Struct({
  name: Schema.String,
  holder: Schema.String,
  /** Fencing token: 1 for the first holder, +1 for every acquisition since. */
  token: Schema.Number,
  acquiredAt: Schema.String,
  renewedAt: Schema.String,
  /** After this instant anyone may take the lease over. */
  expiresAt: Schema.String,
  /** Handed back by its holder: free at once. */
  released: Schema.Boolean
})
export type LeaseRecord = typeof LeaseRecord.Type

/** A lease this process holds: the record it wrote and that write's ETag. */
export interface Lease {
  readonly name: string
  readonly key: string
  readonly holder: string
  readonly token: number
  readonly etag: string
  readonly acquiredAt: string
  readonly expiresAt: number
  readonly ttl: Duration.Duration
}

/** Someone else holds the lease and it has not expired. */
export class LeaseHeld extends Schema.TaggedError<LeaseHeld>()("LeaseHeld", {
  name: Schema.String,
  holder: Schema.String,
  expiresAt: Schema.String
}) {
  override get message() {
    return `Lease "${this.name}" is held by ${this.holder} until ${this.expiresAt}: it runs there`
  }
}

/** This holder no longer holds the lease (it expired and was taken over, or was released). */
export class LeaseLost extends Schema.TaggedError<LeaseLost>()("LeaseLost", {
  name: Schema.String,
  holder: Schema.String,
  token: Schema.Number,
  reason: Schema.String
}) {
  override get message() {
    return `Lease "${this.name}" (token ${this.token}) is no longer held by ${this.holder}: ${this.reason}; stopped writing`
  }
}

/** The stored lease is not a lease record (written by something else): delete it to free the lease. */
export class LeaseUnreadable extends Schema.TaggedError<LeaseUnreadable>()("LeaseUnreadable", {
  key: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `The lease at "${this.key}" cannot be read (${this.reason}): delete it to free the lease`
  }
}

export type LeaseError = InvalidKey | StoreError | LeaseUnreadable

export interface AcquireOptions {
  readonly name: string
  /** Who holds it (a runner id: host and process). */
  readonly holder: string
  /** How long it lasts without renewal. */
  readonly ttl: Duration.Input
}

const decodeRecord = Schema.decodeUnknownEffect(Schema.fromJsonString(LeaseRecord))

/** The stored record and its ETag; none when there is no lease. */
export const read = Effect.fn("Lease.read")(function* (store: Store, name: string) {
  const key = leaseKey(name)
  const found = yield* store.get(key).pipe(
    Effect.map(Option.some),
    Effect.catchTag("ObjectNotFound", () => Effect.succeed(Option.none())),
    Effect.catchTag(["NotModified", "RangeNotSatisfiable"], (error) => Effect.die(error))
  )
  if (Option.isNone(found)) return Option.none<{ record: LeaseRecord; etag: string }>()
  const text = yield* found.value.body.pipe(Stream.decodeText, Stream.mkString)
  const record = yield* decodeRecord(text).pipe(
    Effect.mapError((error) => new LeaseUnreadable({ key, reason: error.message }))
  )
  return Option.some({ record, etag: found.value.info.etag })
})

const iso = (ms: number) => new Date(ms).toISOString()

const writeRecord = (store: Store, record: LeaseRecord, condition: { ifNoneMatch: "*" } | { ifMatch: string }) =>
  write(store, leaseKey(record.name), new TextEncoder().encode(JSON.stringify(record)), {
    contentType: "application/json",
    ...condition
  })

/**
 * Takes lease `name` for `holder`: creates it, or takes over one that expired or was released.
 * Fails with `LeaseHeld` while another holder's lease runs (or when another runner wins the race).
 */
export const acquire = Effect.fn("Lease.acquire")(function* (store: Store, options: AcquireOptions) {
  const ttl = Duration.fromInputUnsafe(options.ttl)
  const now = yield* Clock.currentTimeMillis
  const current = yield* read(store, options.name)
  if (Option.isSome(current)) {
    const { record } = current.value
    const live = !record.released && Date.parse(record.expiresAt) > now
    if (live && record.holder !== options.holder)
      return yield* new LeaseHeld({ name: options.name, holder: record.holder, expiresAt: record.expiresAt })
  }
  const token = Option.isSome(current) ? current.value.record.token + 1 : 1
  const expiresAt = now + Duration.toMillis(ttl)
  const record: LeaseRecord = {
    name: options.name,
    holder: options.holder,
    token,
    acquiredAt: iso(now),
    renewedAt: iso(now),
    expiresAt: iso(expiresAt),
    released: false
  }
  const info = yield* writeRecord(
    store,
    record,
    Option.isSome(current) ? { ifMatch: current.value.etag } : { ifNoneMatch: "*" }
  ).pipe(
    // Another runner wrote first: it holds the lease now.
    Effect.catchTag("PreconditionFailed", () =>
      read(store, options.name).pipe(
        Effect.flatMap((winner) =>
          Effect.fail(
            new LeaseHeld({
              name: options.name,
              holder: Option.match(winner, { onNone: () => "another runner", onSome: (w) => w.record.holder }),
              expiresAt: Option.match(winner, { onNone: () => "unknown", onSome: (w) => w.record.expiresAt })
            })
          )
        )
      )
    )
  )
  const lease: Lease = {
    name: options.name,
    key: leaseKey(options.name),
    holder: options.holder,
    token,
    etag: info.etag,
    acquiredAt: record.acquiredAt,
    expiresAt,
    ttl
  }
  return lease
})

const lost = (lease: Lease, reason: string) =>
  new LeaseLost({ name: lease.name, holder: lease.holder, token: lease.token, reason })

/** Extends the lease by its time to live from now; `LeaseLost` when it is no longer this holder's. */
export const renew = Effect.fn("Lease.renew")(function* (store: Store, lease: Lease) {
  const now = yield* Clock.currentTimeMillis
  if (now >= lease.expiresAt) return yield* lost(lease, `it expired at ${iso(lease.expiresAt)} before renewal`)
  const expiresAt = now + Duration.toMillis(lease.ttl)
  const info = yield* writeRecord(
    store,
    {
      name: lease.name,
      holder: lease.holder,
      token: lease.token,
      acquiredAt: lease.acquiredAt,
      renewedAt: iso(now),
      expiresAt: iso(expiresAt),
      released: false
    },
    { ifMatch: lease.etag }
  ).pipe(Effect.catchTag("PreconditionFailed", () => Effect.fail(lost(lease, "another runner took it over"))))
  const renewed: Lease = { ...lease, etag: info.etag, expiresAt }
  return renewed
})

/** Hands the lease back (free at once for others); a lease already lost is left alone. */
export const release = Effect.fn("Lease.release")(function* (store: Store, lease: Lease) {
  const now = yield* Clock.currentTimeMillis
  yield* writeRecord(
    store,
    {
      name: lease.name,
      holder: lease.holder,
      token: lease.token,
      acquiredAt: lease.acquiredAt,
      renewedAt: iso(now),
      expiresAt: iso(now),
      released: true
    },
    { ifMatch: lease.etag }
  ).pipe(
    Effect.asVoid,
    Effect.catchTag("PreconditionFailed", () => Effect.void)
  )
})

/** Succeeds when the store still holds this holder's write of the lease and it has not expired. */
export const verify = Effect.fn("Lease.verify")(function* (store: Store, lease: Lease) {
  const now = yield* Clock.currentTimeMillis
  if (now >= lease.expiresAt) return yield* lost(lease, `it expired at ${iso(lease.expiresAt)}`)
  const info = yield* store.head(lease.key).pipe(
    Effect.map(Option.some),
    Effect.catchTag("ObjectNotFound", () => Effect.succeed(Option.none()))
  )
  if (Option.isNone(info) || info.value.etag !== lease.etag) return yield* lost(lease, "another runner took it over")
})

/** A lease held for the life of a scope, renewed in the background. */
export interface Held {
  /** The lease as last renewed. */
  readonly current: Effect.Effect<Lease>
  /** Succeeds while the lease is held; `LeaseLost` once it is not (checked against the store). */
  readonly guard: Effect.Effect<void, LeaseLost | InvalidKey | StoreError>
  /** Completes with `LeaseLost` when renewal finds the lease gone: race the work against it. */
  readonly lost: Deferred.Deferred<never, LeaseLost>
}

/**
 * Acquires the lease for the scope: renewed every third of its time to live; handed back when
 * the scope closes (unless it was lost). When renewal finds the lease taken over — or cannot
 * reach the store until the lease would expire — `lost` completes — the holder
 * should stop (interrupt its work) — and `guard` fails from then on.
 */
export const hold = (store: Store, options: AcquireOptions): Effect.Effect<Held, LeaseHeld | LeaseError, Scope.Scope> =>
  Effect.gen(function* () {
    const lease = yield* Effect.acquireRelease(
      Effect.flatMap(acquire(store, options), (acquired) => Ref.make(acquired)),
      (ref) =>
        // The work ended (or was interrupted): hand the lease back so another runner can go at once.
        Effect.flatMap(Ref.get(ref), (current) => release(store, current)).pipe(Effect.ignore, Effect.asVoid)
    )
    const lostSignal = yield* Deferred.make<never, LeaseLost>()
    const every = Duration.divideUnsafe(Duration.fromInputUnsafe(options.ttl), 3)
    // A renewal that fails for another reason (the store did not answer) is tried again at the
    // next tick while the lease still has time; it is lost when it would expire first.
    const renewOnce = Effect.flatMap(Ref.get(lease), (current) =>
      renew(store, current).pipe(
        Effect.flatMap((renewed) => Ref.set(lease, renewed)),
        Effect.catch((error) =>
          error._tag === "LeaseLost"
            ? Effect.fail(error)
            : Effect.flatMap(Clock.currentTimeMillis, (now) =>
                now + Duration.toMillis(every) < current.expiresAt
                  ? Effect.void
                  : Effect.fail(lost(current, `renewal failed: ${error.message}`))
              )
        )
      )
    )
    const renewal = yield* renewOnce.pipe(
      Effect.delay(every),
      Effect.forever,
      Effect.catch((error) => Deferred.fail(lostSignal, error)),
      Effect.forkScoped
    )
    yield* Effect.addFinalizer(() => Fiber.interrupt(renewal))
    const guard = Effect.gen(function* () {
      const done = yield* Deferred.poll(lostSignal)
      if (Option.isSome(done)) return yield* done.value
      yield* verify(store, yield* Ref.get(lease))
    })
    return { current: Ref.get(lease), guard, lost: lostSignal } satisfies Held
  })

/**
 * `store` with fencing: every write (put, copy, delete, deleteMany) first checks that `held`
 * is still held. A holder that lost its lease gets `PreconditionFailed` (put, copy) or
 * `AccessDenied` (delete) naming the lease, and writes nothing. Reads pass through.
 */
export const fence = (store: Store, held: Held): Store => {
  const check = (operation: string, key: string) =>
    held.guard.pipe(
      Effect.catchTag("LeaseLost", (error) =>
        Effect.fail(new PreconditionFailed({ key, condition: `${operation} under ${error.message}` }))
      ),
      Effect.catchTag("InvalidKey", (error) => Effect.die(error))
    )
  const checkDelete = (key: string) =>
    check("delete", key).pipe(
      Effect.catchTag("PreconditionFailed", (error) =>
        Effect.fail(new AccessDenied({ operation: "delete", key, detail: error.condition }))
      )
    )
  return ObjectStore.of({
    ...store,
    put: (key, body, options) => Effect.andThen(check("put", key), store.put(key, body, options)),
    copy: (from, to, options) => Effect.andThen(check("copy", to), store.copy(from, to, options)),
    delete: (key) => Effect.andThen(checkDelete(key), store.delete(key)),
    deleteMany: (keys) => Effect.andThen(checkDelete(keys[0] ?? ""), store.deleteMany(keys))
  })
}
