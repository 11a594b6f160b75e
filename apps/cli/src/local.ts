/**
 * The local side of a transfer: a file or standard input to upload, a file or standard output
 * to download to. Downloads to a file are atomic: bytes go to a temporary file beside the
 * destination, renamed over it only when complete, so a failed download leaves nothing behind.
 */
import { randomBytes } from "node:crypto"
import { basename, dirname, join, resolve } from "node:path"
import { ImageTooLarge } from "@localex/image-processing"
import { fromFile, type PutBody } from "@localex/storage-core"
import { Effect, FileSystem, type PlatformError, Stdio, Stream } from "effect"
import { LocalFileError } from "./failure.js"

export interface Source {
  readonly body: PutBody
  /** Bytes, when known (a file); undefined for standard input. */
  readonly size: number | undefined
  /** Guessed from the file extension. */
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
    contentType: contentTypeOf(source)
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
  if (Number(info.size) > limit) return yield* new ImageTooLarge({ bytes: Number(info.size), limit })
  return yield* fs.readFile(path).pipe(Effect.mapError(failed))
})

/**
 * Writes `body` to `destination` (`-` is standard output; an existing folder receives the key's
 * last segment). Returns the absolute path written, or undefined for standard output.
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
  const isFolder = yield* fs.stat(destination).pipe(
    Effect.map((info) => info.type === "Directory"),
    Effect.orElseSucceed(() => false)
  )
  const path = resolve(isFolder ? join(destination, basename(key)) : destination)
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

const TYPES: Record<string, string> = {
  avif: "image/avif",
  gif: "image/gif",
  jpeg: "image/jpeg",
  jpg: "image/jpeg",
  png: "image/png",
  svg: "image/svg+xml",
  webp: "image/webp",
  css: "text/css",
  csv: "text/csv",
  html: "text/html",
  txt: "text/plain",
  js: "text/javascript",
  json: "application/json",
  pdf: "application/pdf",
  gz: "application/gzip",
  zip: "application/zip"
}

/** A Content-Type for common extensions; undefined lets the store choose. */
export const contentTypeOf = (path: string): string | undefined => {
  const dot = path.lastIndexOf(".")
  return dot < 0 ? undefined : TYPES[path.slice(dot + 1).toLowerCase()]
}
