/**
 * A key file kept loaded while a server runs. Changes are noticed two ways: `fs.watch` on the
 * file's folder (so a file atomically replaced by rename, or a symlink swapped by a secret
 * mount, is seen: watching the file itself would follow the old inode), debounced; and a
 * periodic `stat` (inode, size, times) as the fallback for file systems where watching misses
 * events. A change that parses replaces the keys at once; one that does not (bad JSON, a bad key,
 * the file gone) keeps the last good keys and is reported once: a bad edit neither locks every
 * client out nor lets anyone in.
 */
import { createHash } from "node:crypto"
import { type FSWatcher, watch } from "node:fs"
import { readFile, stat } from "node:fs/promises"
import { basename, dirname } from "node:path"
import { Effect, type Scope } from "effect"
import { KeyFileInvalid, KeyFileUnreadable } from "./errors.js"
import { readKeyFile } from "./file.js"
import { decodeKeyFile, type ParseOptions } from "./model.js"
import { fileEntries, type KeyEntry } from "./ring.js"

export type ReloadEvent =
  | { readonly _tag: "Reloaded"; readonly path: string; readonly keys: number }
  /** The file changed to something unusable: the last good keys stay in force. */
  | { readonly _tag: "Rejected"; readonly path: string; readonly error: KeyFileInvalid | KeyFileUnreadable }

export interface WatchOptions extends ParseOptions {
  /** How often the file is stat'ed (the fallback to fs.watch). */
  readonly pollIntervalMs: number
  /** Change events closer together than this are one reload (editors write in several steps). */
  readonly debounceMs?: number
  readonly onReload?: (event: ReloadEvent) => void
  /** false: only the periodic stat (the fallback alone; for file systems without change events). */
  readonly fsWatch?: boolean
}

export interface KeyFileWatch {
  /** The keys in force now. */
  readonly entries: () => ReadonlyArray<KeyEntry>
  /** Looks at the file now (what a change event does after the debounce). */
  readonly check: () => Promise<void>
}

const signature = (s: { ino: number; size: number; mtimeMs: number; ctimeMs: number }) =>
  `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`

const reasonOf = (error: unknown) =>
  (error as NodeJS.ErrnoException).code === "ENOENT"
    ? "the file is gone"
    : error instanceof Error
      ? error.message
      : String(error)

/** Loads `path` (failing if it is missing or malformed: a server must not start on a bad file) and keeps it loaded. */
export const watchKeyFile = (
  path: string,
  options: WatchOptions
): Effect.Effect<KeyFileWatch, KeyFileUnreadable | KeyFileInvalid, Scope.Scope> =>
  Effect.gen(function* () {
    const statFile = Effect.tryPromise({
      try: () => stat(path),
      catch: (error) =>
        new KeyFileUnreadable({
          path,
          operation: "read",
          reason:
            (error as NodeJS.ErrnoException).code === "ENOENT"
              ? "no such file (create one with `localex-storage keys add`)"
              : reasonOf(error)
        })
    })
    // Stat before reading: a change in between is then seen by the first poll.
    const firstSignature = signature(yield* statFile)
    const first = yield* readKeyFile(path, options)
    let entries = fileEntries(first.file)
    let loaded = first.digest
    // What the last check saw (good or bad), so a bad file is reported once, not at every poll.
    let seen: string | undefined = first.digest
    let lastSignature = firstSignature
    let running: Promise<void> | undefined
    let again = false

    const report = (event: ReloadEvent) => options.onReload?.(event)

    const look = async (): Promise<void> => {
      let bytes: Buffer
      try {
        lastSignature = signature(await stat(path))
        bytes = await readFile(path)
      } catch (error) {
        if (seen === "missing") return
        seen = "missing"
        lastSignature = ""
        report({
          _tag: "Rejected",
          path,
          error: new KeyFileUnreadable({ path, operation: "read", reason: reasonOf(error) })
        })
        return
      }
      const digest = createHash("sha256").update(bytes).digest("hex")
      if (digest === seen) return
      seen = digest
      if (digest === loaded) return
      const decoded = decodeKeyFile(bytes.toString("utf8"), path, options)
      if (decoded instanceof KeyFileInvalid) return report({ _tag: "Rejected", path, error: decoded })
      entries = fileEntries(decoded)
      loaded = digest
      report({ _tag: "Reloaded", path, keys: entries.length })
    }

    /** One look at a time; a request during one runs another right after it. */
    const check = (): Promise<void> => {
      if (running !== undefined) {
        again = true
        return running
      }
      running = (async () => {
        do {
          again = false
          await look()
        } while (again)
      })().finally(() => {
        running = undefined
      })
      return running
    }

    const debounceMs = options.debounceMs ?? 100
    let debounce: NodeJS.Timeout | undefined
    const soon = () => {
      clearTimeout(debounce)
      debounce = setTimeout(() => void check(), debounceMs)
      debounce.unref()
    }

    const name = basename(path)
    let watcher: FSWatcher | undefined
    try {
      if (options.fsWatch !== false)
        watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
          // `file` can be null on some platforms; a secret mount swaps a `..data` link, not the file.
          if (file === null || file === name || file.startsWith("..")) soon()
        })
      watcher?.on("error", () => watcher?.close())
    } catch {
      watcher = undefined // the poll still notices changes
    }

    const poll = setInterval(() => {
      stat(path).then(
        (s) => {
          if (signature(s) !== lastSignature) soon()
        },
        () => {
          if (seen !== "missing") soon()
        }
      )
    }, options.pollIntervalMs)
    poll.unref()

    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        watcher?.close()
        clearInterval(poll)
        clearTimeout(debounce)
      })
    )
    return { entries: () => entries, check }
  })
