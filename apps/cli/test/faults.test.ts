/**
 * The built CLI against the local Ceph RGW through the fault proxy's per-request faults (seeded):
 * a store that keeps answering SlowDown fails a command with exit 1 and one clear line; cleanup
 * under resets and SlowDown deletes exactly its plan; and `kill -9` in the middle of a multipart
 * upload, a snapshot sync and a cleanup, then a rerun, loses nothing — what the kill left (an
 * incomplete multipart upload) `cleanup uploads --dry-run` lists and `cleanup uploads` removes.
 * Kill points are read from the bucket (an upload listed, objects copied, a manifest written),
 * with latency from the proxy keeping the command busy there.
 */
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { s3Request, testS3 } from "@localex/local-s3"
import { type FaultProxy, startFaultProxy } from "@localex/storage-core/testing"
import { bin, cleanEnv, type Run, run, tempDir } from "./helpers.js"

const s3 = testS3()
/** How long a kill point may take to show in the bucket. */
const WAIT_MS = 30_000

describe.skipIf(s3 === undefined)("localex-storage under SlowDown, resets and kill -9 (fault proxy)", () => {
  const bucket = `cli-faults-${randomBytes(4).toString("hex")}`
  let dir: Awaited<ReturnType<typeof tempDir>>
  let proxy: FaultProxy
  let env: Record<string, string>
  const args = (rest: ReadonlyArray<string>, endpoint: string) => ["--bucket", bucket, "--endpoint", endpoint, ...rest]
  /** Through the proxy (faults as set). */
  const cli = (rest: ReadonlyArray<string>): Promise<Run> => run(args(rest, proxy.endpoint), { env, cwd: dir.path })
  /** Straight to the engine. */
  const direct = (rest: ReadonlyArray<string>): Promise<Run> => run(args(rest, s3!.endpoint), { env, cwd: dir.path })
  /** A CLI run through the proxy that the test can kill. */
  const spawnCli = (rest: ReadonlyArray<string>) => {
    const child = spawn(process.execPath, [bin, ...args(rest, proxy.endpoint)], {
      cwd: dir.path,
      env: cleanEnv(env),
      stdio: ["ignore", "ignore", "pipe"]
    })
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
    })
    const exited = new Promise<NodeJS.Signals | null>((done) => child.once("exit", (_code, signal) => done(signal)))
    return { child, exited, stderr: () => stderr }
  }
  const keys = async (prefix: string) => {
    const ls = await direct(["--json", "object", "ls", "-r", "--prefix", prefix])
    assert.strictEqual(ls.code, 0, ls.stderr)
    return (JSON.parse(ls.text) as { entries: Array<{ key: string }> }).entries.map((e) => e.key).sort()
  }
  /** Keys under `prefix`, by a plain ListObjectsV2 (cheaper to poll than a CLI run). */
  const listed = async (prefix: string) => {
    const response = await s3Request(s3!, { bucket, query: { "list-type": "2", prefix } })
    return [...(await response.text()).matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]!)
  }
  const uploadsListed = async (prefix: string) => {
    const response = await s3Request(s3!, { bucket, query: { uploads: "", prefix } })
    return [...(await response.text()).matchAll(/<UploadId>([^<]+)<\/UploadId>/g)].map((m) => m[1]!)
  }
  /** Waits until `ready` holds (polled every 50 ms), or fails the test after WAIT_MS. */
  const until = async (what: string, ready: () => Promise<boolean>, stderr: () => string = () => "") => {
    const deadline = Date.now() + WAIT_MS
    while (!(await ready())) {
      if (Date.now() > deadline)
        assert.fail(
          `gave up waiting for ${what}; the proxy saw ${JSON.stringify(proxy.chaosCounts())}, the bucket holds ${(await listed("")).length} keys; the command said: ${stderr()}`
        )
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  const lastLine = (result: Run) => result.stderr.trimEnd().split("\n").at(-1) ?? ""

  beforeAll(async () => {
    const engine = s3!
    dir = await tempDir()
    proxy = await startFaultProxy(engine.endpoint, { chaos: { seed: 18 } })
    const created = await s3Request(engine, { method: "PUT", bucket })
    assert.isTrue(created.ok, `create bucket: ${created.status}`)
    env = {
      AWS_ACCESS_KEY_ID: engine.accessKeyId,
      AWS_SECRET_ACCESS_KEY: engine.secretAccessKey,
      AWS_REGION: engine.region,
      LOCALEX_STORAGE_S3_CHECKSUMS: "when_required",
      LOCALEX_STORAGE_S3_IDLE_TIMEOUT: "10s",
      LOCALEX_STORAGE_MAX_ATTEMPTS: "3",
      LOCALEX_STORAGE_PART_SIZE: String(5 * 1024 * 1024),
      LOCALEX_STORAGE_CONCURRENCY: "2"
    }
  })
  afterAll(async () => {
    await proxy?.close()
    await dir?.[Symbol.asyncDispose]()
  })

  it("a store that keeps answering SlowDown: exit 1 with one clear line after the retry notes; nothing stored", async () => {
    const file = join(dir.path, "small.bin")
    await writeFile(file, randomBytes(64 * 1024))
    proxy.setChaos({ seed: 1, slowDown: 1 })
    const result = await cli(["object", "put", file, "throttled/small.bin"])
    proxy.setChaos(undefined)
    assert.strictEqual(result.code, 1, result.stderr)
    assert.strictEqual(result.text, "")
    assert.include(result.stderr, "PutObject: throttled, retrying 2/3")
    const line = lastLine(result)
    assert.match(line, /^localex-storage: .*PutObject.*throttl/i)
    assert.notInclude(result.stderr, "    at ")
    assert.deepStrictEqual(await keys("throttled/"), [])
  })

  it("kill -9 during a multipart upload: cleanup uploads --dry-run lists the upload, cleanup uploads removes it; a rerun stores the file", async () => {
    const file = join(dir.path, "big.bin")
    await writeFile(file, randomBytes(11 * 1024 * 1024))
    // Parts crawl (a second each), so the upload is in the middle when it is killed.
    proxy.setChaos({ seed: 2, latencyMs: [1000, 1200], only: ["UploadPart"] })
    const put = spawnCli(["object", "put", file, "killed/big.bin"])
    await until(
      "the multipart upload to be listed",
      async () => (await uploadsListed("killed/")).length > 0,
      put.stderr
    )
    put.child.kill("SIGKILL")
    assert.strictEqual(await put.exited, "SIGKILL")
    proxy.setChaos(undefined)
    const [uploadId] = await uploadsListed("killed/")

    const dry = await direct(["--json", "cleanup", "uploads", "--older-than", "0s", "--dry-run"])
    assert.strictEqual(dry.code, 0, dry.stderr)
    const planned = JSON.parse(dry.text) as { plan: { candidates: Array<{ key: string; uploadId: string }> } }
    assert.deepStrictEqual(
      planned.plan.candidates.map((c) => [c.key, c.uploadId]),
      [["killed/big.bin", uploadId]]
    )
    const real = await direct(["cleanup", "uploads", "--older-than", "0s"])
    assert.strictEqual(real.code, 0, real.stderr)
    assert.match(real.text, /aborted\s+1 upload/)
    assert.deepStrictEqual(await uploadsListed("killed/"), [])
    assert.deepStrictEqual(await keys("killed/"), [], "no partial object")

    const again = await cli(["object", "put", file, "killed/big.bin"])
    assert.strictEqual(again.code, 0, again.stderr)
    const got = await s3Request(s3!, { bucket, key: "killed/big.bin" })
    assert.isTrue(Buffer.from(await got.arrayBuffer()).equals(await readFile(file)), "the rerun stored the whole file")
  })

  it("kill -9 during a snapshot sync, then a rerun under faults: verify reports every object equal", async () => {
    // The source: a prefix of the same bucket, filled directly.
    const files = Array.from({ length: 24 }, (_, i) => `items/${String(i).padStart(2, "0")}/photo.jpg`)
    for (const [i, key] of files.entries()) {
      const put = await s3Request(s3!, { method: "PUT", bucket, key: `live/${key}`, body: randomBytes(2000 + i) })
      assert.isTrue(put.ok, key)
    }
    const live = `s3://${bucket}/live/`
    const dst = `s3://${bucket}/backup/`
    proxy.setChaos({ seed: 3, latencyMs: [300, 500], only: ["PutObject"] })
    const sync = spawnCli(["backup", "snapshot", live, dst, "--concurrency", "4"])
    await until("a few copies", async () => (await listed("backup/items/")).length >= 6, sync.stderr)
    sync.child.kill("SIGKILL")
    assert.strictEqual(await sync.exited, "SIGKILL")
    const copiedBeforeKill = (await listed("backup/items/")).length
    assert.isBelow(copiedBeforeKill, files.length, "killed in the middle")

    // The rerun meets SlowDown and resets too; runs until one succeeds (a failed key is retried by the next run).
    proxy.setChaos({ seed: 4, latencyMs: [0, 20], slowDown: 0.1, resetRequest: 0.05, resetResponse: 0.05 })
    let rerun = await cli(["--json", "backup", "snapshot", live, dst])
    for (let tries = 1; tries < 4 && rerun.code !== 0; tries++)
      rerun = await cli(["--json", "backup", "snapshot", live, dst])
    const faults = proxy.chaosCounts()
    proxy.setChaos(undefined)
    assert.strictEqual(rerun.code, 0, rerun.stderr)
    assert.isAbove(faults.slowDown + faults.resetRequest + faults.resetResponse, 0, "the rerun met faults")

    const verify = await direct(["--json", "backup", "verify", live, dst])
    assert.strictEqual(verify.code, 0, verify.text + verify.stderr)
    const report = JSON.parse(verify.text) as { ok: boolean; counts: Record<string, number> }
    assert.isTrue(report.ok)
    assert.strictEqual(report.counts.same, files.length)
    assert.deepStrictEqual(await keys("backup/items/"), files.map((k) => `backup/${k}`).sort())
  })

  it("cleanup under faults, and killed then rerun: exactly its plan is deleted, nothing else is missing", async () => {
    const doomed = Array.from({ length: 30 }, (_, i) => `temp/t${String(i).padStart(2, "0")}.txt`)
    const kept = Array.from({ length: 10 }, (_, i) => `keep/k${i}.txt`)
    for (const key of [...doomed, ...kept]) {
      const put = await s3Request(s3!, { method: "PUT", bucket, key, body: `bytes of ${key}` })
      assert.isTrue(put.ok, key)
    }
    const rule = ["--rule", "temp/=0s"]
    const dry = await direct(["--json", "cleanup", "expired", "--dry-run", "--sample", "100", ...rule])
    assert.strictEqual(dry.code, 0, dry.stderr)
    const plan = (JSON.parse(dry.text) as { plan: { sample: Array<{ key: string }> } }).plan.sample.map((c) => c.key)
    assert.deepStrictEqual(plan, doomed)

    // Killed once its manifest is written, while the re-checks crawl.
    proxy.setChaos({ seed: 5, latencyMs: [500, 700], only: ["HeadObject", "DeleteObjects"] })
    const first = spawnCli(["cleanup", "expired", "--force", ...rule])
    await until(
      "the cleanup manifest",
      async () => (await listed("_localex/reports/cleanup/")).some((k) => k.endsWith("-plan.json")),
      first.stderr
    )
    first.child.kill("SIGKILL")
    assert.strictEqual(await first.exited, "SIGKILL")

    // Rerun under SlowDown and resets until it reports success.
    proxy.setChaos({ seed: 6, slowDown: 0.05, resetResponse: 0.05, resetRequest: 0.05 })
    let rerun = await cli(["--json", "cleanup", "expired", "--force", ...rule])
    for (let tries = 1; tries < 4 && rerun.code !== 0; tries++)
      rerun = await cli(["--json", "cleanup", "expired", "--force", ...rule])
    proxy.setChaos(undefined)
    assert.strictEqual(rerun.code, 0, rerun.stderr)
    const report = (JSON.parse(rerun.text) as { report: { failed: Array<unknown> } }).report
    assert.deepStrictEqual(report.failed, [])

    assert.deepStrictEqual(await keys("temp/"), [], "the whole plan is deleted")
    assert.deepStrictEqual(await keys("keep/"), [...kept].sort(), "nothing outside the plan is missing")
  })
})
