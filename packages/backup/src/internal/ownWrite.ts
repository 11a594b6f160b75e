/**
 * The backup's own conditional writes (checkpoints, plan manifests, reports), made safe to retry.
 *
 * A create-only (`If-None-Match: *`) or compare-and-swap (`If-Match`) PutObject whose answer is
 * lost after the server stored it is retried by the driver, and the retry answers 412: the first
 * attempt's object is there now. So a 412 is checked by reading the object back: when it holds
 * exactly what we sent (same SHA-256 — every such write carries a run stamp or a random token, so
 * no other writer sends the same bytes) it was our own write and succeeds; otherwise it is a real
 * conflict and fails as before (`PreconditionFailed`, which callers turn into their typed errors).
 */
import { createHash } from "node:crypto"
import {
  ContentChecksum,
  type ObjectInfo,
  type ObjectStore,
  type PreconditionFailed,
  type PutOptions,
  readBody,
  writeObject
} from "@localex/storage-core"
import { Effect, Stream } from "effect"

type Store = ObjectStore["Service"]
type WriteOptions = Omit<PutOptions, "maxBytes" | "metadata" | "tags">

/** After a 412: the object's info when it holds bytes hashing to `sha256` (ours), else the 412. */
const ownedAfter412 = (store: Store, key: string, sha256: string, failed: PreconditionFailed) =>
  Effect.gen(function* () {
    const info = yield* store.head(key)
    const stored = yield* ContentChecksum.ofStream(yield* readBody(store, key))
    return stored === sha256 ? info : yield* Effect.fail(failed)
  }).pipe(
    // Gone again, or unreadable: not provably ours, so the conflict stands.
    Effect.catchTag("ObjectNotFound", () => Effect.fail(failed))
  )

/** A conditional write of bytes; a 412 that finds our own bytes stored (a retried write) succeeds. */
export const writeOwn = (store: Store, key: string, bytes: Uint8Array, options: WriteOptions) =>
  writeObject(store, key, bytes, options).pipe(
    Effect.catchTag("PreconditionFailed", (failed) =>
      ownedAfter412(store, key, ContentChecksum.sha256Hex(bytes), failed)
    )
  )

/**
 * A conditional write of a stream (a plan manifest), hashed as it is sent; a 412 that finds the
 * whole stream stored succeeds. The stream's own failure is kept as it is (not as the driver's
 * TransportError), so a listing that breaks fails the caller with its own error.
 */
export const writeOwnStream = <E>(
  store: Store,
  key: string,
  body: Stream.Stream<Uint8Array, E>,
  options: WriteOptions
): Effect.Effect<ObjectInfo, E | Effect.Error<ReturnType<typeof writeObject>>> =>
  Effect.suspend(() => {
    const hash = createHash("sha256")
    let bodyFailure: { readonly error: E } | undefined
    const tapped = body.pipe(
      Stream.tap((chunk) => Effect.sync(() => hash.update(chunk))),
      Stream.tapError((error) => Effect.sync(() => (bodyFailure = { error })))
    )
    return writeObject(store, key, tapped, options).pipe(
      Effect.catchTag("PreconditionFailed", (failed) => ownedAfter412(store, key, hash.copy().digest("hex"), failed)),
      Effect.catch((error) => Effect.fail(bodyFailure === undefined ? error : bodyFailure.error))
    )
  })
