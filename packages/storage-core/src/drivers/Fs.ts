/**
 * The `fs` driver: objects in a local folder, the embedded default. A real driver: atomic
 * writes (temp file, then rename), metadata in the same file as the bytes, keys that cannot
 * leave the root, streaming both ways, conditional writes under a per-key lock, listings in
 * S3's order. The layout is described in the package README ("The fs layout").
 */
import { createHash, randomUUID } from "node:crypto"
import { closeSync, constants, fstatSync, open, read } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { promisify } from "node:util"
import { Clock, Effect, Layer, Predicate, Stream } from "effect"
import { type BucketAdmin, fsBucketAdmin } from "../BucketAdmin.js"
import * as ContentChecksum from "../ContentChecksum.js"
import {
  type AccessDenied,
  InvalidKey,
  ObjectNotFound,
  ObjectTooLarge,
  PreconditionFailed,
  type StorageConfigError,
  TransportError
} from "../Errors.js"
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
  type CopyOptions,
  type DeleteOutcome,
  type DownloadOptions,
  type GetOptions,
  type ObjectInfo,
  ObjectStore,
  type PresignOptions,
  type PutBody,
  type PutOptions
} from "../ObjectStore.js"
import * as SignedUrl from "../SignedUrl.js"
import type { FsOptions } from "../StorageConfig.js"
import { putChunks, readRange } from "./fs/bodies.js"
import { errno, io, isMissing, quietly, storeError } from "./fs/io.js"
import * as FsList from "./fs/list.js"
import * as FsLock from "./fs/lock.js"
import { CorruptObjectFile, metaOfFile, readMeta, type StoredMeta, trailer, writeAll } from "./fs/objectFile.js"
import { objectPath } from "./fs/paths.js"
import { internalDir, prepareRoot, signingSecret } from "./fs/root.js"

type StoreFailure = AccessDenied | TransportError

const openFd = promisify(open)
const readFd = promisify(read)
/** Closing a descriptor opened for reading does no I/O: done in place, it saves the thread pool a round trip. */
const closeQuietly = (fd: number) => {
  try {
    closeSync(fd)
  } catch {
    // Nothing the caller could act on.
  }
}

const DELETE_CONCURRENCY = 16

export { signingSecret }

/** The fs ObjectStore, and a BucketAdmin that says a folder has no bucket configuration. */
export const makeServices = (options: FsOptions): Effect.Effect<StorageServices, StorageConfigError> =>
  Effect.map(make(options), (store) => ({ store, admin: fsBucketAdmin(store.location) }))

export const layer = (options: FsOptions): Layer.Layer<ObjectStore | BucketAdmin, StorageConfigError> =>
  Layer.effectContext(Effect.map(makeServices(options), storageContext))

const toInfo = (meta: StoredMeta, size: number): ObjectInfo => ({
  key: meta.key,
  size,
  etag: meta.etag,
  lastModified: new Date(meta.lastModified),
  // Files written before the default existed have none.
  contentType: meta.contentType ?? DEFAULT_CONTENT_TYPE,
  cacheControl: meta.cacheControl,
  contentDisposition: meta.contentDisposition,
  metadata: meta.metadata,
  storageClass: DEFAULT_STORAGE_CLASS,
  versionId: undefined
})

/** The content headers and user metadata as stored: `metadata` as checkMetadata normalised it, S3's default type. */
const describedBy = (
  options: Pick<PutOptions, "contentType" | "cacheControl" | "contentDisposition">,
  metadata: Record<string, string>
) => ({
  contentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
  ...(options.cacheControl === undefined ? {} : { cacheControl: options.cacheControl }),
  ...(options.contentDisposition === undefined ? {} : { contentDisposition: options.contentDisposition }),
  metadata
})

/** The info of an object file's metadata, which must be `key`'s. */
const infoOf = ({ meta, size }: { readonly meta: StoredMeta; readonly size: number }, key: string): ObjectInfo => {
  if (meta.key !== key) throw new CorruptObjectFile(`it holds "${meta.key}" (moved by hand?)`)
  return toInfo(meta, size)
}

/** Opens an object file and reads its info; the handle pins this version even if a writer replaces it. */
const openFile = async (file: string, key: string): Promise<OpenObject> => {
  const handle = await fs.open(file, "r")
  try {
    const { size } = await handle.stat()
    return { handle, info: infoOf(await readMeta(handle, size), key) }
  } catch (error) {
    await handle.close()
    throw error
  }
}

/**
 * An object file's info, read with the descriptor API: its calls cost less than FileHandle's
 * (as in openForReading), and a head loads no node:fs/promises, which a short-lived process
 * (the CLI's `object stat`) would otherwise pay ~2 ms to start.
 */
const readFileInfo = async (file: string, key: string): Promise<ObjectInfo> => {
  const fd = await openFd(file, "r")
  try {
    return infoOf(await readMeta(fdReader(fd), fstatSync(fd).size), key)
  } finally {
    closeQuietly(fd)
  }
}

/** An object opened for reading: its content is bytes 0 to `info.size - 1` of `handle`. */
export interface OpenObject {
  readonly info: ObjectInfo
  readonly handle: fs.FileHandle
}

/** An object read whole (its file is closed again). */
export interface ReadObject {
  readonly info: ObjectInfo
  readonly content: Buffer
}

/**
 * An object left open, its first bytes already read: content bytes `head.length` to
 * `info.size - 1` are still to be read from `fd`, which the caller must close exactly once.
 */
export interface StartedObject {
  readonly info: ObjectInfo
  readonly head: Buffer
  readonly fd: number
}

/**
 * For a server's download hot path: what `get` opens, as a Promise, without the Effect runtime
 * (whose per-call cost is several times that of the file operations). `root` is the store's
 * folder. The first bytes of the file are read with one read into `buffer` (the caller's, so a
 * server can reuse its buffers: a fresh one per request is external memory that sets off V8's
 * full collections), or into a new one of `readWholeUpTo` bytes. An object whose file (content
 * and metadata) is shorter than that is read whole, in three file operations where `get` takes
 * five (`content`); a larger one is left open for the caller to read on and close (`fd`), the
 * bytes of that read kept (`head`) rather than read twice. With a caller's `buffer`, `content`
 * and `head` are views of it; otherwise `content` is a copy, so the read buffer is not kept while
 * it is sent. Undefined when `key` is not a valid key; rejects on any other failure (a missing
 * object included, the file closed again): the caller then asks `ObjectStore.get`, which says
 * what went wrong as a typed error.
 */
export const openForReading = async (
  root: string,
  key: string,
  options: { readonly readWholeUpTo?: number; readonly buffer?: Buffer } = {}
): Promise<StartedObject | ReadObject | undefined> => {
  const file = Keys.isKey(key) ? objectPath(path.resolve(root), key) : undefined
  if (file === undefined) return undefined
  const buffer = options.buffer ?? Buffer.allocUnsafe(options.readWholeUpTo ?? 0)
  const upTo = buffer.length
  // The callback API: its calls cost less than FileHandle's, and three of them serve a small object.
  const fd = await openFd(file, "r")
  let bytesRead = 0
  try {
    if (upTo > 0) bytesRead = (await readFd(fd, buffer, 0, upTo, 0)).bytesRead
  } catch (error) {
    closeQuietly(fd)
    throw error
  }
  // A short read of a regular file is its end: the whole file is in `buffer`.
  if (bytesRead < upTo) {
    closeQuietly(fd)
    const info = infoOf(metaOfFile(buffer.subarray(0, bytesRead)), key)
    if (options.buffer !== undefined) return { info, content: buffer.subarray(0, info.size) }
    const content = Buffer.allocUnsafe(info.size)
    buffer.copy(content, 0, 0, info.size)
    return { info, content }
  }
  try {
    // The descriptor pins this version: its size and metadata are those of the bytes in `buffer`
    // (fstat of an open descriptor does no I/O either).
    const { size } = fstatSync(fd)
    const info = infoOf(await readMeta(fdReader(fd), size), key)
    return { info, head: buffer.subarray(0, Math.min(bytesRead, info.size)), fd }
  } catch (error) {
    closeQuietly(fd)
    throw error
  }
}

/** readMeta's reads on a plain descriptor. */
const fdReader = (fd: number) => ({
  read: (buffer: Uint8Array, offset: number, length: number, position: number) =>
    readFd(fd, buffer, offset, length, position)
})

export const make = Effect.fnUntraced(function* (options: FsOptions) {
  const root = path.resolve(options.root)
  const internal = internalDir(root)
  const tempDir = path.join(internal, "tmp")
  yield* prepareRoot(root, internal)
  const secret = yield* signingSecret(options)
  const publicUrl = options.publicUrl.replace(/\/+$/, "")
  const locks = FsLock.make(path.join(internal, "locks"))

  /** The object file of a key, after validating it (before any I/O). */
  const locate = (key: string) =>
    Effect.flatMap(Keys.make(key), (valid) => {
      const file = objectPath(root, valid)
      return file === undefined
        ? Effect.fail(new InvalidKey({ key, reason: "it resolves outside the store's root" }))
        : Effect.succeed(file)
    })

  const readFailure = (operation: string, key: string) => (error: unknown) =>
    isMissing(error) ? new ObjectNotFound({ key }) : storeError(operation, key)(error)

  /** Opens an object for reading: the handle pins this version even if a writer replaces it. */
  const open = (operation: string, key: string, file: string) =>
    Effect.tryPromise({ try: () => openFile(file, key), catch: readFailure(operation, key) }).pipe(
      Effect.uninterruptible
    )

  /** An object's info (the file is closed again whatever happens, interrupted or not). */
  const readInfo = (operation: string, key: string, file: string) =>
    Effect.tryPromise({ try: () => readFileInfo(file, key), catch: readFailure(operation, key) })

  /** A temp file in the root's filesystem, removed when the scope closes unless renamed into place. */
  const tempFile = (prefix: string) =>
    Effect.acquireRelease(
      Effect.sync(() => ({ path: path.join(tempDir, `${prefix}-${process.pid}-${randomUUID()}`), renamed: false })),
      (temp) => (temp.renamed ? Effect.void : quietly(() => fs.rm(temp.path, { force: true })))
    )

  /** Puts a finished temp file in place under the key's lock, checking the write's condition first. */
  const commit = (
    operation: string,
    key: string,
    file: string,
    temp: { readonly path: string; renamed: boolean },
    condition: { readonly ifNoneMatch?: "*" | undefined; readonly ifMatch?: string | undefined }
  ) =>
    locks
      .withLock(
        key,
        Effect.gen(function* () {
          if (condition.ifMatch !== undefined) {
            const current = yield* readInfo(operation, key, file).pipe(
              Effect.map((info) => info.etag),
              Effect.catchTag("ObjectNotFound", () => Effect.succeed(undefined))
            )
            // "*" matches any existing object, as in HTTP.
            const wanted = bareEtag(condition.ifMatch)
            if (current === undefined || (wanted !== "*" && current !== wanted)) {
              return yield* new PreconditionFailed({ key, condition: `If-Match: "${bareEtag(condition.ifMatch)}"` })
            }
          }
          const createOnly = condition.ifNoneMatch === "*"
          const placed = yield* io(operation, key, async () => {
            // The folder is made only when missing; a delete may prune it again before the rename.
            for (let attempt = 1; ; attempt++) {
              try {
                // link() fails if the key exists, so two creators cannot both win.
                if (createOnly) await fs.link(temp.path, file)
                else await fs.rename(temp.path, file)
                temp.renamed = !createOnly
                return true
              } catch (error) {
                if (createOnly && errno(error) === "EEXIST") return false
                if (!isMissing(error) || attempt === 5) throw error
              }
              await fs.mkdir(path.dirname(file), { recursive: true })
            }
          })
          if (!placed) return yield* new PreconditionFailed({ key, condition: "If-None-Match: *" })
        })
      )
      .pipe(Effect.uninterruptible)

  const put = Effect.fn("ObjectStore.put")(function* (key: string, body: PutBody, options: PutOptions = {}) {
    const file = yield* locate(key)
    const metadata = yield* checkWrite(key, options)
    const total =
      body instanceof Uint8Array
        ? body.length
        : Predicate.hasProperty(body, "_tag") && body._tag === "File"
          ? (yield* io("put", key, () => fs.stat(body.path))).size
          : options.contentLength
    const limit = options.maxBytes
    if (limit !== undefined && total !== undefined && total > limit) {
      return yield* new ObjectTooLarge({ key, size: total, limit })
    }
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const temp = yield* tempFile("put")
        const handle = yield* Effect.acquireRelease(
          io("put", key, () => fs.open(temp.path, "wx")),
          (handle) => quietly(() => handle.close())
        )
        const md5 = createHash("md5")
        const check = ContentChecksum.putCheck(key, metadata)
        let loaded = 0
        yield* Stream.runForEach(putChunks(key, body), (chunk): Effect.Effect<void, StoreFailure | ObjectTooLarge> => {
          loaded += chunk.length
          if (limit !== undefined && loaded > limit)
            return Effect.fail(new ObjectTooLarge({ key, size: loaded, limit }))
          md5.update(chunk)
          check.update(chunk)
          return io("put", key, () => writeAll(handle, chunk)).pipe(
            Effect.tap(() => Effect.sync(() => options.onProgress?.({ key, loaded, total })))
          )
        })
        if (options.contentLength !== undefined && loaded !== options.contentLength) {
          return yield* new TransportError({
            operation: "put",
            detail: `the body of "${key}" had ${loaded} bytes, but contentLength said ${options.contentLength}`
          })
        }
        yield* check.verify
        const meta: StoredMeta = {
          key,
          etag: md5.digest("hex"),
          lastModified: Math.floor((yield* Clock.currentTimeMillis) / 1000) * 1000,
          ...describedBy(options, metadata),
          tags: { ...options.tags }
        }
        yield* io("put", key, async () => {
          await writeAll(handle, trailer(meta))
          await handle.datasync()
        })
        yield* commit("put", key, file, temp, options)
        return toInfo(meta, loaded)
      })
    )
  })

  const get = Effect.fn("ObjectStore.get")(function* (key: string, options: GetOptions = {}) {
    const file = yield* locate(key)
    // Uninterruptible until the body stream owns the handle, so the handle cannot leak.
    return yield* Effect.uninterruptible(
      Effect.gen(function* () {
        const { handle, info } = yield* open("get", key, file)
        const close = quietly(() => handle.close())
        const served = yield* servedBytes(info, options).pipe(Effect.onError(() => close))
        return { info, body: readRange(handle, key, served.start, served.end, options.onProgress), range: served.range }
      })
    )
  })

  const head = Effect.fn("ObjectStore.head")(function* (key: string) {
    const file = yield* locate(key)
    return yield* readInfo("head", key, file)
  })

  const exists = Effect.fn("ObjectStore.exists")(function* (key: string) {
    return yield* head(key).pipe(
      Effect.as(true),
      Effect.catchTag("ObjectNotFound", () => Effect.succeed(false))
    )
  })

  const copy = Effect.fn("ObjectStore.copy")(function* (from: string, to: string, options: CopyOptions = {}) {
    const source = yield* locate(from)
    const target = yield* locate(to)
    yield* checkCopy(from, to, options.replace)
    const replaced = options.replace === undefined ? undefined : yield* checkMetadata(to, options.replace.metadata)
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const temp = yield* tempFile("copy")
        // One open of the source: a consistent version even while a writer replaces it. Reflinks where supported.
        yield* Effect.tryPromise({
          try: () => fs.copyFile(source, temp.path, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE),
          catch: (error) => (isMissing(error) ? new ObjectNotFound({ key: from }) : storeError("copy", from)(error))
        })
        const lastModified = Math.floor((yield* Clock.currentTimeMillis) / 1000) * 1000
        const info = yield* io("copy", to, async () => {
          const handle = await fs.open(temp.path, "r+")
          try {
            const { meta, size } = await readMeta(handle, (await handle.stat()).size)
            // Like S3's MetadataDirective: COPY keeps every header, REPLACE keeps only what is given.
            const next: StoredMeta =
              options.replace === undefined || replaced === undefined
                ? { ...meta, key: to, lastModified }
                : { key: to, etag: meta.etag, lastModified, ...describedBy(options.replace, replaced), tags: meta.tags }
            await handle.truncate(size)
            await writeAll(handle, trailer(next), size)
            await handle.datasync()
            return toInfo(next, size)
          } finally {
            await handle.close()
          }
        })
        yield* commit("copy", to, target, temp, options)
        return info
      })
    )
  })

  /** Removes now-empty directories from `dir` up to (not including) the root. */
  const prune = async (dir: string) => {
    for (let current = dir; current.startsWith(root + path.sep); current = path.dirname(current)) {
      try {
        await fs.rmdir(current)
      } catch {
        return // not empty, or already gone
      }
    }
  }

  const remove = (key: string, file: string) =>
    locks
      .withLock(
        key,
        io("delete", key, async () => {
          try {
            await fs.unlink(file)
          } catch (error) {
            if (isMissing(error)) return
            throw error
          }
          await prune(path.dirname(file))
        })
      )
      .pipe(Effect.uninterruptible)

  const del = Effect.fn("ObjectStore.delete")(function* (key: string) {
    const file = yield* locate(key)
    yield* remove(key, file)
  })

  const deleteMany = Effect.fn("ObjectStore.deleteMany")(function* (keys: ReadonlyArray<string>) {
    // Every key is checked before anything is deleted.
    const files = yield* Effect.forEach(keys, locate)
    return yield* Effect.forEach(
      keys,
      (key, i) =>
        remove(key, files[i]!).pipe(
          Effect.match({
            onSuccess: (): DeleteOutcome => ({ key, deleted: true }),
            onFailure: (error): DeleteOutcome => ({ key, deleted: false, code: error._tag, message: error.message })
          })
        ),
      { concurrency: DELETE_CONCURRENCY }
    )
  })

  const presign = Effect.fn("ObjectStore.presign")(function* (key: string, options: PresignOptions) {
    yield* locate(key)
    const now = yield* Clock.currentTimeMillis
    return SignedUrl.presign({ secret, publicUrl, key, options, now })
  })

  return ObjectStore.of({
    driver: "fs",
    location: pathToFileURL(root).href,
    put,
    download: (key: string, path: string, options?: DownloadOptions) =>
      saveToFile(key, path, wholeObject(get(key)), options),
    get,
    head,
    exists,
    list: (options = {}) =>
      Stream.unwrap(
        Effect.map(Effect.fromResult(Keys.validatePrefix(options.prefix ?? "")), () => FsList.list(root, options))
      ),
    copy,
    delete: del,
    deleteMany,
    presign
  })
})
