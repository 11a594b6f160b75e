/**
 * The HTTP app on the s3 driver behind the fault proxy's per-request faults (seeded): a store
 * that keeps answering `503 SlowDown`, or whose connections keep breaking, is a 503
 * problem+json with Retry-After within a deadline, never a hang; under a lower rate the
 * retries absorb the faults and uploads read back whole.
 */
import { createHash, randomBytes } from "node:crypto"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { s3Request, testS3 } from "@localex/local-s3"
import { type FaultProxy, startFaultProxy } from "@localex/storage-core/testing"
import { removeRoot, type Server, sha256, startServer, tempRoot } from "./server.js"

const s3 = testS3()
const KEY = "faults-write-key"
/** 2 attempts with short delays: a few seconds at most, with a wide margin for a loaded machine. */
const DEADLINE_MS = 15_000

describe.skipIf(s3 === undefined)("the HTTP API under SlowDown and resets", () => {
  const bucket = `http-faults-${randomBytes(4).toString("hex")}`
  let root: string
  let proxy: FaultProxy
  let server: Server
  const auth = { authorization: `Bearer ${KEY}` }

  beforeAll(async () => {
    const engine = s3!
    const created = await s3Request(engine, { method: "PUT", bucket })
    assert.isTrue(created.ok, `create bucket: ${created.status}`)
    root = await tempRoot()
    proxy = await startFaultProxy(engine.endpoint, { chaos: { seed: 18 } })
    server = await startServer(root, {
      LOCALEX_HTTP_API_KEYS: `${sha256(KEY)}:read+write`,
      LOCALEX_STORAGE_DRIVER: "s3",
      LOCALEX_STORAGE_BUCKET: bucket,
      AWS_ENDPOINT_URL_S3: proxy.endpoint,
      AWS_ACCESS_KEY_ID: engine.accessKeyId,
      AWS_SECRET_ACCESS_KEY: engine.secretAccessKey,
      AWS_REGION: engine.region,
      LOCALEX_STORAGE_S3_CHECKSUMS: "when_required",
      LOCALEX_STORAGE_S3_IDLE_TIMEOUT: "2s",
      LOCALEX_STORAGE_MAX_ATTEMPTS: "2"
    })
  })
  afterAll(async () => {
    await server?.stop()
    await proxy?.close()
    if (root !== undefined) await removeRoot(root)
  })

  const timed = async (request: () => Promise<Response>) => {
    const started = Date.now()
    const response = await request()
    return { response, elapsed: Date.now() - started }
  }
  const get = (path: string) => fetch(`${server.url}/v1/files/${path}`, { headers: auth })

  const assertServiceUnavailable = async (response: Response, elapsed: number, detail: string) => {
    assert.strictEqual(response.status, 503)
    assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
    assert.match(response.headers.get("retry-after") ?? "", /^\d+$/)
    const problem = (await response.json()) as { detail?: string }
    assert.include(problem.detail ?? "", detail)
    assert.isBelow(elapsed, DEADLINE_MS)
  }

  it("a store that keeps answering SlowDown (HEAD: a bare 503): 503 + Retry-After in bound, for reads and writes", async () => {
    proxy.setChaos({ seed: 1, slowDown: 1 })
    const read = await timed(() => get("items/1/a.png"))
    await assertServiceUnavailable(read.response, read.elapsed, "")
    const write = await timed(() =>
      fetch(`${server.url}/v1/files?key=items/1/a.txt`, {
        method: "POST",
        headers: { ...auth, "content-type": "text/plain" },
        body: "hello"
      })
    )
    await assertServiceUnavailable(write.response, write.elapsed, "throttl")
    assert.isAtLeast(proxy.chaosCounts().slowDown, 4, "2 attempts each")
    proxy.setChaos(undefined)
    assert.strictEqual((await get("items/1/a.txt")).status, 404, "the refused write stored nothing")
  })

  it("a store whose connections keep breaking: 503 + Retry-After in bound", async () => {
    proxy.setChaos({ seed: 2, resetResponse: 1 })
    const read = await timed(() => get("items/1/b.png"))
    proxy.setChaos(undefined)
    await assertServiceUnavailable(read.response, read.elapsed, "")
  })

  it("at a 30% fault rate with latency the retries absorb most faults; what is stored is the whole body", async () => {
    proxy.setChaos({ seed: 3, latencyMs: [0, 40], slowDown: 0.15, resetResponse: 0.15 })
    const bodies = Array.from({ length: 8 }, (_, i) => randomBytes(20_000 + i))
    const statuses = []
    for (const [i, body] of bodies.entries()) {
      const { response, elapsed } = await timed(() =>
        fetch(`${server.url}/v1/files?key=items/2/f${i}.bin`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/octet-stream" },
          body
        })
      )
      assert.isBelow(elapsed, DEADLINE_MS)
      await response.arrayBuffer()
      statuses.push(response.status)
      if (response.status === 503) assert.match(response.headers.get("retry-after") ?? "", /^\d+$/)
    }
    proxy.setChaos(undefined)
    assert.isAbove(proxy.chaosCounts().requests, 8)
    for (const [i, status] of statuses.entries()) {
      assert.include([200, 201, 503], status, `put ${i}`)
      const back = await get(`items/2/f${i}.bin`)
      if (status === 503) {
        // A refused write is absent, or (its answer was lost after it ran) whole.
        if (back.status === 404) continue
      }
      assert.strictEqual(back.status, 200, `put ${i} answered ${status}`)
      // The metadata of what is stored: its size and (single part) its MD5 are the body's.
      const meta = (await back.json()) as { size: number; etag: string }
      const md5 = createHash("md5").update(bodies[i]!).digest("hex")
      assert.deepStrictEqual([meta.size, meta.etag.replace(/"/g, "")], [bodies[i]!.length, md5], `put ${i} (${status})`)
    }
  })
})
