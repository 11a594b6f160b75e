/**
 * Runs the bundle (dist/bundle/: CommonJS, rolldown.config.ts) with V8 code caches made after a
 * command has run. Node's compile cache keeps what V8 compiled right after parsing a file: its
 * top level; every function a command then runs (effect's runtime, the parser, the command) is
 * compiled again at every start, ~30 ms of `object stat`. V8 can instead serialize a script once
 * it has run (`Script.createCachedData`), functions compiled so far included: the first run of a
 * command group writes that for each file it loaded, the runs after it read it back.
 *
 * The caches live beside Node's own compile cache (`module.getCompileCacheDir()`, whose path
 * already names the Node version, architecture and V8 flags), one folder per command group, since
 * each group runs other functions; an entry is named after the file's name, size and
 * modification time, so a rebuilt bundle never meets an old entry. V8 checks the rest and
 * refuses a cache that does not fit (the file is then compiled as usual and its entry rewritten).
 * With the compile cache off (NODE_DISABLE_COMPILE_CACHE=1) or a folder that cannot be written,
 * the bundle runs without. Entries are written at exit, each to a temporary file renamed into
 * place, so processes starting together never read half an entry.
 */
import type { Script as VmScript } from "node:vm"

// Not `import … from "node:fs"`: the ES module facade of a built-in reads every export, and
// node:fs's include its streams and node:fs/promises (~4 ms of a start; the bundle reads them
// the same way, rolldown.config.ts).
const {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} = process.getBuiltinModule("node:fs")
const { createRequire } = process.getBuiltinModule("node:module")
const { basename, dirname, join } = process.getBuiltinModule("node:path")
const { constants, Script } = process.getBuiltinModule("node:vm")

interface Loaded {
  exports: unknown
}

/** A file's entry: its name, size and modification time. */
const entryName = (file: string, size: number, mtimeMs: number) => `${file}-${size}-${mtimeMs}`

/** A file's text, size and modification time, from one descriptor: the entry is the file's as read. */
const readSource = (file: string) => {
  const fd = openSync(file, "r")
  try {
    const { size, mtimeMs } = fstatSync(fd)
    return { source: readFileSync(fd, "utf8"), size, mtimeMs }
  } finally {
    closeSync(fd)
  }
}

const readEntry = (file: string): Buffer | undefined => {
  try {
    return readFileSync(file)
  } catch {
    return undefined
  }
}

const writeEntry = (file: string, data: Buffer) => {
  try {
    mkdirSync(dirname(file), { recursive: true })
    const temporary = `${file}.${process.pid}.tmp`
    writeFileSync(temporary, data)
    renameSync(temporary, file)
  } catch {
    // A cache is an optimisation: the next run compiles as this one did.
  }
}

/** Removes the entries of files `bundle` (the folder) no longer has as they were: an earlier build's. */
const removeStale = (cacheDir: string, bundle: string) => {
  try {
    const current = new Set(
      readdirSync(bundle).map((file) => {
        const { size, mtimeMs } = statSync(join(bundle, file))
        return entryName(file, size, mtimeMs)
      })
    )
    for (const name of readdirSync(cacheDir)) if (!current.has(name)) rmSync(join(cacheDir, name), { force: true })
  } catch {
    // As above.
  }
}

/**
 * Loads `entry` (a file of the bundle) and, through its `require`, the chunks it asks for, each
 * once, compiled with the entry in `cacheDir` when there is one; the entries missing or refused
 * are written when the process exits. Anything else a chunk requires (node: built-ins, packages
 * outside the bundle: sharp) is Node's `require` from the bundle's folder.
 */
export const runBundle = (entry: string, cacheDir: string | undefined): unknown => {
  const outside = createRequire(entry)
  const loaded = new Map<string, Loaded>()
  const toWrite: Array<{ readonly script: VmScript; readonly file: string }> = []

  const load = (file: string): unknown => {
    const known = loaded.get(file)
    if (known !== undefined) return known.exports
    const module: Loaded = { exports: {} }
    loaded.set(file, module)
    const { source, size, mtimeMs } = readSource(file)
    const cacheFile = cacheDir === undefined ? undefined : join(cacheDir, entryName(basename(file), size, mtimeMs))
    const cachedData = cacheFile === undefined ? undefined : readEntry(cacheFile)
    // The wrapper on a line of its own, moved up by one: line numbers in stack traces are the file's.
    const script = new Script(`(function (exports, require, module, __filename, __dirname) {\n${source}\n})`, {
      filename: file,
      lineOffset: -1,
      cachedData,
      importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
    })
    if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected === true))
      toWrite.push({ script, file: cacheFile })
    const require = (id: string) => (id.startsWith("./") ? load(join(dirname(file), id)) : outside(id))
    script.runInThisContext().call(module.exports, module.exports, require, module, file, dirname(file))
    return module.exports
  }

  process.once("exit", () => {
    if (toWrite.length === 0 || cacheDir === undefined) return
    for (const { script, file } of toWrite) writeEntry(file, script.createCachedData())
    // When something was written, as a build's first runs do.
    removeStale(cacheDir, dirname(entry))
  })
  return load(entry)
}
