/** Reading and writing whole small objects (manifests, reports) through an ObjectStore. */
import { Effect, Stream } from "effect"
import type { ObjectStore } from "../ObjectStore.js"

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

/** A put without `maxBytes`, which cannot be ObjectTooLarge. */
export const write = (store: Store, ...args: Parameters<Store["put"]>) =>
  store.put(...args).pipe(Effect.catchTag("ObjectTooLarge", (error) => Effect.die(error)))
