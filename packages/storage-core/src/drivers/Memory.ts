/**
 * The `memory` store: objects in a Map, for tests (`layerMemory` in the `./testing` subpath).
 * It keeps the contract of the fs and s3 drivers — test/memory.test.ts runs the same suite on it:
 * key, metadata and tag rules, S3's listing order and common prefixes, conditional writes, ranges,
 * conditional gets, and signed URLs like the fs driver's (HMAC, served by the HTTP app).
 *
 * A write reads its whole body first, then checks its condition and stores the object in one
 * synchronous step, so concurrent conditional writes have exactly one winner and a failed or
 * interrupted write stores nothing. Bodies are copied in, so callers may reuse their buffers.
 */
import { createHash, randomUUID } from "node:crypto"
import { stat } from "node:fs/promises"
import { Clock, Effect, Layer, Stream } from "effect"
import { BucketAdmin, noBucketAdmin } from "../BucketAdmin.js"
import * as ContentChecksum from "../ContentChecksum.js"
import { ObjectNotFound, ObjectTooLarge, PreconditionFailed, type StoreError, TransportError } from "../Errors.js"
import {
  bareEtag,
  checkCopy,
  checkMetadata,
  checkWrite,
  DEFAULT_CONTENT_TYPE,
  DEFAULT_STORAGE_CLASS,
  servedBytes
} from "../internal/objectRules.js"
import { saveToFile, wholeObject } from "../internal/saveToFile.js"
import { type StorageServices, storageContext } from "../internal/storageContext.js"
import * as Keys from "../Keys.js"
import {
  type CommonPrefix,
  type CopyOptions,
  type DeleteOutcome,
  type DownloadOptions,
  type GetOptions,
  type ListEntry,
  type ListOptions,
  type ObjectInfo,
  ObjectStore,
  type PresignOptions,
  type PutBody,
  type PutOptions
} from "../ObjectStore.js"
import * as SignedUrl from "../SignedUrl.js"
// The fs driver's reader of put bodies: bytes sliced, streams as they come, files chunk by chunk.
import { putChunks } from "./fs/bodies.js"

export interface MemoryOptions {
  /** Where signed URLs point (the HTTP app). Default `http://127.0.0.1:8080`. */
  readonly publicUrl?: string
  /** The secret signed URLs are signed with. Default `memory-test-secret`. */
  readonly signingSecret?: string
}

interface Stored {
  readonly data: Uint8Array
  readonly info: ObjectInfo
  readonly tags: Readonly<Record<string, string>>
}

const GET_CHUNK_BYTES = 256 * 1024
const LONE_SURROGATE = /[\uD800-\uDFFF]/gu

const wholeSeconds = (millis: number) => new Date(Math.floor(millis / 1000) * 1000)

/** A fresh, empty memory store: ObjectStore, and a BucketAdmin with no bucket configuration that reads object tags. */
export const makeServices = (options: MemoryOptions = {}): Effect.Effect<StorageServices> =>
  Effect.sync(() => {
    const objects = new Map<string, Stored>()
    const location = `memory://${randomUUID()}`
    const secret = options.signingSecret ?? "memory-test-secret"
    const publicUrl = (options.publicUrl ?? "http://127.0.0.1:8080").replace(/\/+$/, "")

    /** Stores `entry` at `key` if the write's condition holds now: one synchronous step. */
    const commit = (key: string, entry: Stored, condition: Pick<PutOptions, "ifNoneMatch" | "ifMatch">) =>
      Effect.suspend(() => {
        const current = objects.get(key)
        if (condition.ifNoneMatch === "*" && current !== undefined) {
          return Effect.fail(new PreconditionFailed({ key, condition: "If-None-Match: *" }))
        }
        if (condition.ifMatch !== undefined) {
          const wanted = bareEtag(condition.ifMatch)
          if (current === undefined || (wanted !== "*" && current.info.etag !== wanted)) {
            return Effect.fail(new PreconditionFailed({ key, condition: `If-Match: "${wanted}"` }))
          }
        }
        objects.set(key, entry)
        return Effect.void
      })

    const put = Effect.fn("ObjectStore.put")(function* (key: string, body: PutBody, options: PutOptions = {}) {
      const valid = yield* Keys.make(key)
      const metadata = yield* checkWrite(valid, options)
      const total =
        body instanceof Uint8Array
          ? body.length
          : "_tag" in body && body._tag === "File"
            ? yield* Effect.tryPromise({
                try: async () => (await stat(body.path)).size,
                catch: (cause) =>
                  new TransportError({
                    operation: "put",
                    detail: `could not read ${body.path}: ${String(cause)}`,
                    cause
                  })
              })
            : options.contentLength
      const limit = options.maxBytes
      if (limit !== undefined && total !== undefined && total > limit) {
        return yield* new ObjectTooLarge({ key, size: total, limit })
      }
      const chunks: Array<Uint8Array> = []
      const md5 = createHash("md5")
      const check = ContentChecksum.putCheck(valid, metadata)
      let loaded = 0
      yield* Stream.runForEach(putChunks(valid, body), (chunk): Effect.Effect<void, ObjectTooLarge> => {
        loaded += chunk.length
        if (limit !== undefined && loaded > limit) return Effect.fail(new ObjectTooLarge({ key, size: loaded, limit }))
        md5.update(chunk)
        check.update(chunk)
        chunks.push(Uint8Array.from(chunk))
        options.onProgress?.({ key, loaded, total })
        return Effect.void
      })
      if (options.contentLength !== undefined && loaded !== options.contentLength) {
        return yield* new TransportError({
          operation: "put",
          detail: `the body of "${key}" had ${loaded} bytes, but contentLength said ${options.contentLength}`
        })
      }
      yield* check.verify
      const info: ObjectInfo = {
        key,
        size: loaded,
        etag: md5.digest("hex"),
        lastModified: wholeSeconds(yield* Clock.currentTimeMillis),
        contentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
        cacheControl: options.cacheControl,
        contentDisposition: options.contentDisposition,
        metadata,
        storageClass: DEFAULT_STORAGE_CLASS,
        versionId: undefined
      }
      yield* commit(
        valid,
        { data: new Uint8Array(Buffer.concat(chunks, loaded)), info, tags: { ...options.tags } },
        options
      )
      return info
    })

    const stored = (key: string) =>
      Effect.flatMap(Keys.make(key), (valid) => {
        const entry = objects.get(valid)
        return entry === undefined ? Effect.fail(new ObjectNotFound({ key })) : Effect.succeed(entry)
      })

    const get = Effect.fn("ObjectStore.get")(function* (key: string, options: GetOptions = {}) {
      const { data, info } = yield* stored(key)
      const served = yield* servedBytes(info, options)
      const slices: Array<Uint8Array> = []
      for (let at = served.start; at <= served.end; at += GET_CHUNK_BYTES) {
        slices.push(data.subarray(at, Math.min(at + GET_CHUNK_BYTES, served.end + 1)))
      }
      const total = served.end - served.start + 1
      let loaded = 0
      const body: Stream.Stream<Uint8Array, StoreError> = Stream.fromIterable(slices).pipe(
        Stream.tap((chunk) =>
          Effect.sync(() => {
            loaded += chunk.length
            options.onProgress?.({ key, loaded, total })
          })
        )
      )
      return { info, body, range: served.range }
    })

    const head = Effect.fn("ObjectStore.head")(function* (key: string) {
      return (yield* stored(key)).info
    })

    const exists = Effect.fn("ObjectStore.exists")(function* (key: string) {
      return objects.has(yield* Keys.make(key))
    })

    /** A snapshot of the keys under the prefix, as S3 lists them. */
    const list = (options: ListOptions = {}) =>
      Stream.unwrap(
        Effect.gen(function* () {
          const prefix = yield* Effect.fromResult(Keys.validatePrefix(options.prefix ?? ""))
          // Any string; a lone surrogate reads as U+FFFD, as in UTF-8.
          const startAfter = options.startAfter?.replace(LONE_SURROGATE, "\uFFFD")
          const after = (name: string) => startAfter === undefined || Keys.compare(name, startAfter) > 0
          const keys = [...objects.keys()].filter((key) => key.startsWith(prefix) && after(key)).sort(Keys.compare)
          const entries: Array<ListEntry> = []
          let rolledUp: string | undefined
          for (const key of keys) {
            if (rolledUp !== undefined && key.startsWith(rolledUp)) continue
            const at = options.delimiter ? key.indexOf(options.delimiter, prefix.length) : -1
            if (at >= 0) {
              rolledUp = key.slice(0, at + options.delimiter!.length)
              // As on S3: a common prefix at or before startAfter is not listed.
              if (after(rolledUp)) entries.push({ _tag: "Prefix", prefix: rolledUp } satisfies CommonPrefix)
              continue
            }
            const { info } = objects.get(key)!
            entries.push({
              _tag: "Object",
              key,
              size: info.size,
              etag: info.etag,
              lastModified: info.lastModified,
              storageClass: info.storageClass
            })
          }
          return Stream.fromIterable(entries)
        })
      )

    const copy = Effect.fn("ObjectStore.copy")(function* (from: string, to: string, options: CopyOptions = {}) {
      const target = yield* Keys.make(to)
      yield* Keys.make(from)
      yield* checkCopy(from, target, options.replace)
      const replace = options.replace
      const metadata = replace === undefined ? undefined : yield* checkMetadata(target, replace.metadata)
      const source = yield* stored(from)
      const lastModified = wholeSeconds(yield* Clock.currentTimeMillis)
      const info: ObjectInfo =
        replace === undefined || metadata === undefined
          ? { ...source.info, key: to, lastModified }
          : {
              ...source.info,
              key: to,
              lastModified,
              contentType: replace.contentType ?? DEFAULT_CONTENT_TYPE,
              cacheControl: replace.cacheControl,
              contentDisposition: replace.contentDisposition,
              metadata
            }
      yield* commit(target, { data: source.data, info, tags: source.tags }, options)
      return info
    })

    const remove = Effect.fn("ObjectStore.delete")(function* (key: string) {
      objects.delete(yield* Keys.make(key))
    })

    const deleteMany = Effect.fn("ObjectStore.deleteMany")(function* (keys: ReadonlyArray<string>) {
      // Every key is checked before anything is deleted.
      for (const key of keys) yield* Keys.make(key)
      return keys.map((key): DeleteOutcome => {
        objects.delete(key)
        return { key, deleted: true }
      })
    })

    const presign = Effect.fn("ObjectStore.presign")(function* (key: string, options: PresignOptions) {
      const valid = yield* Keys.make(key)
      const now = yield* Clock.currentTimeMillis
      return SignedUrl.presign({ secret, publicUrl, key: valid, options, now })
    })

    const store = ObjectStore.of({
      driver: "memory",
      location,
      put,
      get,
      download: (key: string, path: string, options?: DownloadOptions) =>
        saveToFile(key, path, wholeObject(get(key)), options),
      head,
      exists,
      list,
      copy,
      delete: remove,
      deleteMany,
      presign
    })
    const admin = BucketAdmin.of({
      ...noBucketAdmin("memory", location),
      getObjectTags: (key) => Effect.map(stored(key), (entry) => entry.tags)
    })
    return { store, admin }
  })

/** ObjectStore and BucketAdmin of a fresh, empty memory store. */
export const layer = (options: MemoryOptions = {}): Layer.Layer<ObjectStore | BucketAdmin> =>
  Layer.effectContext(Effect.map(makeServices(options), storageContext))
