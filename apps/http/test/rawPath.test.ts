/**
 * Every route acts on exactly the key in the raw path, or refuses it with 400: no `;` cutting,
 * no `//` merging, no trailing-slash trimming, no resolving of an absolute-form target, and a
 * query that is not valid percent-encoding is refused (requests sent verbatim with node:http).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { raw } from "./raw.js"
import { removeRoot, type Server, sha256, startServer, tempRoot } from "./server.js"

const KEY = "raw-path-key"
const auth = { authorization: `Bearer ${KEY}` }

describe("raw paths", () => {
  let root: string
  let server: Server
  const put = async (key: string, body = `bytes of ${key}`) => {
    const response = await raw(server.url, "POST", `/v1/files?key=${encodeURIComponent(key)}`, auth, body)
    assert.strictEqual(response.status, 201, response.body)
  }
  const statKey = async (target: string) => {
    const response = await raw(server.url, "GET", target, auth)
    return { status: response.status, key: response.status === 200 ? JSON.parse(response.body).key : undefined }
  }

  beforeAll(async () => {
    root = await tempRoot()
    server = await startServer(root, { LOCALEX_HTTP_API_KEYS: `${sha256(KEY)}:admin` })
  })
  afterAll(async () => {
    await server?.stop()
    await removeRoot(root)
  })

  it("DELETE /v1/files/semi;v2.txt deletes semi;v2.txt, not semi", async () => {
    await put("semi")
    await put("semi;v2.txt")
    const removed = await raw(server.url, "DELETE", "/v1/files/semi;v2.txt", auth)
    assert.strictEqual(removed.status, 204)
    assert.deepStrictEqual(await statKey("/v1/files/semi"), { status: 200, key: "semi" })
    assert.strictEqual((await statKey("/v1/files/semi;v2.txt")).status, 404)
  })

  it("GET /v1/files/dir;x/a reads dir;x/a, not dir", async () => {
    await put("dir")
    await put("dir;x/a")
    assert.deepStrictEqual(await statKey("/v1/files/dir;x/a"), { status: 200, key: "dir;x/a" })
    assert.deepStrictEqual(await statKey("/v1/files/dir%3Bx/a"), { status: 200, key: "dir;x/a" })
  })

  it("DELETE /v1/files/trail/ deletes trail/, not trail", async () => {
    await put("trail")
    await put("trail/")
    assert.strictEqual((await raw(server.url, "DELETE", "/v1/files/trail/", auth)).status, 204)
    assert.deepStrictEqual(await statKey("/v1/files/trail"), { status: 200, key: "trail" })
    assert.strictEqual((await statKey("/v1/files/trail/")).status, 404)
  })

  it("refuses a//b, an absolute-form a/../b and a bad escape with 400 instead of looking up another key", async () => {
    await put("a/b")
    for (const target of [
      "/v1/files/a//b",
      `${server.url}/v1/files/a/../b`,
      `${server.url}/v1/files/x/%2e%2e/a/b`,
      "/v1/files/a/%FF"
    ]) {
      const response = await raw(server.url, "GET", target, auth)
      assert.strictEqual(response.status, 400, `${target}: ${response.body}`)
      assert.strictEqual(JSON.parse(response.body).type, "urn:localex:problem:invalid-key", target)
    }
    assert.deepStrictEqual(await statKey("/v1/files/a/b"), { status: 200, key: "a/b" })
    assert.deepStrictEqual(await statKey("/v1/files/a%2Fb"), { status: 200, key: "a/b" })
  })

  it("serves a signed URL for a key ending in /", async () => {
    await put("folder/", "marker")
    const signed = await raw(
      server.url,
      "POST",
      "/v1/files/sign",
      { ...auth, "content-type": "application/json" },
      JSON.stringify({ key: "folder/" })
    )
    assert.strictEqual(signed.status, 200, signed.body)
    const url = new URL(JSON.parse(signed.body).url)
    const download = await raw(server.url, "GET", `${url.pathname}${url.search}`)
    assert.strictEqual(download.status, 200, download.body)
    assert.strictEqual(download.body, "marker")
  })

  it("?key=%FF is refused with 400; ?key=%25FF stores the key %FF", async () => {
    const refused = await raw(server.url, "POST", "/v1/files?key=%FF", auth, "x")
    assert.strictEqual(refused.status, 400, refused.body)
    assert.strictEqual(JSON.parse(refused.body).type, "urn:localex:problem:bad-request")
    assert.strictEqual((await statKey("/v1/files/%25FF")).status, 404)
    const stored = await raw(server.url, "POST", "/v1/files?key=%25FF", auth, "x")
    assert.strictEqual(stored.status, 201, stored.body)
    assert.strictEqual(JSON.parse(stored.body).key, "%FF")
    assert.deepStrictEqual(await statKey("/v1/files/%25FF"), { status: 200, key: "%FF" })
  })

  it("keeps the case of the path: /V1/FILES/… is no route", async () => {
    await put("Case")
    assert.strictEqual((await raw(server.url, "GET", "/V1/FILES/Case", auth)).status, 404)
    assert.deepStrictEqual(await statKey("/v1/files/Case"), { status: 200, key: "Case" })
  })
})
