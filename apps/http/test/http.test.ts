/**
 * The built HTTP app on an ephemeral port, on the fs driver in a temp folder: auth, uploads,
 * limits, signed downloads, metrics and graceful shutdown, through real HTTP.
 */
import { randomBytes } from "node:crypto"
import { readFile, stat } from "node:fs/promises"
import { request as httpRequest } from "node:http"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { SignedUrl } from "@localex/storage-core"
import { removeRoot, type Server, sha256, startServer, tempRoot } from "./server.js"

const KEYS = { read: "test-read-key", write: "test-write-key", admin: "test-admin-key" }
const API_KEYS = `${sha256(KEYS.read)}:read,${sha256(KEYS.write)}:read+write,${sha256(KEYS.admin)}:admin`
const LIMIT = 64 * 1024

const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

const assertProblem = async (response: Response, status: number, type?: string) => {
  assert.strictEqual(response.status, status)
  assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
  const body = (await response.json()) as { type: string; title: string; status: number; detail?: string }
  assert.strictEqual(body.status, status)
  assert.isString(body.title)
  if (type !== undefined) assert.strictEqual(body.type, `urn:localex:problem:${type}`)
  return body
}

describe("the HTTP API", () => {
  let root: string
  let server: Server
  const at = (path: string) => `${server.url}${path}`
  const upload = (key: string, body: Uint8Array | string, apiKey = KEYS.write, type = "image/png") =>
    fetch(at(`/v1/files?key=${encodeURIComponent(key)}`), {
      method: "POST",
      body,
      headers: { ...bearer(apiKey), "content-type": type }
    })
  const sign = (key: string, options: Record<string, unknown> = {}, apiKey = KEYS.read) =>
    fetch(at("/v1/files/sign"), {
      method: "POST",
      body: JSON.stringify({ key, ...options }),
      headers: { ...bearer(apiKey), "content-type": "application/json" }
    })

  beforeAll(async () => {
    root = await tempRoot()
    server = await startServer(root, { LOCALEX_HTTP_API_KEYS: API_KEYS, LOCALEX_HTTP_MAX_UPLOAD_BYTES: String(LIMIT) })
  })
  afterAll(async () => {
    await server.stop()
    await removeRoot(root)
  })

  it("serves /health, /openapi.json and the docs without a key", async () => {
    const health = await fetch(at("/health"))
    assert.strictEqual(health.status, 200)
    assert.deepStrictEqual(await health.json(), { status: "ok", driver: "fs" })
    const spec = (await (await fetch(at("/openapi.json"))).json()) as { paths: Record<string, unknown> }
    assert.includeMembers(Object.keys(spec.paths), [
      "/v1/files",
      "/v1/files/{key}",
      "/v1/files/sign",
      "/v1/signed/{key}"
    ])
    const docs = await fetch(at("/docs"))
    assert.strictEqual(docs.status, 200)
    const html = await docs.text()
    // The docs page carries its script inline: it works offline.
    assert.include(html, '<script id="api-reference"')
    assert.notMatch(html, /<script[^>]+src="https?:/)
  })

  it("refuses requests without a key, with an unknown key, or without the scope", async () => {
    const none = await fetch(at("/v1/files?key=a.png"), { method: "POST", body: "x" })
    await assertProblem(none, 401, "unauthorized")
    assert.strictEqual(none.headers.get("www-authenticate"), "Bearer")
    await assertProblem(await upload("a.png", "x", "not-a-key"), 401, "unauthorized")
    await assertProblem(await upload("a.png", "x", KEYS.read), 403, "forbidden")
    await assertProblem(await sign("a.png", { method: "PUT" }, KEYS.read), 403, "forbidden")
    await assertProblem(await fetch(at("/v1/files/a.png")), 401)
    assert.strictEqual((await fetch(at("/v1/files/a.png"), { headers: bearer(KEYS.read) })).status, 404)
  })

  it("round-trips an upload: metadata, signed download with cache headers, delete", async () => {
    const bytes = randomBytes(40_000)
    const created = await upload("items/5/photo one.png", bytes)
    assert.strictEqual(created.status, 201, await created.clone().text())
    const info = (await created.json()) as { key: string; size: number; etag: string; contentType: string }
    assert.deepInclude(info, { key: "items/5/photo one.png", size: bytes.length, contentType: "image/png" })

    const meta = await fetch(at("/v1/files/items/5/photo%20one.png"), { headers: bearer(KEYS.read) })
    assert.strictEqual(meta.status, 200)
    assert.strictEqual(((await meta.json()) as { etag: string }).etag, info.etag)

    const signed = (await (await sign("items/5/photo one.png", { expiresIn: 600 })).json()) as { url: string }
    assert.isTrue(signed.url.startsWith(`${server.url}/v1/signed/items/5/photo%20one.png?`))
    const download = await fetch(signed.url)
    assert.strictEqual(download.status, 200)
    assert.deepStrictEqual(Buffer.from(await download.arrayBuffer()), bytes)
    assert.strictEqual(download.headers.get("content-type"), "image/png")
    assert.strictEqual(download.headers.get("etag"), `"${info.etag}"`)
    assert.strictEqual(download.headers.get("accept-ranges"), "bytes")
    assert.isNotNull(download.headers.get("last-modified"))
    // The cache policy of a mutable key (a signed URL is its own authorisation).
    assert.strictEqual(download.headers.get("cache-control"), "public, max-age=300")

    const again = await fetch(signed.url, { headers: { "if-none-match": `"${info.etag}"` } })
    assert.strictEqual(again.status, 304)

    const again412 = await fetch(at("/v1/files?key=items/5/photo%20one.png"), {
      method: "POST",
      body: "other",
      headers: { ...bearer(KEYS.write), "if-none-match": "*" }
    })
    await assertProblem(again412, 412, "precondition-failed")

    const head = await fetch(signed.url, { method: "HEAD" })
    assert.strictEqual(head.status, 200)
    assert.strictEqual(head.headers.get("content-length"), String(bytes.length))

    const removed = await fetch(at("/v1/files/items/5/photo%20one.png"), {
      method: "DELETE",
      headers: bearer(KEYS.write)
    })
    assert.strictEqual(removed.status, 204)
    await assertProblem(
      await fetch(at("/v1/files/items/5/photo%20one.png"), { headers: bearer(KEYS.read) }),
      404,
      "not-found"
    )
  })

  it("serves byte ranges of a signed download (206, Content-Range) and 416 outside the object", async () => {
    const bytes = randomBytes(1000)
    assert.strictEqual((await upload("items/6/range.bin", bytes)).status, 201)
    const { url } = (await (await sign("items/6/range.bin")).json()) as { url: string }

    const part = await fetch(url, { headers: { range: "bytes=10-19" } })
    assert.strictEqual(part.status, 206)
    assert.strictEqual(part.headers.get("content-range"), "bytes 10-19/1000")
    assert.strictEqual(part.headers.get("content-length"), "10")
    assert.deepStrictEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(10, 20))

    const tail = await fetch(url, { headers: { range: "bytes=-5" } })
    assert.strictEqual(tail.status, 206)
    assert.deepStrictEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(995))

    const open = await fetch(url, { headers: { range: "bytes=990-" } })
    assert.strictEqual(open.headers.get("content-range"), "bytes 990-999/1000")

    const outside = await fetch(url, { headers: { range: "bytes=5000-" } })
    assert.strictEqual(outside.headers.get("content-range"), "bytes */1000")
    await assertProblem(outside, 416, "range-not-satisfiable")
  })

  it("refuses tampered and expired signatures with 403", async () => {
    assert.strictEqual((await upload("items/7/a.png", "a")).status, 201)
    const { url } = (await (await sign("items/7/a.png")).json()) as { url: string }
    const tampered = new URL(url)
    const sig = tampered.searchParams.get("sig")!
    tampered.searchParams.set("sig", `${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`)
    await assertProblem(await fetch(tampered), 403, "forbidden")

    const otherKey = new URL(url.replace("/items/7/a.png", "/items/7/b.png"))
    await assertProblem(await fetch(otherKey), 403, "forbidden")

    // A URL signed with the server's own secret, one minute in the past.
    const secret = (await readFile(join(root, "data/.localex/signing-secret"), "utf8")).trim()
    const expired = SignedUrl.sign({
      secret,
      publicUrl: server.url,
      key: "items/7/a.png",
      method: "GET",
      expiresAt: new Date(Date.now() - 60_000)
    })
    const body = await assertProblem(await fetch(expired), 403, "forbidden")
    assert.include(body.detail, "expired")
  })

  it("signed PUT: bound to a Content-Type takes exactly that one; signed without, takes any", async () => {
    // Bytes, not a string: fetch adds no Content-Type of its own.
    const put = (url: string, body: string, type?: string) =>
      fetch(url, {
        method: "PUT",
        body: Buffer.from(body),
        headers: type === undefined ? {} : { "content-type": type }
      })
    const stored = async (key: string) =>
      (await (await fetch(at(`/v1/files/${key}`), { headers: bearer(KEYS.read) })).json()) as {
        size: number
        contentType: string | null
      }

    const bound = (await (
      await sign("uploads/bound.jpg", { method: "PUT", contentType: "image/jpeg" }, KEYS.write)
    ).json()) as { url: string; headers: Record<string, string> }
    assert.deepStrictEqual(bound.headers, { "content-type": "image/jpeg" })
    const wrong = await assertProblem(await put(bound.url, "png?", "image/png"), 403, "forbidden")
    assert.include(wrong.detail, 'Content-Type "image/png"')
    const none = await assertProblem(await put(bound.url, "none"), 403, "forbidden")
    assert.include(none.detail, "no Content-Type")
    assert.strictEqual((await fetch(at("/v1/files/uploads/bound.jpg"), { headers: bearer(KEYS.read) })).status, 404)
    assert.strictEqual((await put(bound.url, "jpeg", "image/jpeg")).status, 201)
    assert.deepInclude(await stored("uploads/bound.jpg"), { size: 4, contentType: "image/jpeg" })

    const any = (await (await sign("uploads/any.bin", { method: "PUT" }, KEYS.write)).json()) as {
      url: string
      headers: Record<string, string>
    }
    assert.deepStrictEqual(any.headers, {})
    const first = await put(any.url, "first", "text/plain")
    assert.strictEqual(first.status, 201, await first.clone().text())
    assert.deepInclude(await stored("uploads/any.bin"), { size: 5, contentType: "text/plain" })
    assert.strictEqual((await put(any.url, "second!", "application/x-custom")).status, 201)
    assert.deepInclude(await stored("uploads/any.bin"), { size: 7, contentType: "application/x-custom" })
    assert.strictEqual((await put(any.url, "no type")).status, 201)
    assert.deepInclude(await stored("uploads/any.bin"), { size: 7 })
    // Still only for its key.
    await assertProblem(await put(any.url.replace("/uploads/any.bin", "/uploads/other.bin"), "x", "text/plain"), 403)
  })

  it("refuses an upload over the limit with 413 and stores nothing", async () => {
    await assertProblem(await upload("items/8/big.bin", randomBytes(LIMIT + 1)), 413, "payload-too-large")
    // Without Content-Length (chunked), the limit holds as the bytes arrive.
    const chunks = [randomBytes(LIMIT / 2), randomBytes(LIMIT / 2), randomBytes(1024)]
    const streamed = await fetch(at("/v1/files?key=items/8/streamed.bin"), {
      method: "POST",
      headers: bearer(KEYS.write),
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift()
          if (next === undefined) controller.close()
          else controller.enqueue(next)
        }
      }),
      duplex: "half"
    } as RequestInit)
    await assertProblem(streamed, 413, "payload-too-large")
    for (const key of ["items/8/big.bin", "items/8/streamed.bin"]) {
      const response = await fetch(at(`/v1/files/${key}`), { headers: bearer(KEYS.read) })
      assert.strictEqual(response.status, 404, key)
    }
  })

  it("refuses an invalid key with 400 before storing anything", async () => {
    const body = await assertProblem(await upload("a/../b", "x"), 400, "invalid-key")
    assert.include(body.detail, '".." segment')
    await assertProblem(await fetch(at("/v1/files/a%2F..%2Fb"), { headers: bearer(KEYS.read) }), 400, "invalid-key")
    await assertProblem(await sign("/etc/passwd"), 400, "invalid-key")
    const dataFolder = await stat(join(root, "data/a")).catch(() => undefined)
    assert.isUndefined(dataFolder)
    // Malformed input never reaches the store either: a problem from the request decoder.
    await assertProblem(await sign("x", { expiresIn: -1 }), 400)
    await assertProblem(await fetch(at("/no/such/route")), 404)
  })
})

describe("/metrics", () => {
  it("counts the requests just made, by route template and status, and times store operations", async () => {
    const root = await tempRoot()
    const server = await startServer(root, { LOCALEX_HTTP_API_KEYS: API_KEYS })
    try {
      const post = (key: string, apiKey = KEYS.write) =>
        fetch(`${server.url}/v1/files?key=${key}`, { method: "POST", body: "x", headers: bearer(apiKey) })
      assert.strictEqual((await post("m/1")).status, 201)
      assert.strictEqual((await post("m/2")).status, 201)
      assert.strictEqual((await post("m/3", "wrong")).status, 401)
      for (let i = 0; i < 3; i++) {
        assert.strictEqual((await fetch(`${server.url}/v1/files/m/1`, { headers: bearer(KEYS.read) })).status, 200)
      }
      assert.strictEqual((await fetch(`${server.url}/v1/files/m/none`, { headers: bearer(KEYS.read) })).status, 404)

      const text = await (await fetch(`${server.url}/metrics`)).text()
      const value = (series: string) => {
        const line = text.split("\n").find((l) => l.startsWith(`${series} `))
        return line === undefined ? undefined : Number(line.slice(series.length + 1))
      }
      const requests = (method: string, route: string, status: number) =>
        value(`localex_http_requests_total{method="${method}",route="${route}",status="${status}"}`)
      assert.strictEqual(requests("POST", "/v1/files", 201), 2)
      assert.strictEqual(requests("POST", "/v1/files", 401), 1)
      assert.strictEqual(requests("GET", "/v1/files/*", 200), 3)
      assert.strictEqual(requests("GET", "/v1/files/*", 404), 1)
      assert.strictEqual(
        value('localex_http_request_duration_seconds_count{method="GET",route="/v1/files/*",status="200"}'),
        3
      )
      assert.strictEqual(value('localex_store_operation_duration_seconds_count{operation="put",outcome="ok"}'), 2)
      // The monitoring package's Effect metrics, on the same page: two 1-byte uploads.
      assert.strictEqual(value('localex_store_bytes_total{direction="upload"}'), 2)
      assert.strictEqual(value('localex_store_operation_duration_seconds_count{operation="head",outcome="ok"}'), 3)
      assert.strictEqual(
        value('localex_store_operation_duration_seconds_count{operation="head",outcome="ObjectNotFound"}'),
        1
      )
    } finally {
      await server.stop()
      await removeRoot(root)
    }
  })
})

describe("a store that does not answer", () => {
  it("makes /health answer 503, and the s3 driver needs configured keys", async () => {
    const root = await tempRoot()
    const s3 = {
      LOCALEX_STORAGE_DRIVER: "s3",
      LOCALEX_STORAGE_BUCKET: "nowhere",
      AWS_ENDPOINT_URL_S3: "http://127.0.0.1:9",
      AWS_ACCESS_KEY_ID: "x",
      AWS_SECRET_ACCESS_KEY: "y",
      LOCALEX_STORAGE_MAX_ATTEMPTS: "1"
    }
    try {
      const refused = await startServer(root, s3).then(
        () => "started",
        (error: Error) => error.message
      )
      assert.include(refused, "LOCALEX_HTTP_API_KEYS")
      const server = await startServer(root, { ...s3, LOCALEX_HTTP_API_KEYS: API_KEYS })
      try {
        await assertProblem(await fetch(`${server.url}/health`), 503, "unavailable")
        // Signed URLs of the s3 driver point at S3, not here.
        await assertProblem(await fetch(`${server.url}/v1/signed/a.png?method=GET&expires=1&sig=x`), 404)
      } finally {
        assert.strictEqual(await server.stop(), 0)
      }
    } finally {
      await removeRoot(root)
    }
  })
})

describe("development key", () => {
  it("is generated once for the fs driver, kept 0600 in the app's state folder (not the data folder), and printed", async () => {
    const root = await tempRoot()
    try {
      const first = await startServer(root)
      const printed = /development API key[^:]*: (\S+)/.exec(first.output())?.[1]
      assert.isString(printed)
      const file = join(root, "state/dev-key")
      assert.strictEqual((await readFile(file, "utf8")).trim(), printed)
      assert.strictEqual((await stat(file)).mode & 0o777, 0o600)
      const ok = await fetch(`${first.url}/v1/files?key=dev.txt`, {
        method: "POST",
        body: "x",
        headers: bearer(printed!)
      })
      assert.strictEqual(ok.status, 201)
      assert.strictEqual(await first.stop(), 0)

      const second = await startServer(root)
      assert.include(second.output(), printed!)
      await second.stop()
    } finally {
      await removeRoot(root)
    }
  })
})

describe("graceful shutdown", () => {
  it("finishes a request in flight after SIGTERM, refuses new ones, and exits 0", async () => {
    const root = await tempRoot()
    const server = await startServer(root, { LOCALEX_HTTP_API_KEYS: API_KEYS })
    try {
      const { hostname, port } = new URL(server.url)
      const half = randomBytes(8 * 1024)
      const response = new Promise<{ status: number; body: string }>((done, fail) => {
        const req = httpRequest(
          {
            hostname,
            port,
            method: "POST",
            path: "/v1/files?key=slow/upload.bin",
            headers: { ...bearer(KEYS.write), "content-length": String(half.length * 2) }
          },
          (res) => {
            let body = ""
            res.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")))
            res.on("end", () => done({ status: res.statusCode ?? 0, body }))
          }
        )
        req.on("error", fail)
        req.write(half)
        // The rest arrives after SIGTERM.
        setTimeout(() => {
          server.child.kill("SIGTERM")
          setTimeout(() => req.end(half), 500)
        }, 300)
      })
      const exited = new Promise<number | null>((done) => server.child.once("exit", done))
      await new Promise((wait) => setTimeout(wait, 550))
      const refused = await fetch(`${server.url}/health`).then(
        () => "answered",
        () => "refused"
      )
      assert.strictEqual(refused, "refused", "no new connections once stopping")
      const result = await response
      assert.strictEqual(result.status, 201, result.body)
      assert.strictEqual(JSON.parse(result.body).size, half.length * 2)
      assert.strictEqual(await exited, 0)
    } finally {
      await removeRoot(root)
    }
  })
})
