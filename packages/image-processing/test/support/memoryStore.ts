/**
 * An in-memory ObjectStore for the tests, and a decorator that injects failures (or delays) into
 * the puts of any ObjectStore (the memory one or the real fs driver).
 */
import {
  type CommonPrefix,
  Keys,
  type ListEntry,
  type ObjectInfo,
  ObjectNotFound,
  ObjectStore,
  PreconditionFailed,
  type PutBody,
  type StoreError,
  UnsupportedByDriver
} from "@localex/storage-core"
import { Effect, Layer, Result, Stream } from "effect"

interface Entry {
  readonly data: Uint8Array
  readonly info: ObjectInfo
}

const checkKey = (key: string) => Effect.fromResult(Keys.validate(key))

const bodyBytes = (body: PutBody): Effect.Effect<Uint8Array> =>
  body instanceof Uint8Array
    ? Effect.succeed(body)
    : "_tag" in body
      ? Effect.die(new Error("the memory store does not read files"))
      : Stream.runCollect(body).pipe(
          Effect.map((chunks) => Buffer.concat(chunks)),
          Effect.orDie
        )

/** A fresh, empty in-memory store. */
export const memoryStore = (): Layer.Layer<ObjectStore> =>
  Layer.sync(ObjectStore, () => {
    const objects = new Map<string, Entry>()
    let etags = 0

    const head = (key: string) =>
      Effect.flatMap(checkKey(key), () => {
        const entry = objects.get(key)
        return entry ? Effect.succeed(entry.info) : Effect.fail(new ObjectNotFound({ key }))
      })

    const list = (options: { prefix?: string; delimiter?: string; startAfter?: string } = {}) =>
      Stream.suspend(() => {
        const prefix = options.prefix ?? ""
        const problem = Keys.validatePrefix(prefix)
        if (Result.isFailure(problem)) return Stream.fail(problem.failure)
        const keys = [...objects.keys()]
          .filter((k) => k.startsWith(prefix) && (options.startAfter === undefined || k > options.startAfter))
          .sort()
        const entries: Array<ListEntry> = []
        const seen = new Set<string>()
        for (const key of keys) {
          const rest = key.slice(prefix.length)
          const cut = options.delimiter ? rest.indexOf(options.delimiter) : -1
          if (cut >= 0) {
            const folder = prefix + rest.slice(0, cut + options.delimiter!.length)
            if (!seen.has(folder)) entries.push({ _tag: "Prefix", prefix: folder } satisfies CommonPrefix)
            seen.add(folder)
          } else {
            const { info } = objects.get(key)!
            entries.push({
              _tag: "Object",
              key,
              size: info.size,
              etag: info.etag,
              lastModified: info.lastModified,
              storageClass: undefined
            })
          }
        }
        return Stream.fromIterable(entries)
      })

    return ObjectStore.of({
      driver: "fs",
      location: "memory://test",
      put: (key, body, options = {}) =>
        Effect.gen(function* () {
          yield* checkKey(key)
          if (options.ifNoneMatch === "*" && objects.has(key)) {
            return yield* new PreconditionFailed({ key, condition: "If-None-Match: *" })
          }
          const data = yield* bodyBytes(body)
          const info: ObjectInfo = {
            key,
            size: data.length,
            etag: `etag-${++etags}`,
            lastModified: new Date(),
            contentType: options.contentType,
            cacheControl: options.cacheControl,
            contentDisposition: options.contentDisposition,
            metadata: options.metadata ?? {},
            storageClass: undefined,
            versionId: undefined
          }
          objects.set(key, { data: Uint8Array.from(data), info })
          return info
        }),
      get: (key) =>
        Effect.map(head(key), (info) => ({
          info,
          body: Stream.make(objects.get(key)!.data) as Stream.Stream<Uint8Array, StoreError>,
          range: undefined
        })),
      head,
      exists: (key) => Effect.map(checkKey(key), () => objects.has(key)),
      list,
      copy: (from, to) =>
        Effect.gen(function* () {
          yield* checkKey(to)
          yield* head(from)
          const entry = objects.get(from)!
          objects.set(to, { data: entry.data, info: { ...entry.info, key: to } })
          return objects.get(to)!.info
        }),
      delete: (key) => Effect.map(checkKey(key), () => void objects.delete(key)),
      deleteMany: (keys) =>
        Effect.gen(function* () {
          for (const key of keys) yield* checkKey(key)
          return keys.map((key) => {
            objects.delete(key)
            return { key, deleted: true as const }
          })
        }),
      presign: () => Effect.fail(new UnsupportedByDriver({ driver: "memory", operation: "presign" }))
    })
  })

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
