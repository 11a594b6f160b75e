/**
 * The HTTP app on the s3 driver behind storage-core's fault proxy (2 s idle timeout, 2 attempts):
 * a store that stalls answers 503 problem+json with Retry-After, within the driver's bound,
 * instead of holding the client's connection; once the store is back, the same request works.
 */
import { randomBytes } from "node:crypto"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { s3Request, testS3 } from "@localex/local-s3"
import { type FaultProxy, startFaultProxy } from "@localex/storage-core/testing"
import { removeRoot, type Server, sha256, startServer, tempRoot } from "./server.js"

const s3 = testS3()
const READ_KEY = "stall-read-key"

describe.skipIf(s3 === undefined)("the HTTP API when the store stalls", () => {
  const bucket = `http-stall-${randomBytes(4).toString("hex")}`
  let root: string
  let proxy: FaultProxy
  let server: Server

  beforeAll(async () => {
    const engine = s3!
    const created = await s3Request(engine, { method: "PUT", bucket })
    assert.isTrue(created.ok, `create bucket: ${created.status}`)
    root = await tempRoot()
    proxy = await startFaultProxy(engine.endpoint)
    server = await startServer(root, {
      LOCALEX_HTTP_API_KEYS: `${sha256(READ_KEY)}:read`,
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

  it("a frozen store is 503 with Retry-After (not 502), in bound; the store back, the request works", async () => {
    const get = () =>
      fetch(`${server.url}/v1/files/items/1/a.png`, { headers: { authorization: `Bearer ${READ_KEY}` } })
    proxy.setFault({ kind: "freeze" })
    const started = Date.now()
    const response = await get()
    const elapsed = Date.now() - started
    proxy.setFault({ kind: "reset" })
    proxy.setFault({ kind: "none" })
    assert.strictEqual(response.status, 503)
    assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
    assert.match(response.headers.get("retry-after") ?? "", /^\d+$/)
    const problem = (await response.json()) as { detail?: string }
    assert.include(problem.detail ?? "", "stalled")
    // 2 attempts × 2 s, with a margin of 3×.
    assert.isBelow(elapsed, 12_000)
    assert.strictEqual((await get()).status, 404, "the store is back: the key is simply not there")
  })
})
