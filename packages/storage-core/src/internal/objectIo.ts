/** Reading and writing whole small objects (manifests, reports) through an ObjectStore. */
import { Effect, Stream } from "effect"
import type { ObjectStore, PutBody, PutOptions } from "../ObjectStore.js"

type Store = ObjectStore["Service"]

/** The body of `key` as a stream; a plain GET cannot be NotModified or out of range. */
export const readBody = (store: Store, key: string) =>
  store.get(key).pipe(
    Effect.map((result) => result.body),
    Effect.catchTag(["NotModified", "RangeNotSatisfiable"], (error) => Effect.die(error))
  )

/** The text of `key` (for small objects: a manifest.json). */
export const readText = (store: Store, key: string) =>
  Effect.flatMap(readBody(store, key), (body) => body.pipe(Stream.decodeText, Stream.mkString))

/** A put without `maxBytes`, metadata or tags, which cannot be ObjectTooLarge or InvalidMetadata. */
export const write = (
  store: Store,
  key: string,
  body: PutBody,
  options?: Omit<PutOptions, "maxBytes" | "metadata" | "tags">
) =>
  store
    .put(key, body, options)
    .pipe(Effect.catchTag(["ObjectTooLarge", "InvalidMetadata"], (error) => Effect.die(error)))
