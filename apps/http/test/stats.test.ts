/**
 * GET /v1/stats on the built HTTP app (fs driver, temp folder): admin scope, exact counts,
 * query validation, and the per-query cache (LOCALEX_HTTP_STATS_TTL) against ?refresh=true.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { removeRoot, type Server, sha256, startServer, tempRoot } from "./server.js"

const KEYS = { read: "stats-read-key", write: "stats-write-key", admin: "stats-admin-key" }
const API_KEYS = `${sha256(KEYS.read)}:read,${sha256(KEYS.write)}:read+write,${sha256(KEYS.admin)}:admin`
const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

interface StatsBody {
  generatedAt: string
  totals: { objects: number; bytes: number }
  byPrefix: { depth: number; entries: Array<{ prefix: string; objects: number; bytes: number }> }
  largest: Array<{ key: string }>
}

describe("GET /v1/stats", () => {
  let root: string
  let server: Server
  const at = (path: string) => `${server.url}${path}`
  const upload = async (key: string, bytes: number) => {
    const response = await fetch(at(`/v1/files?key=${encodeURIComponent(key)}`), {
      method: "POST",
      body: new Uint8Array(bytes),
      headers: { ...bearer(KEYS.write), "content-type": "application/octet-stream" }
    })
    assert.strictEqual(response.status, 201)
  }
  const stats = async (query = "", key = KEYS.admin) => {
    const response = await fetch(at(`/v1/stats${query}`), { headers: bearer(key) })
    assert.strictEqual(response.status, 200, await response.clone().text())
    return (await response.json()) as StatsBody
  }

  beforeAll(async () => {
    root = await tempRoot()
    server = await startServer(root, { LOCALEX_HTTP_API_KEYS: API_KEYS, LOCALEX_HTTP_STATS_TTL: "600" })
    await upload("items/1/a.jpg", 1000)
    await upload("items/2/b.jpg", 2500)
    await upload("profiles/7/me.jpg", 300)
  })
  afterAll(async () => {
    await server.stop()
    await removeRoot(root)
  })

  it("answers an admin key with exact counts, by prefix", async () => {
    const body = await stats("?largest=1")
    assert.deepStrictEqual(body.totals, { objects: 3, bytes: 3800 })
    assert.deepStrictEqual(body.byPrefix.entries, [
      { prefix: "items/", objects: 2, bytes: 3500 },
      { prefix: "profiles/", objects: 1, bytes: 300 }
    ])
    assert.deepStrictEqual(
      body.largest.map((o) => o.key),
      ["items/2/b.jpg"]
    )
    const items = await stats("?prefix=items/&depth=1")
    assert.deepStrictEqual(
      items.byPrefix.entries.map((e) => e.prefix),
      ["items/1/", "items/2/"]
    )
  })

  it("refuses a key without the admin scope (403) and no key (401)", async () => {
    for (const key of [KEYS.read, KEYS.write]) {
      const response = await fetch(at("/v1/stats"), { headers: bearer(key) })
      assert.strictEqual(response.status, 403)
      assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
    }
    assert.strictEqual((await fetch(at("/v1/stats"))).status, 401)
  })

  it("answers 400 problems for bad query values", async () => {
    for (const query of ["?depth=abc", "?depth=-1", "?largest=1.5", "?largest=100000", "?refresh=yes"]) {
      const response = await fetch(at(`/v1/stats${query}`), { headers: bearer(KEYS.admin) })
      assert.strictEqual(response.status, 400, query)
      assert.strictEqual(response.headers.get("content-type"), "application/problem+json", query)
    }
    const key = await fetch(at("/v1/stats?prefix=a/../b"), { headers: bearer(KEYS.admin) })
    assert.strictEqual(key.status, 400)
    assert.strictEqual(((await key.json()) as { type: string }).type, "urn:localex:problem:invalid-key")
  })

  it("serves a cached result per query until refresh=true", async () => {
    const first = await stats("?depth=2")
    await upload("items/3/c.jpg", 50)
    const cached = await stats("?depth=2")
    assert.deepStrictEqual(cached, first, "the same document from the cache")
    const fresh = await stats("?depth=2&refresh=true")
    assert.deepStrictEqual(fresh.totals, { objects: first.totals.objects + 1, bytes: first.totals.bytes + 50 })
    assert.notStrictEqual(fresh.generatedAt, first.generatedAt)
    // The refresh refilled the cache for that query.
    assert.deepStrictEqual(await stats("?depth=2"), fresh)
  })
})
