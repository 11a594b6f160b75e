/**
 * A stalled S3 endpoint, as an operator meets it through the built binary: the s3 driver talks to
 * the local Ceph RGW through storage-core's fault proxy with a 2 s idle timeout and 2 attempts.
 * A frozen endpoint fails the command with exit 1 and one line that says what stalled, where,
 * and for how long, after a note per retry; a multipart upload whose abort could not get through
 * is named, and `cleanup uploads` removes it once the endpoint is back.
 */
import { randomBytes } from "node:crypto"
import { writeFile } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { s3Request, testS3 } from "@localex/local-s3"
import { type FaultProxy, startFaultProxy } from "@localex/storage-core/testing"
import { type Run, run, tempDir } from "./helpers.js"

const s3 = testS3()
const IDLE_S = 2
/**
 * 2 attempts × the idle timeout, plus the abort's own deadline, with a margin of 3×; plus the
 * start of a Node process, which takes seconds on a loaded machine.
 */
const BOUND_MS = 3 * (2 * IDLE_S + IDLE_S) * 1000 + 10_000

describe.skipIf(s3 === undefined)("localex-storage against a stalled endpoint (s3 driver, fault proxy)", () => {
  const bucket = `cli-stall-${randomBytes(4).toString("hex")}`
  let dir: Awaited<ReturnType<typeof tempDir>>
  let proxy: FaultProxy
  let env: Record<string, string>
  const cli = (args: ReadonlyArray<string>, endpoint = proxy.endpoint): Promise<Run> =>
    run(["--bucket", bucket, "--endpoint", endpoint, ...args], { env, cwd: dir.path })
  const timed = async (args: ReadonlyArray<string>) => {
    const started = Date.now()
    const result = await cli(args)
    return { result, elapsed: Date.now() - started }
  }
  const lastLine = (result: Run) => result.stderr.trimEnd().split("\n").at(-1) ?? ""

  beforeAll(async () => {
    const engine = s3!
    dir = await tempDir()
    proxy = await startFaultProxy(engine.endpoint)
    const created = await s3Request(engine, { method: "PUT", bucket })
    assert.isTrue(created.ok, `create bucket: ${created.status}`)
    env = {
      AWS_ACCESS_KEY_ID: engine.accessKeyId,
      AWS_SECRET_ACCESS_KEY: engine.secretAccessKey,
      AWS_REGION: engine.region,
      LOCALEX_STORAGE_S3_CHECKSUMS: "when_required",
      LOCALEX_STORAGE_S3_IDLE_TIMEOUT: `${IDLE_S}s`,
      LOCALEX_STORAGE_S3_CONNECT_TIMEOUT: `${IDLE_S}s`,
      LOCALEX_STORAGE_MAX_ATTEMPTS: "2"
    }
  })
  afterAll(async () => {
    await proxy?.close()
    await dir?.[Symbol.asyncDispose]()
  })

  it("a bad timeout is a usage error that names the variable", async () => {
    const result = await run(["--bucket", bucket, "--endpoint", s3!.endpoint, "object", "ls"], {
      env: { ...env, LOCALEX_STORAGE_S3_IDLE_TIMEOUT: "soon" },
      cwd: dir.path
    })
    assert.strictEqual(result.code, 2, result.stderr)
    assert.include(result.stderr, "LOCALEX_STORAGE_S3_IDLE_TIMEOUT")
  })

  it("object put on a frozen endpoint: retried with a note, then exit 1 naming what stalled; nothing stored", async () => {
    const file = join(dir.path, "small.bin")
    await writeFile(file, randomBytes(1024 * 1024))
    proxy.setFault({ kind: "freeze" })
    const { result, elapsed } = await timed(["object", "put", file, "frozen/small.bin"])
    // Connections reset, not resumed: a gateway that woke up would run what its kernel held.
    proxy.setFault({ kind: "reset" })
    proxy.setFault({ kind: "none" })
    assert.strictEqual(result.code, 1, result.stderr)
    assert.strictEqual(result.text, "")
    assert.include(result.stderr, "PutObject: stalled, retrying 2/2")
    const line = lastLine(result)
    assert.match(
      line,
      /PutObject failed: stalled: no progress .* from http:\/\/127\.0\.0\.1:\d+ for \d+\.\d s \(after 2 attempts\)/
    )
    assert.notInclude(result.stderr, "    at ")
    assert.isBelow(elapsed, BOUND_MS)
    const ls = await cli(["--json", "object", "ls", "-r", "--prefix", "frozen/"], s3!.endpoint)
    assert.deepStrictEqual(JSON.parse(ls.text).entries, [])
  })

  it("object ls on a black-holed endpoint: exit 1 within the bound", async () => {
    proxy.setFault({ kind: "blackhole" })
    const { result, elapsed } = await timed(["object", "ls"])
    proxy.setFault({ kind: "none" })
    assert.strictEqual(result.code, 1, result.stderr)
    assert.include(lastLine(result), "ListObjectsV2 failed: stalled")
    assert.isBelow(elapsed, BOUND_MS)
  })

  it("a multipart put frozen mid-transfer names the upload it left; cleanup uploads aborts it", async () => {
    const file = join(dir.path, "big.bin")
    await writeFile(file, randomBytes(12 * 1024 * 1024))
    // CreateMultipartUpload goes through; the freeze takes hold during the first part.
    proxy.setFault({ kind: "freeze", afterSentBytes: 256 * 1024 })
    const { result, elapsed } = await timed(["object", "put", file, "stalled/big.bin"])
    // Connections reset, not resumed: what the frozen gateway held is lost, as after a crash.
    proxy.setFault({ kind: "reset" })
    proxy.setFault({ kind: "none" })
    assert.strictEqual(result.code, 1, result.stderr)
    const line = lastLine(result)
    assert.include(line, "stalled")
    const uploadId = /multipart upload (\S+) of "stalled\/big\.bin" could not be aborted and was left/.exec(line)?.[1]
    assert.isDefined(uploadId, line)
    assert.include(line, "localex-storage cleanup uploads")
    assert.isBelow(elapsed, BOUND_MS)

    const dry = await cli(["--json", "cleanup", "uploads", "--older-than", "0s", "--dry-run"])
    assert.strictEqual(dry.code, 0, dry.stderr)
    const planned = JSON.parse(dry.text) as {
      plan: { candidates: Array<{ key: string; uploadId: string }> }
      report: null
    }
    assert.deepStrictEqual(
      planned.plan.candidates.map((c) => [c.key, c.uploadId]),
      [["stalled/big.bin", uploadId]]
    )
    assert.isNull(planned.report)

    const real = await cli(["cleanup", "uploads", "--older-than", "0s"])
    assert.strictEqual(real.code, 0, real.stderr)
    assert.match(real.text, /aborted\s+1 upload/)
    const again = await cli(["--json", "cleanup", "uploads", "--older-than", "0s"])
    assert.strictEqual(JSON.parse(again.text).plan.totals.uploads, 0)
    const ls = await cli(["--json", "object", "ls", "-r", "--prefix", "stalled/"])
    assert.deepStrictEqual(JSON.parse(ls.text).entries, [])
  })
})
