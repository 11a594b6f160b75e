/**
 * What a command loads to start (README.md, "Start-up"): `--help` and the fs driver's read
 * commands must not load the AWS SDK, sharp, or Node's crypto, child_process and readline
 * (the build makes those load on first use: rolldown.config.ts, `builtinsOnDemand`); a command
 * that does use them still works. On the s3 driver over plain http, a listing and a put go on the
 * driver's own connections: no node:https, TLS or node:http2 (the SDK's HTTP handler loads them).
 */
import { createHash, randomBytes } from "node:crypto"
import { readdir, readFile, writeFile } from "node:fs/promises"
import { basename, join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { s3Request, testS3 } from "@localex/local-s3"
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

let runs = 0

/**
 * Runs the CLI and returns what it loaded: the Node built-ins and the bundle's files, which the
 * code cache names (each run gets a compile cache folder of its own, so
 * every file it loads gets an entry: src/codeCache.ts).
 */
const loadsOf = async (args: ReadonlyArray<string>, extraEnv: Record<string, string> = {}) => {
  const loads = join(dir.path, "loads.json")
  const cache = join(dir.path, `compile-cache-${++runs}`)
  const result = await run(args, {
    env: { ...env, ...extraEnv, LOCALEX_TEST_LOADS: loads, NODE_COMPILE_CACHE: cache },
    cwd: dir.path,
    node: ["--import", recorder]
  })
  assert.strictEqual(result.code, 0, result.stderr)
  const { builtins, stdinOpened } = JSON.parse(await readFile(loads, "utf8")) as {
    builtins: Array<string>
    stdinOpened: boolean
  }
  const entries = await readdir(cache, { recursive: true })
  const bundle = entries.filter((entry) => /localex-cli[\\/]/.test(entry)).map((entry) => basename(entry))
  return { result, builtins, bundle, stdinOpened }
}

const assertLight = ({ builtins, bundle }: { builtins: Array<string>; bundle: Array<string> }) => {
  for (const name of HEAVY_BUILTINS) assert.notInclude(builtins, name, `node:${name} was loaded`)
  assert.isTrue(
    bundle.some((file) => file.startsWith("main.cjs-")),
    `the bundle was not read: ${bundle.join(", ")}`
  )
  for (const file of bundle) assert.notMatch(file, /^(S3|dist-cjs)-|sharp/, `${file} was loaded`)
}

const bytes = randomBytes(5000)

describe("start-up loads only what the command uses", () => {
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

  it("object stat builds no stream for stdout or stderr and loads no node:fs/promises", async () => {
    await writeFile(join(dir.path, "small.txt"), "small")
    await loadsOf(["object", "put", "small.txt", "items/2/small.txt"])
    // stdout and stderr are pipes here: building process.stdout would load node:net and node:stream.
    const stat = await loadsOf(["object", "stat", "items/2/small.txt"])
    assert.include(stat.result.text, "items/2/small.txt")
    for (const name of ["net", "stream", "fs/promises", "internal/fs/promises"])
      assert.notInclude(stat.builtins, name, `node:${name} was loaded`)
  })

  it("opens standard input only for a command that reads it (the terminal is opened on first use)", async () => {
    for (const args of [["--help"], ["object", "stat", "items/1/photo.jpg"]])
      assert.isFalse((await loadsOf(args)).stdinOpened, `${args.join(" ")} opened stdin`)
    const loads = join(dir.path, "loads.json")
    const put = await run(["object", "put", "-", "items/1/stdin.txt"], {
      env: { ...env, LOCALEX_TEST_LOADS: loads },
      cwd: dir.path,
      node: ["--import", recorder],
      input: Buffer.from("from stdin")
    })
    assert.strictEqual(put.code, 0, put.stderr)
    assert.isTrue((JSON.parse(await readFile(loads, "utf8")) as { stdinOpened: boolean }).stdinOpened)
    const get = await run(["object", "get", "items/1/stdin.txt", "-"], { env, cwd: dir.path })
    assert.strictEqual(get.text, "from stdin")
  })

  it("object ls and object get on the fs driver", async () => {
    assertLight(await loadsOf(["object", "ls", "items/"]))
    const get = await loadsOf(["object", "get", "items/1/photo.jpg", "-"])
    assert.deepStrictEqual(get.result.stdout, bytes)
    assertLight(get)
  })
})

const s3 = testS3()

describe.skipIf(s3 === undefined)("start-up on the s3 driver over plain http (local Ceph RGW)", () => {
  const bucket = `cli-start-${randomBytes(4).toString("hex")}`
  const s3env = () => ({
    LOCALEX_STORAGE_DRIVER: "s3",
    LOCALEX_STORAGE_BUCKET: bucket,
    AWS_ENDPOINT_URL_S3: s3!.endpoint,
    LOCALEX_STORAGE_S3_CHECKSUMS: "when_required",
    AWS_ACCESS_KEY_ID: s3!.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3!.secretAccessKey,
    AWS_REGION: s3!.region
  })

  beforeAll(async () => {
    const created = await s3Request(s3!, { method: "PUT", bucket })
    assert.isTrue(created.ok, `create bucket: ${created.status}`)
  })

  it("object put, object ls and stats load no TLS, node:https or node:http2", async () => {
    await writeFile(join(dir.path, "small.bin"), bytes)
    const put = await loadsOf(["object", "put", "small.bin", "s3/small.bin"], s3env())
    const ls = await loadsOf(["object", "ls", "s3/"], s3env())
    assert.include(ls.result.text, "s3/small.bin")
    const stats = await loadsOf(["--json", "stats"], s3env())
    assert.strictEqual((JSON.parse(stats.result.text) as { totals: { objects: number } }).totals.objects, 1)
    for (const { builtins } of [put, ls, stats])
      for (const name of ["https", "tls", "http2"]) assert.notInclude(builtins, name, `node:${name} was loaded`)
  })
})
