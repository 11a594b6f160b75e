/**
 * Single-part puts are signed PUTs sent without the SDK (drivers/s3/putObject.ts). Against a
 * real HTTP server that answers as S3 would: what goes on the wire (headers, payload hash,
 * CRC32, the condition unquoted), the retry policy (SlowDown twice, then 200) and the typed
 * errors (403, 412, 409, 404 under If-Match). The contract tests run the same puts against RGW.
 */
import { createHash } from "node:crypto"
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { crc32 } from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, type Scope } from "effect"
import { afterAll, beforeAll, beforeEach } from "vitest"
import * as S3 from "../src/drivers/S3.js"
import { MiB } from "../src/drivers/s3/multipart.js"
import { RetryBaseDelay } from "../src/drivers/s3/retry.js"
import type { S3Options } from "../src/StorageConfig.js"

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: Buffer
}
interface Answer {
  readonly status: number
  readonly code?: string
}

const seen: Array<Seen> = []
let script: Array<Answer> = []
let server: Server
let endpoint = ""

const errorXml = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} (scripted)</Message></Error>`

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      seen.push({
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks)
      })
      const answer = script.shift() ?? { status: 200 }
      if (answer.status === 200) {
        response.writeHead(200, { etag: '"5d41402abc4b2a76b9719d911017c592"', "x-amz-version-id": "v1" }).end()
      } else {
        response.writeHead(answer.status, { "content-type": "application/xml" }).end(errorXml(answer.code ?? "Error"))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
beforeEach(() => {
  seen.length = 0
  script = []
})

const options = (): S3Options => ({
  bucket: "photos",
  region: "eu-west-1",
  endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  checksums: "when_supported",
  multipartThreshold: 5 * MiB,
  partSize: 5 * MiB,
  concurrency: 4,
  maxAttempts: 3
})

const scoped = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) =>
  Effect.scoped(effect).pipe(Effect.provideService(RetryBaseDelay, Duration.zero))

describe("single-part put as a signed PUT", () => {
  it.effect("sends the bytes, their SHA-256, CRC32, write headers and metadata; returns the object", () =>
    scoped(
      Effect.gen(function* () {
        const store = yield* S3.make(options())
        const body = new TextEncoder().encode("hello")
        const info = yield* store.put("items/1/photo ä.jpg", body, {
          contentType: "image/jpeg",
          cacheControl: "public, max-age=60",
          metadata: { "localex-sha256": createHash("sha256").update(body).digest("hex"), Note: "é" },
          tags: { kind: "photo" }
        })
        assert.deepStrictEqual([info.etag, info.size, info.versionId], ["5d41402abc4b2a76b9719d911017c592", 5, "v1"])
        assert.strictEqual(seen.length, 1)
        const [put] = seen
        assert.strictEqual(put!.method, "PUT")
        assert.strictEqual(put!.url, "/photos/items/1/photo%20%C3%A4.jpg")
        assert.strictEqual(put!.body.toString(), "hello")
        const crc = Buffer.alloc(4)
        crc.writeUInt32BE(crc32(body))
        const headers = put!.headers
        assert.strictEqual(headers["x-amz-content-sha256"], createHash("sha256").update(body).digest("hex"))
        assert.strictEqual(headers["x-amz-checksum-crc32"], crc.toString("base64"))
        assert.strictEqual(headers["content-length"], "5")
        assert.strictEqual(headers["content-type"], "image/jpeg")
        assert.strictEqual(headers["cache-control"], "public, max-age=60")
        assert.strictEqual(headers["x-amz-meta-localex-sha256"], headers["x-amz-content-sha256"])
        assert.strictEqual(headers["x-amz-meta-note"], "=?UTF-8?B?w6k=?=")
        assert.strictEqual(headers["x-amz-tagging"], "kind=photo")
        assert.match(String(headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\//)
        assert.include(String(headers.authorization), "x-amz-content-sha256")
      })
    )
  )

  it.effect("SlowDown twice then success: the put succeeds after 3 requests", () =>
    scoped(
      Effect.gen(function* () {
        script = [
          { status: 503, code: "SlowDown" },
          { status: 503, code: "SlowDown" }
        ]
        const store = yield* S3.make(options())
        const info = yield* store.put("a", new TextEncoder().encode("hello"))
        assert.strictEqual(info.etag, "5d41402abc4b2a76b9719d911017c592")
        assert.strictEqual(seen.length, 3)
      })
    )
  )

  it.effect("403 is AccessDenied at once, never retried", () =>
    scoped(
      Effect.gen(function* () {
        script = [{ status: 403, code: "AccessDenied" }]
        const store = yield* S3.make(options())
        const error = yield* Effect.flip(store.put("a", new Uint8Array([1])))
        assert.strictEqual(error._tag, "AccessDenied")
        assert.strictEqual(seen.length, 1)
      })
    )
  )

  it.effect("412 and 409 ConditionalRequestConflict are PreconditionFailed; If-Match goes unquoted", () =>
    scoped(
      Effect.gen(function* () {
        script = [
          { status: 412, code: "PreconditionFailed" },
          { status: 409, code: "ConditionalRequestConflict" }
        ]
        const store = yield* S3.make(options())
        const created = yield* Effect.flip(store.put("a", new Uint8Array([1]), { ifNoneMatch: "*" }))
        assert.strictEqual(created._tag, "PreconditionFailed")
        const swapped = yield* Effect.flip(store.put("a", new Uint8Array([1]), { ifMatch: '"abc"' }))
        assert.strictEqual(swapped._tag, "PreconditionFailed")
        assert.deepStrictEqual(
          seen.map((request) => [request.headers["if-none-match"], request.headers["if-match"]]),
          [
            ["*", undefined],
            [undefined, "abc"]
          ]
        )
      })
    )
  )

  it.effect("a missing key under If-Match (AWS answers 404) is PreconditionFailed", () =>
    scoped(
      Effect.gen(function* () {
        script = [{ status: 404, code: "NoSuchKey" }]
        const store = yield* S3.make(options())
        const error = yield* Effect.flip(store.put("a", new Uint8Array([1]), { ifMatch: "abc" }))
        assert.strictEqual(error._tag, "PreconditionFailed")
        assert.strictEqual(seen.length, 1)
      })
    )
  )
})
