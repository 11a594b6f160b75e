/**
 * What a command loads to start (README.md, "Start-up"): `--help` and the fs driver's read
 * commands must not load the AWS SDK, sharp, or Node's crypto, child_process and readline
 * (the build makes those load on first use: rolldown.config.ts, `lazyBuiltins`); a command that
 * does use them still works.
 */
import { createHash, randomBytes } from "node:crypto"
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { run, tempDir } from "./helpers.js"

const recorder = join(import.meta.dirname, "fixtures/record-loads.mjs")
const HEAVY_BUILTINS = ["crypto", "child_process", "readline", "http", "https", "worker_threads"]

let dir: Awaited<ReturnType<typeof tempDir>>
let env: Record<string, string>
beforeAll(async () => {
  dir = await tempDir()
  env = { LOCALEX_STORAGE_DRIVER: "fs", LOCALEX_STORAGE_FS_ROOT: join(dir.path, "data") }
})
afterAll(() => dir[Symbol.asyncDispose]())

/** Runs the CLI and returns what it loaded. */
const loadsOf = async (args: ReadonlyArray<string>) => {
  const loads = join(dir.path, "loads.json")
  const result = await run(args, {
    env: { ...env, LOCALEX_TEST_LOADS: loads },
    cwd: dir.path,
    node: ["--import", recorder]
  })
  assert.strictEqual(result.code, 0, result.stderr)
  const { builtins, urls } = JSON.parse(await readFile(loads, "utf8")) as {
    builtins: Array<string>
    urls: Array<string>
  }
  return { result, builtins, urls }
}

const assertLight = ({ builtins, urls }: { builtins: Array<string>; urls: Array<string> }) => {
  for (const name of HEAVY_BUILTINS) assert.notInclude(builtins, name, `node:${name} was loaded`)
  const bundle = urls.filter((url) => url.includes("/dist/bundle/"))
  assert.isAbove(bundle.length, 0, "the bundle was not read")
  for (const url of bundle) assert.notMatch(url, /[\\/](S3|dist-cjs)-|sharp/, `${url} was loaded`)
}

describe("start-up loads only what the command uses", () => {
  const bytes = randomBytes(5000)

  it("object put still hashes with the crypto it loads on first use", async () => {
    await writeFile(join(dir.path, "photo.jpg"), bytes)
    const put = await loadsOf(["object", "put", "photo.jpg", "items/1/photo.jpg"])
    assert.include(put.builtins, "crypto")
    const stat = await loadsOf(["--json", "object", "stat", "items/1/photo.jpg"])
    const info = JSON.parse(stat.result.text) as { size: number; metadata: Record<string, string> }
    assert.strictEqual(info.size, bytes.length)
    assert.strictEqual(info.metadata["localex-sha256"], createHash("sha256").update(bytes).digest("hex"))
    assertLight(stat)
  })

  it("--help", async () => {
    assertLight(await loadsOf(["--help"]))
  })

  it("object ls and object get on the fs driver", async () => {
    assertLight(await loadsOf(["object", "ls", "items/"]))
    const get = await loadsOf(["object", "get", "items/1/photo.jpg", "-"])
    assert.deepStrictEqual(get.result.stdout, bytes)
    assertLight(get)
  })
})
