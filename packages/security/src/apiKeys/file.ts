/**
 * Reading and writing the key file. A write is conditional: it takes a lock file (`<file>.lock`,
 * created exclusively), checks the file still has the bytes it was read with (SHA-256 of the
 * content), writes a temp file beside it (mode 0600, fsynced) and renames it over the file. Two
 * rotations at once therefore cannot lose a key: the second one fails with KeyFileChanged.
 */
import { createHash, randomBytes } from "node:crypto"
import { open, readFile, rename, unlink } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { Effect } from "effect"
import { KeyFileBusy, KeyFileChanged, type KeyFileInvalid, KeyFileUnreadable } from "./errors.js"
import { emptyKeyFile, formatKeyFile, type KeyFile, type ParseOptions, parseKeyFile } from "./model.js"

export interface LoadedKeyFile {
  readonly path: string
  readonly file: KeyFile
  /** SHA-256 of the bytes read; undefined when the file did not exist (a write then requires it still does not). */
  readonly digest: string | undefined
}

const digestOf = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex")

const reasonOf = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === "ENOENT") return "no such file (create one with `localex-storage keys add`)"
  if (code === "EACCES" || code === "EPERM") return "permission denied"
  return error instanceof Error ? error.message : String(error)
}

/** The file's bytes, or undefined when there is none. */
const readBytes = (path: string) =>
  Effect.tryPromise({
    try: () =>
      readFile(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined
        throw error
      }),
    catch: (error) => new KeyFileUnreadable({ path, operation: "read", reason: reasonOf(error) })
  })

/** Reads and parses the key file; with `missingIsEmpty`, a file that does not exist reads as no keys. */
export const readKeyFile = (
  path: string,
  options: ParseOptions & { readonly missingIsEmpty?: boolean } = {}
): Effect.Effect<LoadedKeyFile, KeyFileUnreadable | KeyFileInvalid> =>
  Effect.gen(function* () {
    const bytes = yield* readBytes(path)
    if (bytes === undefined) {
      if (options.missingIsEmpty === true) return { path, file: emptyKeyFile, digest: undefined }
      return yield* new KeyFileUnreadable({ path, operation: "read", reason: reasonOf({ code: "ENOENT" }) })
    }
    const file = yield* parseKeyFile(bytes.toString("utf8"), path, options)
    return { path, file, digest: digestOf(bytes) }
  })

const writeError = (path: string) => (error: unknown) =>
  new KeyFileUnreadable({ path, operation: "write", reason: reasonOf(error) })

/** Holds `<path>.lock` while `body` runs. */
const withLock = <A, E>(path: string, body: Effect.Effect<A, E>) => {
  const lock = `${path}.lock`
  return Effect.acquireUseRelease(
    Effect.tryPromise({
      try: () => open(lock, "wx", 0o600).then((handle) => handle.close()),
      catch: (error) =>
        (error as NodeJS.ErrnoException).code === "EEXIST" ? new KeyFileBusy({ path, lock }) : writeError(path)(error)
    }),
    () => body,
    () => Effect.promise(() => unlink(lock).catch(() => undefined))
  )
}

/** Writes `next` over `loaded.path` if the file is still as it was read; otherwise KeyFileChanged and nothing written. */
export const writeKeyFile = (
  loaded: LoadedKeyFile,
  next: KeyFile
): Effect.Effect<void, KeyFileChanged | KeyFileBusy | KeyFileUnreadable> => {
  const path = loaded.path
  return withLock(
    path,
    Effect.gen(function* () {
      const current = yield* readBytes(path)
      if ((current === undefined ? undefined : digestOf(current)) !== loaded.digest)
        return yield* new KeyFileChanged({ path })
      const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`)
      yield* Effect.tryPromise({
        try: async () => {
          const handle = await open(temp, "wx", 0o600)
          try {
            await handle.writeFile(formatKeyFile(next), "utf8")
            await handle.sync()
          } finally {
            await handle.close()
          }
          await rename(temp, path)
          // The rename itself is durable once the folder is synced.
          const folder = await open(dirname(path), "r")
          await folder.sync().finally(() => folder.close())
        },
        catch: writeError(path)
      }).pipe(Effect.tapError(() => Effect.promise(() => unlink(temp).catch(() => undefined))))
    })
  )
}
