/**
 * /v1/files and /v1/content for users: the listing, downloads with a bearer key, stored objects
 * served so that they never run on the API's origin, conditional uploads, what signing refuses,
 * and the cap on bodies that are not uploads.
 */
import { randomBytes } from "node:crypto"
import { request as httpRequest } from "node:http"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { removeRoot, type Server, sha256, startServer, tempRoot } from "./server.js"

const KEYS = { read: "files-read-key", write: "files-write-key" }
const API_KEYS = `${sha256(KEYS.read)}:read,${sha256(KEYS.write)}:read+write`
const MAX_BODY = 4096
const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

interface Listing {
  readonly objects: ReadonlyArray<{ readonly key: string; readonly size: number }>
  readonly prefixes: ReadonlyArray<string>
  readonly nextCursor: string | null
}

/** POSTs 1 KiB chunks of JSON whitespace to /v1/files/sign (at most `chunks`) until the server answers. */
const sendUntilAnswered = (base: string, headers: Record<string, string>, chunks: number) =>
  new Promise<{ status: number; connection: string | undefined; sent: number }>((done, fail) => {
    const { hostname, port } = new URL(base)
    let sent = 0
    let answered = false
    const req = httpRequest(
      {
        hostname,
        port,
        method: "POST",
        path: "/v1/files/sign",
        headers: { ...bearer(KEYS.write), "content-type": "application/json", ...headers }
      },
      (res) => {
        answered = true
        res.resume()
        done({ status: res.statusCode ?? 0, connection: res.headers.connection, sent })
        req.destroy()
      }
    )
    req.on("error", (error) => (answered ? undefined : fail(error)))
    const chunk = Buffer.alloc(1024, 32)
    const pump = () => {
      while (!answered && sent / 1024 < chunks) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once("drain", pump)
      }
    }
    pump()
  })

describe("files for users", () => {
  let root: string
  let server: Server
  const at = (path: string) => `${server.url}${path}`
  const upload = async (key: string, body: string | Uint8Array, type?: string, headers: Record<string, string> = {}) =>
    fetch(at(`/v1/files?key=${encodeURIComponent(key)}`), {
      method: "POST",
      body: typeof body === "string" ? Buffer.from(body) : body,
      headers: { ...bearer(KEYS.write), ...(type === undefined ? {} : { "content-type": type }), ...headers }
    })
  const list = async (query: string, key = KEYS.read) => {
    const response = await fetch(at(`/v1/files?${query}`), { headers: bearer(key) })
    assert.strictEqual(response.status, 200, await response.clone().text())
    return (await response.json()) as Listing
  }
  const sign = (body: string, key = KEYS.write) =>
    fetch(at("/v1/files/sign"), {
      method: "POST",
      body,
      headers: { ...bearer(key), "content-type": "application/json" }
    })

  beforeAll(async () => {
    root = await tempRoot()
    server = await startServer(root, { LOCALEX_HTTP_API_KEYS: API_KEYS, LOCALEX_HTTP_MAX_BODY_BYTES: String(MAX_BODY) })
  })
  afterAll(async () => {
    await server?.stop()
    await removeRoot(root)
  })

  it("lists keys a page at a time (prefix, delimiter, cursor, limit) with the read scope", async () => {
    for (const key of ["list/a.txt", "list/b.txt", "list/c/1.txt", "list/c/2.txt", "list/d.txt", "other.txt"]) {
      assert.strictEqual((await upload(key, key)).status, 201)
    }
    const first = await list("prefix=list/&limit=2")
    assert.deepStrictEqual(
      first.objects.map((o) => o.key),
      ["list/a.txt", "list/b.txt"]
    )
    assert.strictEqual(first.objects[0]!.size, "list/a.txt".length)
    assert.isString(first.nextCursor)
    const second = await list(`prefix=list/&limit=2&cursor=${first.nextCursor}`)
    assert.deepStrictEqual(
      second.objects.map((o) => o.key),
      ["list/c/1.txt", "list/c/2.txt"]
    )
    const last = await list(`prefix=list/&limit=2&cursor=${second.nextCursor}`)
    assert.deepStrictEqual(
      last.objects.map((o) => o.key),
      ["list/d.txt"]
    )
    assert.isNull(last.nextCursor)

    const folders = await list("prefix=list/&delimiter=/")
    assert.deepStrictEqual(
      folders.objects.map((o) => o.key),
      ["list/a.txt", "list/b.txt", "list/d.txt"]
    )
    assert.deepStrictEqual(folders.prefixes, ["list/c/"])

    for (const bad of ["limit=0", "limit=1001", "cursor=%%%", "cursor=not_a!cursor", "prefix=a//"]) {
      const response = await fetch(at(`/v1/files?${bad}`), { headers: bearer(KEYS.read) })
      assert.strictEqual(response.status, 400, bad)
    }
    assert.strictEqual((await fetch(at("/v1/files"))).status, 401)
    const spec = (await (await fetch(at("/openapi.json"))).json()) as { paths: Record<string, Record<string, unknown>> }
    assert.hasAllKeys(spec.paths["/v1/files"]!, ["get", "post"])
    assert.property(spec.paths, "/v1/content/{key}")
  })

  it("GET /v1/content/{key} streams the bytes to a bearer holder, with Range and conditional requests", async () => {
    const bytes = randomBytes(3000)
    const created = await upload("content/blob.bin", bytes, "application/octet-stream")
    const { etag } = (await created.json()) as { etag: string }
    const whole = await fetch(at("/v1/content/content/blob.bin"), { headers: bearer(KEYS.read) })
    assert.strictEqual(whole.status, 200)
    assert.deepStrictEqual(Buffer.from(await whole.arrayBuffer()), bytes)
    assert.strictEqual(whole.headers.get("etag"), `"${etag}"`)
    // The cache policy's browser TTL for a mutable key, private: the response was to an API key.
    assert.strictEqual(whole.headers.get("cache-control"), "private, max-age=300")
    assert.isNull(whole.headers.get("cdn-cache-control"))

    const part = await fetch(at("/v1/content/content/blob.bin"), {
      headers: { ...bearer(KEYS.read), range: "bytes=100-199" }
    })
    assert.strictEqual(part.status, 206)
    assert.strictEqual(part.headers.get("content-range"), "bytes 100-199/3000")
    assert.deepStrictEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(100, 200))

    const same = await fetch(at("/v1/content/content/blob.bin"), {
      headers: { ...bearer(KEYS.read), "if-none-match": `"${etag}"` }
    })
    assert.strictEqual(same.status, 304)
    assert.strictEqual((await fetch(at("/v1/content/content/none.bin"), { headers: bearer(KEYS.read) })).status, 404)
    assert.strictEqual((await fetch(at("/v1/content/content/blob.bin"))).status, 401)
  })

  it("serves stored objects with nosniff and a sandbox CSP, active types as attachments", async () => {
    const cases: ReadonlyArray<readonly [string, string | undefined, boolean]> = [
      ["safe/page.html", "text/html", true],
      ["safe/page2.html", "TEXT/HTML; charset=utf-8", true],
      ["safe/logo.svg", "image/svg+xml", true],
      ["safe/feed.xml", "application/atom+xml", true],
      ["safe/app.js", "text/javascript", true],
      ["safe/photo.png", "image/png", false],
      ["safe/notes.txt", "text/plain", false]
    ]
    for (const [key, type] of cases)
      assert.strictEqual((await upload(key, "<script>alert(1)</script>", type)).status, 201)
    // A PUT URL signed without a content type takes any, text/html included.
    const signed = (await (await sign(JSON.stringify({ key: "safe/any.bin", method: "PUT" }))).json()) as {
      url: string
    }
    assert.strictEqual(
      (
        await fetch(signed.url, {
          method: "PUT",
          body: Buffer.from("<html>"),
          headers: { "content-type": "text/html" }
        })
      ).status,
      201
    )
    for (const [key, , active] of [...cases, ["safe/any.bin", "text/html", true] as const]) {
      const direct = await fetch(at(`/v1/content/${key}`), { headers: bearer(KEYS.read) })
      const url = ((await (await sign(JSON.stringify({ key }), KEYS.read)).json()) as { url: string }).url
      for (const response of [direct, await fetch(url)]) {
        assert.strictEqual(response.status, 200, key)
        assert.strictEqual(response.headers.get("x-content-type-options"), "nosniff", key)
        assert.match(response.headers.get("content-security-policy") ?? "", /(^|;\s*)sandbox(;|$)/, key)
        assert.strictEqual(response.headers.get("content-disposition"), active ? "attachment" : null, key)
      }
    }
  })

  it("If-Match on POST /v1/files replaces only the version it names; 412 otherwise", async () => {
    const first = (await (await upload("cas/doc.txt", "v1", "text/plain")).json()) as { etag: string }
    const stale = await upload("cas/doc.txt", "v2", "text/plain", { "if-match": '"0123456789abcdef"' })
    assert.strictEqual(stale.status, 412)
    const replaced = await upload("cas/doc.txt", "v2", "text/plain", { "if-match": `"${first.etag}"` })
    assert.strictEqual(replaced.status, 201, await replaced.clone().text())
    const again = await upload("cas/doc.txt", "v3", "text/plain", { "if-match": `"${first.etag}"` })
    assert.strictEqual(again.status, 412)
    assert.strictEqual((await upload("cas/missing.txt", "x", "text/plain", { "if-match": "*" })).status, 412)
    assert.strictEqual((await upload("cas/doc.txt", "x", "text/plain", { "if-match": 'W/"abc"' })).status, 400)
    assert.strictEqual(
      (await upload("cas/doc.txt", "x", "text/plain", { "if-match": "*", "if-none-match": "*" })).status,
      400
    )
    const now = await fetch(at("/v1/content/cas/doc.txt"), { headers: bearer(KEYS.read) })
    assert.strictEqual(await now.text(), "v2")
    assert.strictEqual((await fetch(at("/v1/files/cas/missing.txt"), { headers: bearer(KEYS.read) })).status, 404)
  })

  it("refuses a contentType with control characters at signing", async () => {
    for (const contentType of ["image/png\r\nx-evil: 1", "text/html\u0000", "image/png\t", "not a type"]) {
      const response = await sign(JSON.stringify({ key: "signed/x.png", method: "PUT", contentType }))
      assert.strictEqual(response.status, 400, JSON.stringify(contentType))
    }
    const ok = await sign(
      JSON.stringify({ key: "signed/x.txt", method: "PUT", contentType: "text/plain; charset=utf-8" })
    )
    assert.strictEqual(ok.status, 200, await ok.clone().text())
  })

  it("caps bodies that are not uploads: 413 problem from Content-Length before reading, or as a body without one passes the cap", async () => {
    // Padding is valid JSON: under the cap it is signed, over it refused.
    const padded = (size: number) => `{"key":"cap/a.txt"${" ".repeat(size)}}`
    assert.strictEqual((await sign(padded(MAX_BODY - 100))).status, 200)
    const over = await sign(padded(MAX_BODY))
    assert.strictEqual(over.status, 413)
    assert.strictEqual(over.headers.get("content-type"), "application/problem+json")
    assert.include(((await over.json()) as { detail: string }).detail, "LOCALEX_HTTP_MAX_BODY_BYTES")

    // 100 MB announced, 1 KiB sent: the answer comes without the rest, and the connection closes.
    const announced = await sendUntilAnswered(server.url, { "content-length": String(100e6) }, 1)
    assert.deepStrictEqual([announced.status, announced.connection], [413, "close"])
    // A body without Content-Length that never ends is cut at the cap (a server that read on would never answer).
    const endless = await sendUntilAnswered(server.url, { "transfer-encoding": "chunked" }, Number.POSITIVE_INFINITY)
    assert.deepStrictEqual([endless.status, endless.connection], [413, "close"])
  })
})
