/**
 * Copies one object from a store to another (any drivers, any endpoints) by streaming it, so
 * that the copy always carries `localex-sha256`:
 *
 * - the source carries it: the bytes are streamed and checked against it on the way;
 * - it does not, and the object is small: it is read whole, hashed, and written;
 * - it does not, and the object is large: it is read once to hash it, then streamed again and
 *   checked against that hash (a source replaced in between fails the copy, nothing is written).
 *
 * The object's tags, when the caller read them (`tags`), go with the copy.
 *
 * The write is conditional on what the destination held when the run looked (create-only, or
 * the ETag it had): a destination changed meanwhile is not overwritten. A failed copy leaves
 * nothing (a put that fails stores nothing). A 412 where the destination now holds exactly these
 * bytes (same size and `localex-sha256`: a retried write whose first answer was lost) is a success.
 */
import {
  ContentChecksum,
  type ObjectInfo,
  type ObjectStore,
  type PutBody,
  type PutOptions
} from "@localex/storage-core"
import { Effect, Stream } from "effect"
import { ChecksumMismatch } from "../Errors.js"

type Store = ObjectStore["Service"]

/** Objects up to this size are hashed in memory when they carry no checksum. */
export const BUFFER_BYTES = 8 * 1024 * 1024

/** The condition of a write: create only, or replace exactly the object the run saw. */
export type Condition = { readonly ifNoneMatch: "*" } | { readonly ifMatch: string }

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number) => {
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/** The read of `key` as a plain GET (no range, no condition: those errors cannot happen). */
const read = (store: Store, key: string) =>
  store.get(key).pipe(Effect.catchTag(["NotModified", "RangeNotSatisfiable"], (error) => Effect.die(error)))

export const copyObject = Effect.fnUntraced(function* (
  source: Store,
  sourceKey: string,
  destination: Store,
  destinationKey: string,
  condition: Condition,
  tags: Readonly<Record<string, string>> = {}
) {
  const got = yield* read(source, sourceKey)
  const info = got.info
  const carried = ContentChecksum.of(info)
  /** The put; after a 412, the destination's object when it is already this copy. */
  const put = (body: PutBody, putOptions: PutOptions, sha256: string) =>
    destination.put(destinationKey, body, putOptions).pipe(
      Effect.catchTag("PreconditionFailed", (failed) =>
        destination.head(destinationKey).pipe(
          Effect.catchTag("ObjectNotFound", () => Effect.fail(failed)),
          Effect.flatMap((now) =>
            now.size === info.size && ContentChecksum.of(now) === sha256 ? Effect.succeed(now) : Effect.fail(failed)
          )
        )
      )
    )
  const mismatch = (expected: string) => (actual: string) => new ChecksumMismatch({ key: sourceKey, expected, actual })
  const options = (sha256: string): PutOptions => ({
    contentType: info.contentType ?? "application/octet-stream",
    ...(info.cacheControl === undefined ? {} : { cacheControl: info.cacheControl }),
    ...(info.contentDisposition === undefined ? {} : { contentDisposition: info.contentDisposition }),
    metadata: { ...info.metadata, [ContentChecksum.METADATA_NAME]: sha256 },
    contentLength: info.size,
    ...(Object.keys(tags).length === 0 ? {} : { tags }),
    ...condition
  })
  if (carried !== undefined) {
    return yield* put(ContentChecksum.verifying(got.body, carried, mismatch(carried)), options(carried), carried)
  }
  if (info.size <= BUFFER_BYTES) {
    const bytes = concat(yield* Stream.runCollect(got.body), info.size)
    const sha256 = ContentChecksum.sha256Hex(bytes)
    return yield* put(bytes, options(sha256), sha256)
  }
  const sha256 = yield* ContentChecksum.ofStream(got.body)
  const again = yield* read(source, sourceKey)
  return yield* put(ContentChecksum.verifying(again.body, sha256, mismatch(sha256)), options(sha256), sha256)
})

export type CopyResult = ObjectInfo
