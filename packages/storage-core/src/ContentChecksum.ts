/**
 * The content checksum LocalEx keeps with an object: the hex SHA-256 of its whole bytes in the
 * user metadata `localex-sha256` (`x-amz-meta-localex-sha256` on S3). Unlike an ETag it does not
 * depend on how the object was uploaded (a multipart ETag is not a hash of the content), so two
 * stores can be compared without reading the bytes. Copies keep it (it is metadata).
 */
import { createHash, type Hash } from "node:crypto"
import { Effect, Stream } from "effect"
import type { ObjectInfo } from "./ObjectStore.js"

/** The user-metadata name (lower case, as every driver stores names). */
export const METADATA_NAME = "localex-sha256"

const HEX_SHA256 = /^[0-9a-f]{64}$/

/** The checksum an object carries, when it carries a well-formed one. */
export const of = (info: Pick<ObjectInfo, "metadata">): string | undefined => {
  const value = info.metadata[METADATA_NAME]
  return value !== undefined && HEX_SHA256.test(value) ? value : undefined
}

/** Hex SHA-256 of bytes. */
export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

/** Hex SHA-256 of a stream of chunks, read to its end. */
export const ofStream = <E, R>(body: Stream.Stream<Uint8Array, E, R>): Effect.Effect<string, E, R> =>
  Stream.runFold(
    body,
    (): Hash => createHash("sha256"),
    (hash, chunk) => hash.update(chunk)
  ).pipe(Effect.map((hash) => hash.digest("hex")))

/**
 * The stream unchanged, failing at its end with `onMismatch` when its bytes do not hash to
 * `expected`: a write fed by it stores nothing then (a failed put leaves nothing behind).
 */
export const verifying = <E, R, E2>(
  body: Stream.Stream<Uint8Array, E, R>,
  expected: string,
  onMismatch: (actual: string) => E2
): Stream.Stream<Uint8Array, E | E2, R> =>
  Stream.suspend(() => {
    const hash = createHash("sha256")
    return body.pipe(
      Stream.tap((chunk) => Effect.sync(() => hash.update(chunk))),
      Stream.concat(
        Stream.fromEffect(
          Effect.suspend(() => {
            const actual = hash.digest("hex")
            return actual === expected ? Effect.void : Effect.fail(onMismatch(actual))
          })
        ).pipe(Stream.drain)
      )
    )
  })
