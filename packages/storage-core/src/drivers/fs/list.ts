/**
 * Listing for the fs driver: a lazy depth-first walk that yields keys in UTF-8 byte order,
 * as S3 does, holding only the sorted entries of the directories on the current path.
 *
 * Within a directory an object `s` sorts by the bytes of `s` and a subdirectory `d` by the
 * bytes of `d/`: every key under `d/` compares with any other entry exactly as `d/` does,
 * so sorting each directory that way and descending in order yields the global order.
 * Directories that hold no wanted key (outside the prefix, before `startAfter`, or inside a
 * common prefix already returned) are skipped without being read.
 */
import type { Dirent } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, Option, Stream } from "effect"
import type { AccessDenied, TransportError } from "../../Errors.js"
import { DEFAULT_STORAGE_CLASS } from "../../internal/objectRules.js"
import type { CommonPrefix, ListEntry, ListOptions, ObjectSummary } from "../../ObjectStore.js"
import { startsWith } from "./bytes.js"
import { ioOrMissing, isMissing } from "./io.js"
import { CorruptObjectFile, readMeta } from "./objectFile.js"
import { decodeName, encodeSegment, isHashed, OBJECT_SUFFIX, prefixDirectory } from "./paths.js"

interface Entry {
  readonly path: string
  readonly kind: "object" | "dir"
  /** An object's key, or a directory's key prefix (ending in "/"), as UTF-8 bytes. */
  readonly bytes: Buffer
}

interface Frame {
  readonly entries: ReadonlyArray<Entry>
  next: number
}

const SLASH = Buffer.from("/")
const READ_CONCURRENCY = 16

/**
 * An object file's metadata and content size; undefined when it vanished meanwhile, or when
 * it is not an object file (listings skip it; `head` and `get` report it).
 */
export const readSummary = async (
  file: string
): Promise<{ key: string; etag: string; lastModified: number; size: number } | undefined> => {
  try {
    const handle = await fs.open(file, "r")
    try {
      const { meta, size } = await readMeta(handle, (await handle.stat()).size)
      return { key: meta.key, etag: meta.etag, lastModified: meta.lastModified, size }
    } finally {
      await handle.close()
    }
  } catch (error) {
    if (isMissing(error) || error instanceof CorruptObjectFile) return undefined
    throw error
  }
}

/** The key of some object under `dir` (a hashed directory's name is read from it); undefined when there is none. */
const firstKeyUnder = async (dir: string): Promise<string | undefined> => {
  const dirents = await fs.readdir(dir, { withFileTypes: true }).catch(() => [] as Array<Dirent>)
  for (const dirent of dirents) {
    const full = path.join(dir, dirent.name)
    const key = dirent.isFile()
      ? dirent.name.endsWith(OBJECT_SUFFIX)
        ? (await readSummary(full))?.key
        : undefined
      : dirent.isDirectory()
        ? await firstKeyUnder(full)
        : undefined
    if (key !== undefined) return key
  }
  return undefined
}

/** The segment at `depth` of `key`, if it is the one stored under the hashed `name`. */
const hashedSegment = (name: string, key: string | undefined, depth: number): Buffer | undefined => {
  const segment = key?.split("/")[depth]
  return segment !== undefined && encodeSegment(segment) === name ? Buffer.from(segment, "utf8") : undefined
}

/** The sorted entries of one directory whose keys start with `keyPrefix`. */
const readEntries = async (dir: string, keyPrefix: Buffer): Promise<Array<Entry>> => {
  const dirents = await fs.readdir(dir, { withFileTypes: true })
  const depth = keyPrefix.toString("utf8").split("/").length - 1
  const entries: Array<Entry> = []
  for (const dirent of dirents) {
    const full = path.join(dir, dirent.name)
    if (dirent.isFile() && dirent.name.endsWith(OBJECT_SUFFIX)) {
      const name = dirent.name.slice(0, -OBJECT_SUFFIX.length)
      const segment = isHashed(name) ? hashedSegment(name, (await readSummary(full))?.key, depth) : decodeName(name)
      if (segment !== undefined)
        entries.push({ path: full, kind: "object", bytes: Buffer.concat([keyPrefix, segment]) })
    } else if (dirent.isDirectory()) {
      const segment = isHashed(dirent.name)
        ? hashedSegment(dirent.name, await firstKeyUnder(full), depth)
        : decodeName(dirent.name)
      if (segment !== undefined) {
        entries.push({ path: full, kind: "dir", bytes: Buffer.concat([keyPrefix, segment, SLASH]) })
      }
    }
    // Anything else (temp files, names this driver did not write, symlinks) is not an object.
  }
  return entries.sort((a, b) => Buffer.compare(a.bytes, b.bytes))
}

export const list = (root: string, options: ListOptions): Stream.Stream<ListEntry, AccessDenied | TransportError> =>
  Stream.suspend(() => {
    const prefix = Buffer.from(options.prefix ?? "", "utf8")
    const startAfter = options.startAfter === undefined ? undefined : Buffer.from(options.startAfter, "utf8")
    const delimiter = options.delimiter ? Buffer.from(options.delimiter, "utf8") : undefined
    const pageSize = Math.max(1, options.pageSize ?? 1000)
    const start = prefixDirectory(root, options.prefix ?? "")
    const stack: Array<Frame> = []
    let started = false
    // The last common prefix returned: every key under it is already accounted for.
    let rolledUp: Buffer | undefined

    const wantsDir = (bytes: Buffer) =>
      (startsWith(bytes, prefix) || startsWith(prefix, bytes)) &&
      (startAfter === undefined || startsWith(startAfter, bytes) || Buffer.compare(bytes, startAfter) > 0) &&
      (rolledUp === undefined || !startsWith(bytes, rolledUp))

    const wantsKey = (bytes: Buffer) =>
      startsWith(bytes, prefix) &&
      (startAfter === undefined || Buffer.compare(bytes, startAfter) > 0) &&
      (rolledUp === undefined || !startsWith(bytes, rolledUp))

    const push = (dir: string, keyPrefix: Buffer) =>
      Effect.tap(
        ioOrMissing("list", undefined, () => readEntries(dir, keyPrefix)),
        (entries) =>
          Effect.sync(() => {
            if (entries !== undefined) stack.push({ entries, next: 0 })
          })
      )

    /** The next wanted entry: a common prefix, or an object file whose metadata is still to read. */
    const nextEntry: Effect.Effect<CommonPrefix | Entry | undefined, AccessDenied | TransportError> = Effect.gen(
      function* () {
        if (!started) {
          started = true
          yield* push(start.dir, Buffer.from(start.keyPrefix, "utf8"))
        }
        while (stack.length > 0) {
          const frame = stack.at(-1)!
          const entry = frame.entries[frame.next++]
          if (entry === undefined) {
            stack.pop()
            continue
          }
          if (entry.kind === "dir") {
            if (wantsDir(entry.bytes)) yield* push(entry.path, entry.bytes)
            continue
          }
          if (!wantsKey(entry.bytes)) continue
          const at = delimiter === undefined ? -1 : entry.bytes.subarray(prefix.length).indexOf(delimiter)
          if (delimiter === undefined || at < 0) return entry
          rolledUp = entry.bytes.subarray(0, prefix.length + at + delimiter.length)
          // As on S3, a common prefix at or before startAfter is not listed (a resumed listing repeats nothing).
          if (startAfter !== undefined && Buffer.compare(rolledUp, startAfter) <= 0) continue
          return { _tag: "Prefix", prefix: rolledUp.toString("utf8") } satisfies CommonPrefix
        }
        return undefined
      }
    )

    const summarize = (
      entry: CommonPrefix | Entry
    ): Effect.Effect<ListEntry | undefined, AccessDenied | TransportError> =>
      "_tag" in entry
        ? Effect.succeed(entry)
        : Effect.map(
            ioOrMissing("list", undefined, () => readSummary(entry.path)),
            (summary) =>
              // Gone since the folder was read, or a file moved here by hand (its key says otherwise).
              summary === undefined || summary.key !== entry.bytes.toString("utf8")
                ? undefined
                : ({
                    _tag: "Object",
                    key: summary.key,
                    size: summary.size,
                    etag: summary.etag,
                    lastModified: new Date(summary.lastModified),
                    storageClass: DEFAULT_STORAGE_CLASS
                  } satisfies ObjectSummary)
          )

    // The walk is sequential; the metadata of a page's objects is read concurrently.
    const nextPage = Effect.gen(function* () {
      const found: Array<CommonPrefix | Entry> = []
      let more = true
      while (found.length < pageSize) {
        const entry = yield* nextEntry
        if (entry === undefined) {
          more = false
          break
        }
        found.push(entry)
      }
      const page = yield* Effect.forEach(found, summarize, { concurrency: READ_CONCURRENCY })
      return [
        page.filter((entry) => entry !== undefined),
        more ? Option.some<void>(undefined) : Option.none<void>()
      ] as const
    })

    return Stream.paginate<void, ListEntry, AccessDenied | TransportError>(undefined, () => nextPage)
  })
