/**
 * The download fast path (fastDownload.ts): signed and bearer GETs that succeed on the fs driver
 * are answered before the router. Each test compares it with the route it stands in for (a
 * request the lane does not take: a conditional header that does not match), and checks what
 * it must keep: the bytes, the headers, the request log line, the metrics, the errors.
 */
import { createHash, randomBytes } from "node:crypto"
import { readdir, readlink, realpath } from "node:fs/promises"
import { request as httpRequest } from "node:http"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { raw } from "./raw.js"
import { removeRoot, type Server, sha256, startServer, tempRoot } from "./server.js"

const KEY = "fast-lane-key"
const bearer = { authorization: `Bearer ${KEY}` }
/** An If-None-Match that matches nothing: the request goes to the route, which answers 200 with the whole object. */
const toRoute = { "if-none-match": '"no-such-etag"' }

const SMALL = randomBytes(4096)
/** Above the lane's one-read size (64 KiB): piped from the file. */
const LARGE = randomBytes(3 * 1024 * 1024 + 17)

/** The headers both answers must agree on (Date and the connection's are the server's own). */
const headersOf = (response: Response) =>
  Object.fromEntries(
    [...response.headers].filter(([name]) => !["date", "connection", "keep-alive"].includes(name.toLowerCase()))
  )

const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex")

describe("download fast path", () => {
  let root: string
  let server: Server
  const at = (path: string) => `${server.url}${path}`
  const put = async (key: string, body: Uint8Array, type: string) => {
    const response = await fetch(at(`/v1/files?key=${encodeURIComponent(key)}`), {
      method: "POST",
      body,
      headers: { ...bearer, "content-type": type }
    })
    assert.strictEqual(response.status, 201, await response.clone().text())
  }
  const signedUrl = async (key: string, expiresIn = 600) => {
    const response = await fetch(at("/v1/files/sign"), {
      method: "POST",
      body: JSON.stringify({ key, expiresIn }),
      headers: { ...bearer, "content-type": "application/json" }
    })
    assert.strictEqual(response.status, 200, await response.clone().text())
    return ((await response.json()) as { url: string }).url
  }
  const metric = async (series: string) => {
    const text = await (await fetch(at("/metrics"))).text()
    const line = text.split("\n").find((l) => l.startsWith(`${series} `))
    return line === undefined ? 0 : Number(line.slice(series.length + 1))
  }

  beforeAll(async () => {
    root = await tempRoot()
    server = await startServer(root, { LOCALEX_HTTP_API_KEYS: `${sha256(KEY)}:admin` })
    await put("fast/small.bin", SMALL, "application/octet-stream")
    await put("fast/large.bin", LARGE, "application/octet-stream")
    await put("fast/page.html", Buffer.from("<script>alert(1)</script>"), "text/html")
    await put("fast/empty.txt", new Uint8Array(0), "text/plain")
  })
  afterAll(async () => {
    await server?.stop()
    await removeRoot(root)
  })

  for (const [key, bytes] of [
    ["fast/small.bin", SMALL],
    ["fast/large.bin", LARGE],
    ["fast/page.html", Buffer.from("<script>alert(1)</script>")],
    ["fast/empty.txt", new Uint8Array(0)]
  ] as const) {
    it(`serves ${key} with the bytes and headers of the route, signed and with a bearer key`, async () => {
      const signed = await signedUrl(key)
      for (const [url, headers] of [
        [signed, {}],
        [at(`/v1/content/${key}`), bearer]
      ] as const) {
        const fast = await fetch(url, { headers })
        const routed = await fetch(url, { headers: { ...headers, ...toRoute } })
        assert.strictEqual(fast.status, 200)
        assert.strictEqual(routed.status, 200)
        assert.strictEqual(md5(new Uint8Array(await fast.arrayBuffer())), md5(bytes))
        assert.strictEqual(md5(new Uint8Array(await routed.arrayBuffer())), md5(bytes))
        assert.deepStrictEqual(headersOf(fast), headersOf(routed))
        assert.strictEqual(fast.headers.get("content-length"), String(bytes.length))
      }
    })
  }

  it("keeps the safe-serving headers of an active type", async () => {
    const response = await fetch(await signedUrl("fast/page.html"))
    assert.strictEqual(response.status, 200)
    assert.strictEqual(response.headers.get("x-content-type-options"), "nosniff")
    assert.strictEqual(response.headers.get("content-disposition"), "attachment")
    assert.match(response.headers.get("content-security-policy") ?? "", /(^|;\s*)sandbox(;|$)/)
    assert.strictEqual(response.headers.get("cache-control"), "public, max-age=300")
    const direct = await fetch(at("/v1/content/fast/page.html"), { headers: bearer })
    assert.match(direct.headers.get("cache-control") ?? "", /^private/)
  })

  it("serves many downloads at once, each whole", async () => {
    const [small, large] = [await signedUrl("fast/small.bin"), await signedUrl("fast/large.bin")]
    const answers = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const response = await fetch(i % 3 === 0 ? large : small)
        return { i, status: response.status, sum: md5(new Uint8Array(await response.arrayBuffer())) }
      })
    )
    for (const { i, status, sum } of answers) {
      assert.strictEqual(status, 200)
      assert.strictEqual(sum, md5(i % 3 === 0 ? LARGE : SMALL))
    }
  })

  it("sends every chunk as read while other downloads reuse the read buffers (a reader that stalls)", async () => {
    // Larger than the loopback socket's buffers can hold, so the stalled download's writes wait on the client.
    const huge = randomBytes(24 * 1024 * 1024)
    await put("fast/huge.bin", huge, "application/octet-stream")
    const [small, large, stalled] = [
      await signedUrl("fast/small.bin"),
      await signedUrl("fast/large.bin"),
      await signedUrl("fast/huge.bin")
    ]
    const slow = new Promise<string>((done, fail) => {
      const req = httpRequest(new URL(stalled), (res) => {
        const sum = createHash("md5")
        res.pause()
        setTimeout(() => {
          res.on("data", (chunk: Buffer) => sum.update(chunk))
          res.on("end", () => done(sum.digest("hex")))
          res.resume()
        }, 1000)
      })
      req.on("error", fail)
      req.end()
    })
    const others = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const response = await fetch(i % 4 === 0 ? large : small)
        return { i, sum: md5(new Uint8Array(await response.arrayBuffer())) }
      })
    )
    for (const { i, sum } of others) assert.strictEqual(sum, md5(i % 4 === 0 ? LARGE : SMALL))
    assert.strictEqual(await slow, md5(huge))
  })

  it("counts and logs its downloads as the route does", async () => {
    const requests = 'localex_http_requests_total{method="GET",route="/v1/signed/*",status="200"}'
    const timed = 'localex_http_request_duration_seconds_count{method="GET",route="/v1/signed/*",status="200"}'
    const gets = 'localex_store_operation_duration_seconds_count{operation="get",outcome="ok"}'
    const bytes = 'localex_store_bytes_total{direction="download"}'
    const before = await Promise.all([requests, timed, gets, bytes].map(metric))
    const url = await signedUrl("fast/small.bin")
    const logged = server.output().length
    for (let i = 0; i < 3; i++) assert.strictEqual((await fetch(url)).status, 200)
    const after = await Promise.all([requests, timed, gets, bytes].map(metric))
    assert.deepStrictEqual(
      after.map((value, i) => value - before[i]!),
      [3, 3, 3, 3 * SMALL.length]
    )
    const lines = server
      .output()
      .slice(logged)
      .split("\n")
      .filter((line) => line.includes('"route":"/v1/signed/*"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    assert.strictEqual(lines.length, 3)
    for (const line of lines) {
      assert.include(line, { method: "GET", status: 200, outcome: "ok", level: "info" })
      assert.isAbove(line.bytesOut as number, SMALL.length)
    }
    // Never the key or the signature.
    assert.notInclude(server.output().slice(logged), "small.bin")
    assert.notInclude(server.output().slice(logged), new URL(url).searchParams.get("sig")!)
  })

  it("leaves errors to the route: typed problems for a bad signature, expiry, a missing object, no key", async () => {
    const url = new URL(await signedUrl("fast/small.bin"))
    const tampered = new URL(url)
    tampered.searchParams.set("sig", `${url.searchParams.get("sig")!.slice(0, -2)}AA`)
    const expired = new URL(url)
    expired.searchParams.set("expires", String(Math.floor(Date.now() / 1000) - 60))
    const missing = new URL(await signedUrl("fast/none.bin"))
    for (const [target, status, headers] of [
      [tampered.href, 403, {}],
      [expired.href, 403, {}],
      [missing.href, 404, {}],
      [at("/v1/content/fast/none.bin"), 404, bearer],
      [at("/v1/content/fast/small.bin"), 401, {}],
      [at("/v1/content/fast/small.bin"), 401, { authorization: "Bearer wrong" }]
    ] as const) {
      const response = await fetch(target, { headers })
      assert.strictEqual(response.status, status, target)
      assert.strictEqual(response.headers.get("content-type"), "application/problem+json", target)
    }
  })

  it("refuses a URL it served once it has expired, and a tampered copy of one it served", async () => {
    // Valid for 2–3 s (expiry in whole seconds): time for the two requests below on a busy machine.
    const url = new URL(await signedUrl("fast/small.bin", 3))
    const served = await fetch(url)
    assert.strictEqual(served.status, 200)
    await served.arrayBuffer()
    const tampered = new URL(url)
    tampered.searchParams.set("sig", `${url.searchParams.get("sig")!.slice(0, -2)}AA`)
    assert.strictEqual((await fetch(tampered)).status, 403)
    // Past its expiry (whole seconds) the same URL, verified before, is the route's 403.
    await new Promise((resolve) =>
      setTimeout(resolve, Number(url.searchParams.get("expires")) * 1000 + 1100 - Date.now())
    )
    const expired = await fetch(url)
    assert.strictEqual(expired.status, 403)
    assert.match(await expired.text(), /expired/)
  })

  it("acts on exactly the key in the raw path", async () => {
    await put("fast/semi;v2.txt", Buffer.from("semi"), "text/plain")
    await put("fast/ünï cødé.txt", Buffer.from("unicode"), "text/plain")
    await put("fast/trail/", Buffer.from("folder"), "text/plain")
    for (const [key, body] of [
      ["fast/semi;v2.txt", "semi"],
      ["fast/ünï cødé.txt", "unicode"],
      ["fast/trail/", "folder"]
    ] as const) {
      const url = new URL(await signedUrl(key))
      const signed = await raw(server.url, "GET", `${url.pathname}${url.search}`)
      assert.strictEqual(signed.status, 200, key)
      assert.strictEqual(signed.body, body, key)
      const direct = await raw(server.url, "GET", url.pathname.replace("/v1/signed/", "/v1/content/"), bearer)
      assert.strictEqual(direct.status, 200, key)
      assert.strictEqual(direct.body, body, key)
    }
    // The route's 400s: not valid percent-encoding; an empty segment (no slash merging to another key).
    for (const target of ["/v1/content/fast/%FF", "/v1/content/fast//small.bin"]) {
      const bad = await raw(server.url, "GET", target, bearer)
      assert.strictEqual(bad.status, 400, target)
      assert.strictEqual(bad.headers["content-type"], "application/problem+json", target)
    }
  })

  it("keeps serving after clients go away mid-download", async () => {
    const url = new URL(await signedUrl("fast/large.bin"))
    const logged = server.output().length
    await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<void>((done, fail) => {
            const req = httpRequest(url, (res) => {
              res.once("data", () => {
                req.destroy()
                done()
              })
            })
            req.on("error", (error) => (req.destroyed ? undefined : fail(error)))
            req.end()
          })
      )
    )
    const response = await fetch(url)
    assert.strictEqual(md5(new Uint8Array(await response.arrayBuffer())), md5(LARGE))
    // Each abandoned download is logged as aborted once its connection closes.
    for (
      let waited = 0;
      waited < 50 &&
      (
        server
          .output()
          .slice(logged)
          .match(/"aborted"/g) ?? []
      ).length < 4;
      waited++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.strictEqual(
      (
        server
          .output()
          .slice(logged)
          .match(/"outcome":"aborted"/g) ?? []
      ).length,
      4
    )
  })

  it("closes the file of every download abandoned mid-body or before its answer (no descriptor leak)", async () => {
    const url = new URL(await signedUrl("fast/large.bin"))
    const data = await realpath(join(root, "data"))
    /** The server's descriptors open on files of the store. */
    const storeFds = async () => {
      const fds = await readdir(`/proc/${server.child.pid}/fd`)
      const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${server.child.pid}/fd/${fd}`).catch(() => "")))
      return targets.filter((target) => target.startsWith(data)).length
    }
    const abandon = (afterFirstBytes: boolean) =>
      new Promise<void>((done, fail) => {
        const req = httpRequest(url, (res) => {
          res.once("data", () => {
            req.destroy()
            done()
          })
        })
        req.on("error", (error) => (req.destroyed ? done() : fail(error)))
        req.end()
        if (!afterFirstBytes) setImmediate(() => req.destroy())
      })
    for (let batch = 0; batch < 5; batch++) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => abandon(i % 4 !== 0)))
    }
    let open = await storeFds()
    for (let waited = 0; waited < 50 && open > 0; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      open = await storeFds()
    }
    assert.strictEqual(open, 0)
    const response = await fetch(url)
    assert.strictEqual(md5(new Uint8Array(await response.arrayBuffer())), md5(LARGE))
  })
})
