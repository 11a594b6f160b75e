/**
 * `createStorageService`: the ObjectStore as plain async methods, with the operations guide's
 * names (`uploadFile`, `deleteFiles`, …). Every method only runs the Effect service.
 */
import { Readable } from "node:stream"
import { Effect, Stream } from "effect"
import { readBody } from "../internal/objectIo.js"
import {
  type CopyOptions,
  type DeleteOutcome,
  type GetOptions,
  type ListEntry,
  type ListOptions,
  type ObjectInfo,
  ObjectStore,
  type PresignedUrl,
  type PresignOptions,
  type PutOptions
} from "../ObjectStore.js"
import * as Storage from "../Storage.js"
import type { StorageOverrides } from "../StorageConfig.js"
import { type CallOptions, serviceRuntime } from "./runtime.js"

/** Which store: the same settings as `Storage.layerConfig`; whatever is left out comes from the environment. */
export type StorageServiceSettings = StorageOverrides

/** What `uploadFile` accepts: bytes, a Node stream or any async iterable of bytes, or a local file by path. */
export type UploadBody = Uint8Array | AsyncIterable<Uint8Array> | { readonly path: string }

export interface DownloadedFile {
  readonly info: ObjectInfo
  /** Present when a range was requested: the bytes served (inclusive) and the object's full size. */
  readonly range: { readonly start: number; readonly end: number; readonly size: number } | undefined
  /** The bytes, as a Node stream (also an async iterable). Read it or destroy it: it holds a connection or a file. */
  readonly body: Readable
}

export interface ListFilesOptions extends Omit<ListOptions, "prefix">, CallOptions {}

export interface StorageService extends AsyncDisposable {
  readonly uploadFile: (key: string, body: UploadBody, options?: PutOptions & CallOptions) => Promise<ObjectInfo>
  readonly downloadFile: (key: string, options?: GetOptions & CallOptions) => Promise<DownloadedFile>
  /** The whole object in memory: for small files (manifests, JSON). */
  readonly readFile: (key: string, options?: CallOptions) => Promise<Uint8Array>
  readonly getFileInfo: (key: string, options?: CallOptions) => Promise<ObjectInfo>
  readonly fileExists: (key: string, options?: CallOptions) => Promise<boolean>
  readonly deleteFile: (key: string, options?: CallOptions) => Promise<void>
  /** One outcome per key, in input order; a missing key counts as deleted. */
  readonly deleteFiles: (keys: ReadonlyArray<string>, options?: CallOptions) => Promise<ReadonlyArray<DeleteOutcome>>
  /** Objects (and, with a delimiter, common prefixes) in UTF-8 key order, fetched page by page as you iterate. */
  readonly listFiles: (prefix?: string, options?: ListFilesOptions) => AsyncIterable<ListEntry>
  readonly copyFile: (from: string, to: string, options?: CopyOptions & CallOptions) => Promise<ObjectInfo>
  readonly getSignedUrl: (key: string, options: PresignOptions & CallOptions) => Promise<PresignedUrl>
  /** Releases connections and files; the object is unusable afterwards. */
  readonly close: () => Promise<void>
}

const isAsyncIterable = (body: unknown): body is AsyncIterable<Uint8Array> =>
  typeof body === "object" && body !== null && Symbol.asyncIterator in body

const putBody = (body: UploadBody) =>
  body instanceof Uint8Array
    ? body
    : isAsyncIterable(body)
      ? Stream.fromAsyncIterable(body, (cause) => cause)
      : ({ _tag: "File", path: body.path } as const)

export const createStorageService = (settings: StorageServiceSettings = {}): StorageService => {
  const { run, iterate, close } = serviceRuntime(Storage.layerConfig(settings))
  const store = <A, E>(use: (store: ObjectStore["Service"]) => Effect.Effect<A, E>, options?: CallOptions) =>
    run(Effect.flatMap(ObjectStore, use), options)
  return {
    uploadFile: (key, body, options = {}) => store((s) => s.put(key, putBody(body), options), options),
    downloadFile: (key, options = {}) =>
      store(
        (s) =>
          Effect.map(s.get(key, options), (result) => ({
            info: result.info,
            range: result.range,
            body: Readable.from(Stream.toAsyncIterable(result.body), { objectMode: false })
          })),
        options
      ),
    readFile: (key, options) =>
      store(
        (s) =>
          readBody(s, key).pipe(
            Effect.flatMap(Stream.runCollect),
            Effect.map((chunks) => new Uint8Array(Buffer.concat(chunks)))
          ),
        options
      ),
    getFileInfo: (key, options) => store((s) => s.head(key), options),
    fileExists: (key, options) => store((s) => s.exists(key), options),
    deleteFile: (key, options) => store((s) => s.delete(key), options),
    deleteFiles: (keys, options) => store((s) => s.deleteMany(keys), options),
    listFiles: (prefix, options = {}) =>
      iterate(
        Stream.unwrap(Effect.map(ObjectStore, (s) => s.list({ ...options, ...(prefix ? { prefix } : {}) }))),
        options
      ),
    copyFile: (from, to, options = {}) => store((s) => s.copy(from, to, options), options),
    getSignedUrl: (key, options) => store((s) => s.presign(key, options), options),
    close,
    [Symbol.asyncDispose]: close
  }
}
