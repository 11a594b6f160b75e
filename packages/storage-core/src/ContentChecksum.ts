/**
 * The content checksum LocalEx keeps with an object: the hex SHA-256 of its whole bytes in the
 * user metadata `localex-sha256` (`x-amz-meta-localex-sha256` on S3). Unlike an ETag it does not
 * depend on how the object was uploaded (a multipart ETag is not a hash of the content), so two
 * stores can be compared without reading the bytes. Copies keep it (it is metadata).
 *
 * `withChecksums(store)` writes it on every put whose bytes are known before the upload starts —
 * byte arrays, files (of at most `bufferBytes` read first, larger ones hashed by a streamed read
 * before the upload), and streams with a `contentLength` of at most `bufferBytes`, read first —
 * and keeps it on copies that replace the metadata. Stores built from settings (`Storage.layer`,
 * `layerConfig`, `makeStore`) are wrapped with it; the drivers' own layers are not.
 */
import { createHash, type Hash } from "node:crypto"
import { createReadStream } from "node:fs"
import { stat } from "node:fs/promises"
import { pipeline } from "node:stream/promises"
import { Effect, Predicate, Stream } from "effect"
import { putChunks } from "./drivers/fs/bodies.js"
import { TransportError } from "./Errors.js"
import type { CopyOptions, ObjectInfo, ObjectStore, PutBody, PutOptions } from "./ObjectStore.js"

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

/** Hashes bytes as they come; `verify`, after the last of them, fails when they differ from the sum expected. */
export interface Check<E> {
  readonly update: (chunk: Uint8Array) => void
  readonly verify: Effect.Effect<void, E>
}

/** A check against `expected` (hex SHA-256), failing with `onMismatch(actual)`. One per stream run. */
const sha256Check = <E>(expected: string, onMismatch: (actual: string) => E): Check<E> => {
  const hash = createHash("sha256")
  return {
    update: (chunk) => {
      hash.update(chunk)
    },
    verify: Effect.suspend(() => {
      const actual = hash.digest("hex")
      return actual === expected ? Effect.void : Effect.fail(onMismatch(actual))
    })
  }
}

/** `stream` unchanged, the bytes of each element (`bytesOf`) through `check`, whose verdict comes after its end. */
export const checked = <A, E, R, E2>(
  stream: Stream.Stream<A, E, R>,
  check: Check<E2>,
  bytesOf: (element: A) => Uint8Array
): Stream.Stream<A, E | E2, R> =>
  stream.pipe(
    Stream.tap((element) => Effect.sync(() => check.update(bytesOf(element)))),
    Stream.concat(Stream.drain(Stream.fromEffect(check.verify)))
  )

/**
 * The stream unchanged, failing at its end with `onMismatch` when its bytes do not hash to
 * `expected`: a write fed by it stores nothing then (a failed put leaves nothing behind).
 */
export const verifying = <E, R, E2>(
  body: Stream.Stream<Uint8Array, E, R>,
  expected: string,
  onMismatch: (actual: string) => E2
): Stream.Stream<Uint8Array, E | E2, R> =>
  Stream.suspend(() => checked(body, sha256Check(expected, onMismatch), (chunk) => chunk))

/** A put whose bytes do not hash to the `localex-sha256` it carries: it fails, storing nothing. */
export const mismatch = (key: string, expected: string, actual: string): TransportError =>
  new TransportError({
    operation: "put",
    detail: `the bytes of "${key}" do not match its ${METADATA_NAME} metadata (${expected} given, ${actual} computed): nothing was stored`
  })

/** Checks a put's bytes, chunk by chunk, against the well-formed `localex-sha256` of its metadata. */
export type PutCheck = Check<TransportError>

const NO_CHECK: PutCheck = { update: () => {}, verify: Effect.void }

/**
 * The check of a put with these metadata: every driver refuses bytes that contradict the checksum
 * they would be stored with (S3 itself does for a single PutObject, whose payload hash it is).
 * Without a well-formed checksum, nothing is checked. One per put.
 */
export const putCheck = (key: string, metadata: Readonly<Record<string, string>> | undefined): PutCheck => {
  const expected = metadata === undefined ? undefined : of({ metadata })
  return expected === undefined ? NO_CHECK : sha256Check(expected, (actual) => mismatch(key, expected, actual))
}

const concat = (chunks: ReadonlyArray<Uint8Array>) => {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

const isFile = (body: PutBody): body is { readonly _tag: "File"; readonly path: string } =>
  !(body instanceof Uint8Array) && Predicate.hasProperty(body, "_tag") && body._tag === "File"

export interface ChecksumOptions {
  /** Files and streams of a known length up to this many bytes are read whole first. Default 5 MiB. */
  readonly bufferBytes?: number
}

const readError = (path: string) => (cause: unknown) =>
  new TransportError({ operation: "put", detail: `cannot read ${path}: ${String(cause)}`, cause })

const statFile = (path: string) => Effect.tryPromise({ try: () => stat(path), catch: readError(path) })

/** Hex SHA-256 of a file, read in 1 MiB chunks (never whole). */
const hashFile = (path: string) =>
  Effect.tryPromise({
    try: async (signal) => {
      const hash = createHash("sha256")
      await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), hash, { signal })
      return hash.digest("hex")
    },
    catch: readError(path)
  })

/** The store, writing `localex-sha256` on every put whose bytes it can know before uploading. */
export const withChecksums = (store: ObjectStore["Service"], options: ChecksumOptions = {}): ObjectStore["Service"] => {
  const bufferBytes = options.bufferBytes ?? 5 * 1024 * 1024
  const withSum = (putOptions: PutOptions, sum: string): PutOptions => ({
    ...putOptions,
    metadata: { ...putOptions.metadata, [METADATA_NAME]: sum }
  })
  /**
   * A file too large to hold is hashed by a first streamed read, then uploaded as it is with the
   * sum. If it changed meanwhile (size or mtime differ after the upload) the stored object would
   * carry a wrong checksum: it is removed and the put fails.
   */
  const putLargeFile = (key: string, file: { readonly _tag: "File"; readonly path: string }, putOptions: PutOptions) =>
    Effect.gen(function* () {
      const path = file.path
      const before = yield* statFile(path)
      const sum = yield* hashFile(path)
      const info = yield* store.put(key, file, withSum(putOptions, sum))
      const after = yield* statFile(path)
      if (after.size === before.size && after.mtimeMs === before.mtimeMs) return info
      yield* Effect.ignore(store.delete(key))
      return yield* new TransportError({
        operation: "put",
        detail: `${path} changed while "${key}" was being uploaded: the object was removed; upload it again`
      })
    })

  const put: ObjectStore["Service"]["put"] = (key, body, putOptions = {}) => {
    if (putOptions.metadata?.[METADATA_NAME] !== undefined) return store.put(key, body, putOptions)
    if (body instanceof Uint8Array) return store.put(key, body, withSum(putOptions, sha256Hex(body)))
    if (isFile(body)) {
      return Effect.gen(function* () {
        const { size } = yield* statFile(body.path)
        if (size > bufferBytes) return yield* putLargeFile(key, body, putOptions)
        const bytes = concat(yield* Stream.runCollect(putChunks(key, body)))
        return yield* store.put(key, bytes, withSum(putOptions, sha256Hex(bytes)))
      })
    }
    const length = putOptions.contentLength
    if (length === undefined || length > bufferBytes) return store.put(key, body, putOptions)
    return Effect.gen(function* () {
      const bytes = concat(yield* Stream.runCollect(putChunks(key, body)))
      // A body longer or shorter than announced is refused by the store, as it would be unbuffered.
      return yield* store.put(key, bytes, withSum(putOptions, sha256Hex(bytes)))
    })
  }

  const copy: ObjectStore["Service"]["copy"] = (from, to, copyOptions: CopyOptions = {}) => {
    const replace = copyOptions.replace
    if (replace === undefined || replace.metadata?.[METADATA_NAME] !== undefined)
      return store.copy(from, to, copyOptions)
    return Effect.flatMap(store.head(from), (info) => {
      const sum = of(info)
      return store.copy(
        from,
        to,
        sum === undefined
          ? copyOptions
          : { ...copyOptions, replace: { ...replace, metadata: { ...replace.metadata, [METADATA_NAME]: sum } } }
      )
    })
  }

  return { ...store, put, copy }
}
