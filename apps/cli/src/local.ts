/**
 * The local side of a transfer: a file or standard input to upload, a file or standard output
 * to download to. Downloads to a file are atomic: bytes go to a temporary file beside the
 * destination, renamed over it only when complete, so a failed download leaves nothing behind.
 */
import { randomBytes } from "node:crypto"
import { statSync } from "node:fs"
import { basename, dirname, join, resolve, sep } from "node:path"
import { fromFile, type PutBody } from "@localex/storage-core"
import { Effect, FileSystem, type PlatformError, Stdio, Stream } from "effect"
import { LocalFileChanged, LocalFileError } from "./failure.js"
import { imageProcessing } from "./lazy.js"

export interface Source {
  readonly body: PutBody
  /** Bytes, when known (a file); undefined for standard input. */
  readonly size: number | undefined
  /** From the file name (the `mime` database); undefined for standard input or an unknown extension. */
  readonly contentType: string | undefined
}

const reason = (error: PlatformError.PlatformError): string => {
  const tag = error.reason._tag
  if (tag === "NotFound") return "no such file or directory"
  if (tag === "PermissionDenied") return "permission denied"
  return error.reason.description ?? error.message
}

/** `-` is standard input; anything else a local file (which must exist and be a file). */
export const readSource = Effect.fnUntraced(function* (source: string) {
  if (source === "-") {
    const stdio = yield* Stdio.Stdio
    return { body: stdio.stdin, size: undefined, contentType: undefined } satisfies Source
  }
  const fs = yield* FileSystem.FileSystem
  const info = yield* fs
    .stat(source)
    .pipe(Effect.mapError((error) => new LocalFileError({ path: source, operation: "read", reason: reason(error) })))
  if (info.type !== "File") {
    return yield* new LocalFileError({ path: source, operation: "read", reason: "not a regular file" })
  }
  return {
    body: fromFile(resolve(source)),
    size: Number(info.size),
    contentType: yield* contentTypeOf(source)
  } satisfies Source
})

/**
 * The bytes of an image file, at most `limit` of them (IMAGE_MAX_INPUT_BYTES): the size is
 * checked before anything is read, so a file that is too big is refused unread.
 */
export const readImageFile = Effect.fnUntraced(function* (path: string, limit: number) {
  const fs = yield* FileSystem.FileSystem
  const failed = (error: PlatformError.PlatformError) =>
    new LocalFileError({ path, operation: "read", reason: reason(error) })
  const info = yield* fs.stat(path).pipe(Effect.mapError(failed))
  if (info.type !== "File") return yield* new LocalFileError({ path, operation: "read", reason: "not a regular file" })
  if (Number(info.size) > limit) {
    const { ImageTooLarge } = yield* imageProcessing
    return yield* new ImageTooLarge({ bytes: Number(info.size), limit })
  }
  return yield* fs.readFile(path).pipe(Effect.mapError(failed))
})

/**
 * Writes `body` to `destination` (`-` is standard output). Like `aws s3 cp`: an existing folder,
 * or a path ending in "/", receives the key's last segment, and missing parent folders are
 * created. Returns the absolute path written, or undefined for standard output.
 */
export const writeDestination = Effect.fnUntraced(function* <E, R>(
  destination: string,
  key: string,
  body: Stream.Stream<Uint8Array, E, R>
) {
  if (destination === "-") {
    const stdio = yield* Stdio.Stdio
    yield* Stream.run(body, stdio.stdout())
    return undefined
  }
  const fs = yield* FileSystem.FileSystem
  const failed = (path: string) => (error: PlatformError.PlatformError) =>
    new LocalFileError({ path, operation: "write", reason: reason(error) })
  const isFolder =
    destination.endsWith("/") ||
    destination.endsWith(sep) ||
    (yield* fs.stat(destination).pipe(
      Effect.map((info) => info.type === "Directory"),
      Effect.orElseSucceed(() => false)
    ))
  const path = resolve(isFolder ? join(destination, basename(key)) : destination)
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    return yield* new LocalFileError({
      path,
      operation: "write",
      reason: "it is a folder: give a file name, or a folder to write the object into"
    })
  }
  yield* fs.makeDirectory(dirname(path), { recursive: true }).pipe(Effect.mapError(failed(dirname(path))))
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.partial`)
  yield* Stream.run(body, fs.sink(temporary)).pipe(
    Effect.mapError((error) => (isPlatformError(error) ? failed(path)(error) : error)),
    Effect.andThen(fs.rename(temporary, path).pipe(Effect.mapError(failed(path)))),
    Effect.onError(() => fs.remove(temporary, { force: true }).pipe(Effect.ignore))
  )
  return path
})

const isPlatformError = (u: unknown): u is PlatformError.PlatformError =>
  typeof u === "object" && u !== null && "_tag" in u && u._tag === "PlatformError"

/**
 * The Content-Type for a file name, as `aws s3 cp` guesses it; undefined (the store's default) when
 * unknown. The `mime` database is loaded on first use: only uploads of a file need it.
 */
export const contentTypeOf = (path: string): Effect.Effect<string | undefined> =>
  Effect.promise(() => import("mime")).pipe(Effect.map((mime) => mime.default.getType(path) ?? undefined))

/**
 * An upload of the local file `path` (`size` bytes when it was opened): if the file's size has
 * changed by the time the upload ends or fails, that, not the network, is what went wrong.
 */
export const unlessChanged =
  (path: string, size: number | undefined) =>
  <A, E, R>(upload: Effect.Effect<A, E, R>): Effect.Effect<A, E | LocalFileChanged, R> => {
    if (path === "-" || size === undefined) return upload
    const changed = Effect.suspend(() => {
      const now = statSync(path, { throwIfNoEntry: false })?.size ?? 0
      return now === size ? Effect.void : Effect.fail(new LocalFileChanged({ path, before: size, after: now }))
    })
    return upload.pipe(
      Effect.catch((error) => Effect.andThen(changed, Effect.fail(error))),
      Effect.tap(() => changed)
    )
  }
