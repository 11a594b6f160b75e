/**
 * The bundle's code caches (src/codeCache.ts), on a two-file bundle run in a process of its own
 * (entries are written at exit): written once, read after, never stale after a rebuild, and a
 * cache that is damaged or cannot be written only costs the compile.
 */
import { execFile } from "node:child_process"
import { readdir, readFile, stat, utimes, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { tempDir } from "./helpers.js"

const runner = join(import.meta.dirname, "../dist/codeCache.js")

let dir: Awaited<ReturnType<typeof tempDir>>
let bundle: string
let cache: string
beforeAll(async () => {
  dir = await tempDir()
  bundle = join(dir.path, "bundle")
  cache = join(dir.path, "cache")
  await import("node:fs/promises").then(({ mkdir }) => mkdir(bundle))
  await writeFile(join(bundle, "main.cjs"), 'const chunk = require("./chunk.cjs")\nconsole.log(chunk.times(2))\n')
  await writeFile(join(bundle, "chunk.cjs"), "exports.times = (n) => n * 21\n")
})
afterAll(() => dir[Symbol.asyncDispose]())

/** Runs the bundle with `cacheDir`; what it printed. */
const runBundle = async (cacheDir: string) => {
  const script = `import { runBundle } from ${JSON.stringify(runner)}; runBundle(process.argv[1], process.argv[2])`
  const { stdout } = await promisify(execFile)(process.execPath, [
    "--input-type=module",
    "-e",
    script,
    join(bundle, "main.cjs"),
    cacheDir
  ])
  return stdout.trim()
}

const entries = async () => (await readdir(cache)).sort()

describe("code caches made after a run", () => {
  it("are written by the first run and read, not rewritten, by the next", async () => {
    assert.strictEqual(await runBundle(cache), "42")
    const names = await entries()
    assert.deepStrictEqual(
      names.map((name) => name.replace(/-\d+-[\d.]+$/, "")),
      ["chunk.cjs", "main.cjs"]
    )
    const written = await Promise.all(names.map(async (name) => (await stat(join(cache, name))).mtimeMs))
    assert.strictEqual(await runBundle(cache), "42")
    assert.deepStrictEqual(await entries(), names)
    assert.deepStrictEqual(
      await Promise.all(names.map(async (name) => (await stat(join(cache, name))).mtimeMs)),
      written
    )
  })

  it("a damaged entry is refused by V8 and written again", async () => {
    const main = (await entries()).find((name) => name.startsWith("main.cjs-"))!
    await writeFile(join(cache, main), Buffer.alloc(4096, 0xab))
    assert.strictEqual(await runBundle(cache), "42")
    assert.notDeepEqual(await readFile(join(cache, main)), Buffer.alloc(4096, 0xab))
  })

  it("a rebuilt file, even of the same size, runs as built and its old entry goes", async () => {
    const before = await entries()
    // Same length as before: only the modification time tells the builds apart.
    await writeFile(join(bundle, "chunk.cjs"), "exports.times = (n) => n * 12\n")
    const later = new Date(Date.now() + 5000)
    await utimes(join(bundle, "chunk.cjs"), later, later)
    assert.strictEqual(await runBundle(cache), "24")
    const after = await entries()
    assert.strictEqual(after.length, 2)
    assert.include(
      after,
      before.find((name) => name.startsWith("main.cjs-"))
    )
    assert.notInclude(
      after,
      before.find((name) => name.startsWith("chunk.cjs-"))
    )
    assert.strictEqual(await runBundle(cache), "24")
  })

  it("a cache folder that cannot be written only costs the compile", async () => {
    const notAFolder = join(dir.path, "file")
    await writeFile(notAFolder, "")
    assert.strictEqual(await runBundle(join(notAFolder, "cache")), "24")
  })
})
