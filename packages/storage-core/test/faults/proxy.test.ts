/**
 * The fault proxy's per-request faults (`{ chaos }`) against the local Ceph RGW, by plain HTTP
 * through the raw SDK client: `503 SlowDown` with S3's XML body, decisions that repeat with the
 * seed, request kinds that select what is touched, resets that the client sees as broken
 * connections, latency that shows in the time taken.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3"
import { testS3 } from "@localex/local-s3"
import { afterAll, assert, beforeAll, describe, test } from "vitest"
import {
  bucketName,
  type Chaos,
  dropBucket,
  rawClient,
  requestKind,
  seededRandom,
  startFaultProxy
} from "../../src/testing.js"

const engine = testS3()

describe("seededRandom and requestKind", () => {
  test("the same seed gives the same numbers in [0, 1); another seed others", () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed))
    assert.deepStrictEqual(draw(42), draw(42))
    assert.notDeepEqual(draw(42), draw(43))
    for (const n of draw(7)) assert.isTrue(n >= 0 && n < 1)
  })

  test("S3 operations are told apart by method, query and headers", () => {
    const kinds = [
      requestKind("PUT", "/b/k?partNumber=1&uploadId=u", {}),
      requestKind("PUT", "/b/k?partNumber=1&uploadId=u", { "x-amz-copy-source": "/b/s" }),
      requestKind("PUT", "/b/k", {}),
      requestKind("POST", "/b/k?uploads", {}),
      requestKind("POST", "/b/k?uploadId=u", {}),
      requestKind("DELETE", "/b/k?uploadId=u", {}),
      requestKind("GET", "/b?uploads", {}),
      requestKind("GET", "/b?list-type=2&prefix=a", {}),
      requestKind("POST", "/b?delete", {}),
      requestKind("GET", "/b/k", {})
    ]
    assert.deepStrictEqual(kinds, [
      "UploadPart",
      "UploadPartCopy",
      "PutObject",
      "CreateMultipartUpload",
      "CompleteMultipartUpload",
      "AbortMultipartUpload",
      "ListMultipartUploads",
      "ListObjects",
      "DeleteObjects",
      "GetObject"
    ])
  })
})

describe.skipIf(engine === undefined)("the fault proxy's per-request faults", () => {
  const s3 = engine!
  const raw = rawClient(engine)
  const bucket = bucketName("chaos")
  beforeAll(async () => {
    await raw.send(new CreateBucketCommand({ Bucket: bucket }))
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: "big.bin", Body: Buffer.alloc(1024 * 1024, 7) }))
  })
  afterAll(async () => {
    await dropBucket(raw, bucket)
    raw.destroy()
  })

  /** A client through a proxy with `chaos`; the SDK's own retries off, so each fault shows. */
  const through = async (chaos: Chaos) => {
    const proxy = await startFaultProxy(s3.endpoint, { chaos })
    const client = new S3Client({
      endpoint: proxy.endpoint,
      region: s3.region,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
    })
    return {
      proxy,
      client,
      [Symbol.asyncDispose]: async () => {
        client.destroy()
        await proxy.close()
      }
    }
  }
  /** "ok", or the error's name, for `count` GETs one after the other. */
  const outcomes = async (client: S3Client, count: number) => {
    const seen: Array<string> = []
    for (let i = 0; i < count; i++) {
      seen.push(
        await client
          .send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin" }))
          .then((out) => out.Body!.transformToByteArray())
          .then(
            (body) => (body.length === 1024 * 1024 ? "ok" : `short ${body.length}`),
            (error: Error) => (error.name === "SlowDown" ? "SlowDown" : "broken")
          )
      )
    }
    return seen
  }

  test("503 SlowDown with S3's XML body; nothing forwarded; counted", async () => {
    await using h = await through({ seed: 1, slowDown: 1 })
    const response = await fetch(`${h.proxy.endpoint}/${bucket}/big.bin`)
    assert.strictEqual(response.status, 503)
    const body = await response.text()
    assert.include(body, "<Code>SlowDown</Code>")
    assert.include(body, `<Resource>/${bucket}/big.bin</Resource>`)
    const error = await h.client.send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin" })).catch((e: Error) => e)
    assert.strictEqual((error as Error).name, "SlowDown")
    assert.deepInclude(h.proxy.chaosCounts(), { requests: 2, slowDown: 2 })
  })

  test("the same seed, the same faults on the same requests; another seed, others", async () => {
    const chaos = { slowDown: 0.3, resetResponse: 0.3 }
    const run = async (seed: number) => {
      await using h = await through({ seed, ...chaos })
      return await outcomes(h.client, 12)
    }
    const first = await run(11)
    assert.deepStrictEqual(await run(11), first)
    assert.include(first, "ok")
    assert.include(first, "SlowDown")
    assert.include(first, "broken", "a reset mid-body breaks the answer")
    assert.notDeepEqual(await run(12), first)
  })

  test("`only` limits the faults to those request kinds; setChaos changes them at run time", async () => {
    await using h = await through({ seed: 3, slowDown: 1, only: ["PutObject"] })
    assert.deepStrictEqual(await outcomes(h.client, 3), ["ok", "ok", "ok"])
    const put = await h.client
      .send(new PutObjectCommand({ Bucket: bucket, Key: "refused.bin", Body: "x" }))
      .catch((e: Error) => e.name)
    assert.strictEqual(put, "SlowDown")
    h.proxy.setChaos(undefined)
    await h.client.send(new PutObjectCommand({ Bucket: bucket, Key: "accepted.bin", Body: "x" }))
  })

  test("a reset mid-request-body: the engine never runs the request", async () => {
    await using h = await through({ seed: 5, resetRequest: 1, only: ["PutObject"] })
    const put = await h.client
      .send(new PutObjectCommand({ Bucket: bucket, Key: "cut.bin", Body: Buffer.alloc(2 * 1024 * 1024, 1) }))
      .then(
        () => "stored",
        () => "broken"
      )
    assert.strictEqual(put, "broken")
    assert.strictEqual(h.proxy.chaosCounts().resetRequest, 1)
    const head = await raw.send(new GetObjectCommand({ Bucket: bucket, Key: "cut.bin" })).then(
      () => "exists",
      (e: Error) => e.name
    )
    assert.strictEqual(head, "NoSuchKey")
  })

  test("latency: every request waits within the range", async () => {
    await using h = await through({ seed: 9, latencyMs: [150, 200] })
    const started = Date.now()
    await outcomes(h.client, 3)
    assert.isAtLeast(Date.now() - started, 3 * 150)
    assert.strictEqual(h.proxy.chaosCounts().delayed, 3)
  })

  test("setChaos on a proxy started without { chaos } says how to get it", async () => {
    const proxy = await startFaultProxy(s3.endpoint)
    assert.throws(() => proxy.setChaos({ seed: 1 }), /started with \{ chaos \}/)
    await proxy.close()
  })
})
