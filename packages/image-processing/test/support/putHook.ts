/**
 * A decorator that injects failures (or delays) into the puts of any ObjectStore: the in-memory
 * one of `@localex/storage-core/testing` (`layerMemory`) or the real fs driver.
 */
import { ObjectStore, type StoreError } from "@localex/storage-core"
import { Effect, Layer } from "effect"

/** Called before each put with its 1-based number: fail to make that put fail, sleep to slow it down. */
export type PutHook = (n: number, key: string) => Effect.Effect<void, StoreError>

/**
 * The surrounding ObjectStore with `hook` run before every put. `written` receives each key the
 * underlying store accepted, so a test can tell that a rollback had something to remove.
 */
export const withPutHook = (hook: PutHook, written: Array<string> = []): Layer.Layer<ObjectStore, never, ObjectStore> =>
  Layer.effect(
    ObjectStore,
    Effect.gen(function* () {
      const inner = yield* ObjectStore
      let puts = 0
      return ObjectStore.of({
        ...inner,
        put: (key, body, options) =>
          Effect.suspend(() => hook(++puts, key)).pipe(
            Effect.andThen(inner.put(key, body, options)),
            Effect.tap(() => Effect.sync(() => written.push(key)))
          )
      })
    })
  )
