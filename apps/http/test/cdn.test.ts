/**
 * The CDN parts of the built HTTP app (fs driver, temp folder, local mode: no distribution):
 * downloads carry @localex/cdn's cache policy (and answer If-None-Match with 304), and the admin
 * routes plan invalidations ("nothing to invalidate") and refuse to warm a foreign host.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { removeRoot, type Server, sha256, startServer, tempRoot } from "./server.js"

const KEYS = { read: "cdn-read-key", write: "cdn-write-key", admin: "cdn-admin-key" }
const API_KEYS = `${sha256(KEYS.read)}:read,${sha256(KEYS.write)}:read+write,${sha256(KEYS.admin)}:admin`
const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

const problemOf = async (response: Response, status: number, type: string) => {
  assert.strictEqual(response.status, status)
  assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
  const body = (await response.json()) as { type: string; detail?: string }
  assert.strictEqual(body.type, `urn:localex:problem:${type}`)
  return body
}

describe("CDN: cache policy on downloads, admin routes (local mode)", () => {
  let root: string
  let server: Server
  const at = (path: string) => `${server.url}${path}`
  const post = (path: string, body: unknown, key = KEYS.admin) =>
    fetch(at(path), {
      method: "POST",
      body: JSON.stringify(body),
      headers: { ...bearer(key), "content-type": "application/json" }
    })
  const upload = async (key: string, body: string, type: string) => {
    const response = await fetch(at(`/v1/files?key=${encodeURIComponent(key)}`), {
      method: "POST",
      body,
      headers: { ...bearer(KEYS.write), "content-type": type }
    })
    assert.strictEqual(response.status, 201, await response.clone().text())
    return ((await response.json()) as { etag: string }).etag
  }

  beforeAll(async () => {
    root = await tempRoot()
    server = await startServer(root, {
      LOCALEX_HTTP_API_KEYS: API_KEYS,
      LOCALEX_CDN_BASE_URL: "https://cdn.localex.test",
      LOCALEX_CDN_DOMAINS: "cdn.localex.test"
    })
  })
  afterAll(async () => {
    await server.stop()
    await removeRoot(root)
  })

  it("serves a signed download with the policy's headers and its ETag; If-None-Match → 304 with the same headers", async () => {
    const etag = await upload("docs/guide.json", '{"hello":"world"}', "application/json")
    const signed = (await (await post("/v1/files/sign", { key: "docs/guide.json" }, KEYS.read)).json()) as {
      url: string
    }
    const download = await fetch(signed.url)
    assert.strictEqual(download.status, 200)
    assert.strictEqual(await download.text(), '{"hello":"world"}')
    assert.strictEqual(download.headers.get("cache-control"), "public, max-age=300")
    assert.strictEqual(download.headers.get("vary"), "Accept-Encoding")
    assert.strictEqual(download.headers.get("etag"), `"${etag}"`)

    const again = await fetch(signed.url, { headers: { "if-none-match": `"${etag}"` } })
    assert.strictEqual(again.status, 304)
    assert.strictEqual(await again.text(), "")
    assert.strictEqual(again.headers.get("etag"), `"${etag}"`)
    assert.strictEqual(again.headers.get("cache-control"), "public, max-age=300")

    const changed = await fetch(signed.url, { headers: { "if-none-match": '"not-the-etag"' } })
    assert.strictEqual(changed.status, 200)
  })

  it("serves a revalidated key (a profile's photo manifest) with s-maxage and CDN-Cache-Control when signed, private to an API key", async () => {
    const etag = await upload("profiles/7/photo.json", "{}", "application/json")
    const signed = (await (await post("/v1/files/sign", { key: "profiles/7/photo.json" }, KEYS.read)).json()) as {
      url: string
    }
    const download = await fetch(signed.url)
    assert.strictEqual(download.status, 200)
    assert.strictEqual(download.headers.get("cache-control"), "public, max-age=0, s-maxage=60, must-revalidate")
    assert.strictEqual(download.headers.get("cdn-cache-control"), "max-age=60")

    const content = await fetch(at("/v1/content/profiles/7/photo.json"), { headers: bearer(KEYS.read) })
    assert.strictEqual(content.status, 200)
    assert.strictEqual(content.headers.get("cache-control"), "private, no-cache")
    assert.isNull(content.headers.get("cdn-cache-control"))
    const notModified = await fetch(at("/v1/content/profiles/7/photo.json"), {
      headers: { ...bearer(KEYS.read), "if-none-match": `W/"${etag}"` }
    })
    assert.strictEqual(notModified.status, 304)
    assert.strictEqual(notModified.headers.get("etag"), `"${etag}"`)
  })

  it("plans invalidations in local mode: nothing to invalidate, the plan returned (also as a dry run)", async () => {
    const response = await post("/v1/admin/cdn/invalidations", {
      paths: ["items/123/photo.jpg", "/items/123/photo.jpg", "profiles/456/photo.jpg"]
    })
    assert.strictEqual(response.status, 200, await response.clone().text())
    const report = (await response.json()) as {
      mode: string
      dryRun: boolean
      plan: { requested: number; paths: Array<string>; duplicates: number }
      invalidations: Array<unknown>
      note: string
    }
    assert.strictEqual(report.mode, "local")
    assert.isFalse(report.dryRun)
    assert.deepStrictEqual(report.plan.paths, ["/items/123/photo.jpg", "/profiles/456/photo.jpg"])
    assert.strictEqual(report.plan.requested, 3)
    assert.strictEqual(report.plan.duplicates, 1)
    assert.deepStrictEqual(report.invalidations, [])
    assert.match(report.note, /^nothing to invalidate/)

    const dry = (await (await post("/v1/admin/cdn/invalidations", { paths: ["a.txt"], dryRun: true })).json()) as {
      dryRun: boolean
      plan: { paths: Array<string> }
      invalidations: Array<unknown>
    }
    assert.isTrue(dry.dryRun)
    assert.deepStrictEqual(dry.plan.paths, ["/a.txt"])
    assert.deepStrictEqual(dry.invalidations, [])
  })

  it("refuses bodies outside the schema with 400: an empty path list, a concurrency of 0", async () => {
    for (const response of [
      await post("/v1/admin/cdn/invalidations", { paths: [] }),
      await post("/v1/admin/cdn/warm", { keys: ["a.txt"], concurrency: 0 })
    ]) {
      assert.strictEqual(response.status, 400)
      assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
    }
  })

  it("refuses to warm a URL on a host outside LOCALEX_CDN_DOMAINS with 400 (nothing fetched)", async () => {
    const body = await problemOf(
      await post("/v1/admin/cdn/warm", { keys: ["items/1/a.jpg", `${server.url}/health`] }),
      400,
      "bad-request"
    )
    assert.include(body.detail ?? "", "Refusing to warm")
    assert.include(body.detail ?? "", "cdn.localex.test")
  })

  it("refuses the admin routes to keys without the admin scope (403) and without a key (401)", async () => {
    await problemOf(await post("/v1/admin/cdn/invalidations", { paths: ["a.txt"] }, KEYS.write), 403, "forbidden")
    await problemOf(await post("/v1/admin/cdn/warm", { keys: ["a.txt"] }, KEYS.read), 403, "forbidden")
    const none = await fetch(at("/v1/admin/cdn/warm"), {
      method: "POST",
      body: JSON.stringify({ keys: ["a.txt"] }),
      headers: { "content-type": "application/json" }
    })
    await problemOf(none, 401, "unauthorized")
  })

  it("documents the admin routes in the OpenAPI document", async () => {
    const spec = (await (await fetch(at("/openapi.json"))).json()) as { paths: Record<string, Record<string, unknown>> }
    assert.hasAllKeys(spec.paths["/v1/admin/cdn/invalidations"]!, ["post"])
    assert.hasAllKeys(spec.paths["/v1/admin/cdn/warm"]!, ["post"])
  })
})
