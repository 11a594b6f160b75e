/**
 * `download` from a `get`: the body goes to a temporary file beside the target (one positional
 * writev per batch of chunks), renamed over the target at the end; on any failure or
 * interruption the temporary file is removed and the target is untouched.
 */
import { randomBytes } from "node:crypto"
import { type FileHandle, open, rename, rm } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { Effect, Stream } from "effect"
import type { NotModified, RangeNotSatisfiable, StoreError } from "../Errors.js"
import { TransportError } from "../Errors.js"
import type { DownloadOptions, GetResult, ObjectInfo } from "../ObjectStore.js"

/** A hidden sibling of `path`: same folder, so the rename is atomic. */
export const tempPathFor = (path: string): string =>
  join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.localex-download`)

/** A local file operation that failed, as the error `download` declares. */
export const localFileError = (path: string, cause: unknown): TransportError =>
  new TransportError({
    operation: "Download",
    detail: `could not write "${path}": ${cause instanceof Error ? cause.message : String(cause)}`,
    cause
  })

const local = <A>(path: string, f: () => Promise<A>): Effect.Effect<A, TransportError> =>
  Effect.tryPromise({ try: f, catch: (cause) => localFileError(path, cause) })

/**
 * Runs `fill` with a fresh temporary file beside `path`, then renames it over `path`.
 * Whatever ends `fill` early, the temporary file is closed and removed.
 */
export const intoFile = <A, E>(
  path: string,
  fill: (file: FileHandle, tempPath: string) => Effect.Effect<A, E>
): Effect.Effect<A, E | TransportError> => {
  const temp = tempPathFor(path)
  return Effect.scoped(
    Effect.gen(function* () {
      const file = yield* Effect.acquireRelease(
        local(temp, () => open(temp, "wx")),
        (handle) => Effect.promise(() => handle.close().catch(() => undefined))
      )
      const result = yield* fill(file, temp)
      yield* local(temp, () => file.close())
      yield* local(path, () => rename(temp, path))
      return result
    })
  ).pipe(Effect.onError(() => Effect.promise(() => rm(temp, { force: true }))))
}

/** `download` over a store's `get`: the stream written in order, at most four writes in flight. */
export const saveToFile = <E>(
  key: string,
  path: string,
  get: Effect.Effect<GetResult, E>,
  options: DownloadOptions = {}
): Effect.Effect<ObjectInfo, E | StoreError> =>
  intoFile(path, (file, temp) =>
    Effect.gen(function* () {
      const { info, body } = yield* get
      const writing = new Set<Promise<unknown>>()
      let position = 0
      yield* Stream.runForEachArray(body, (chunks) =>
        local(temp, async () => {
          const write = file.writev(chunks, position)
          for (const chunk of chunks) position += chunk.length
          writing.add(write)
          void write.finally(() => writing.delete(write)).catch(() => undefined)
          if (writing.size >= 4) await Promise.race(writing)
          options.onProgress?.({ key, loaded: position, total: info.size })
        })
      )
      yield* local(temp, () => Promise.all(writing))
      return info
    })
  )

/** A get without conditions or a range answers neither NotModified nor RangeNotSatisfiable. */
export const wholeObject = <A, E>(
  get: Effect.Effect<A, E | NotModified | RangeNotSatisfiable>
): Effect.Effect<A, Exclude<E, NotModified | RangeNotSatisfiable>> =>
  Effect.catchIf(
    get,
    (error): error is NotModified | RangeNotSatisfiable =>
      typeof error === "object" &&
      error !== null &&
      "_tag" in error &&
      (error._tag === "NotModified" || error._tag === "RangeNotSatisfiable"),
    Effect.die
  ) as Effect.Effect<A, Exclude<E, NotModified | RangeNotSatisfiable>>
