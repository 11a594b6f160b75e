/**
 * What a public server needs against slow, silent, endless and abandoned requests, and the log
 * line each request leaves: idle and header timeouts, the connection cap, uploads that never end
 * or are abandoned leave nothing behind and are logged as `aborted`, a 5xx is logged with its cause,
 * and no log line carries key material.
 */
import { connect, type Socket } from "node:net"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { filesUnder, raw } from "./raw.js"
import { removeRoot, type Server, sha256, startServer, tempRoot } from "./server.js"

const KEY = "limits-key"
const API_KEYS = `${sha256(KEY)}:admin`
const auth = `Authorization: Bearer ${KEY}\r\n`

interface LogLine {
  readonly level: string
  readonly msg: string
  readonly method: string
  readonly route: string
  readonly status: number | "aborted"
  readonly outcome: string
  readonly durationMs: number
  readonly bytesIn: number
  readonly bytesOut: number
  readonly cause?: string
}

const logLines = (server: Server): Array<LogLine> =>
  server
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine)

/** Waits (at most `ms`) for `check` to hold. */
const eventually = async <A>(ms: number, check: () => A | undefined): Promise<A> => {
  const until = Date.now() + ms
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > until) throw new Error(`not within ${ms} ms`)
    await new Promise((wait) => setTimeout(wait, 50))
  }
}

/** A raw connection: what was written, and when the server closed it (with what it answered). */
const open = (base: string) =>
  new Promise<{ socket: Socket; closed: Promise<{ afterMs: number; answer: string }> }>((done, fail) => {
    const { hostname, port } = new URL(base)
    const socket = connect(Number(port), hostname, () => {
      const start = Date.now()
      let answer = ""
      socket.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")))
      const closed = new Promise<{ afterMs: number; answer: string }>((resolve) =>
        socket.once("close", () => resolve({ afterMs: Date.now() - start, answer }))
      )
      socket.on("error", () => undefined)
      done({ socket, closed })
    })
    socket.once("error", fail)
  })

describe("limits and the request log", () => {
  let root: string
  let server: Server
  const data = () => join(root, "data")

  beforeAll(async () => {
    root = await tempRoot()
    server = await startServer(root, {
      LOCALEX_HTTP_API_KEYS: API_KEYS,
      LOCALEX_HTTP_IDLE_TIMEOUT: "1",
      LOCALEX_HTTP_HEADERS_TIMEOUT: "1",
      LOCALEX_HTTP_MAX_CONNECTIONS: "3",
      LOCALEX_HTTP_MAX_UPLOAD_BYTES: "65536"
    })
  })
  afterAll(async () => {
    await server?.stop()
    await removeRoot(root)
  })

  it("cuts off a client that stops sending mid-body, stores nothing, and logs it as aborted", async () => {
    const before = await filesUnder(data())
    const { socket, closed } = await open(server.url)
    socket.write(
      `POST /v1/files?key=stalled.bin HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 50000\r\n\r\n${"x".repeat(10_000)}`
    )
    const { afterMs } = await closed
    assert.isBelow(afterMs, 5000, "closed by the idle timeout (1 s)")
    const line = await eventually(5000, () =>
      logLines(server).find((l) => l.route === "/v1/files" && l.method === "POST")
    )
    assert.deepInclude(line, { outcome: "aborted", status: "aborted", level: "warn" })
    assert.isAbove(line.bytesIn, 10_000)
    assert.deepStrictEqual(await filesUnder(data()), before)
    const metrics = (await raw(server.url, "GET", "/metrics")).body
    assert.include(metrics, 'localex_http_requests_total{method="POST",route="/v1/files",status="aborted"} 1')
    assert.notInclude(metrics, 'outcome="defect"')
  })

  it("cuts off a client that never finishes its headers", async () => {
    const { socket, closed } = await open(server.url)
    socket.write(`GET /health HTTP/1.1\r\nHost: x\r\n`)
    const { afterMs, answer } = await closed
    assert.isBelow(afterMs, 5000)
    // Node answers 408 when the headers timeout fires first; the idle timeout just closes.
    assert.match(answer, /^(HTTP\/1\.1 408|)/)
  })

  it("an upload that never ends is refused at the cap with nothing left behind", async () => {
    const before = await filesUnder(data())
    const { socket, closed } = await open(server.url)
    socket.write(`POST /v1/files?key=endless.bin HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\n`)
    const chunk = `4000\r\n${"y".repeat(0x4000)}\r\n`
    const timer = setInterval(() => socket.write(chunk), 5)
    const { answer } = await closed
    clearInterval(timer)
    assert.match(answer, /^HTTP\/1\.1 413/)
    assert.include(answer, "urn:localex:problem:payload-too-large")
    assert.deepStrictEqual(await filesUnder(data()), before)
  })

  it("closes connections over LOCALEX_HTTP_MAX_CONNECTIONS at once, and serves again below it", async () => {
    const held = await Promise.all([open(server.url), open(server.url), open(server.url)])
    const extra = await open(server.url)
    extra.socket.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    const { answer } = await extra.closed
    assert.strictEqual(answer, "", "no answer on a connection over the cap")
    for (const { socket } of held) socket.destroy()
    await Promise.all(held.map(({ closed }) => closed))
    const health = await raw(server.url, "GET", "/health")
    assert.strictEqual(health.status, 200)
  })

  it("logs one JSON line per request (method, route template, status, duration, bytes) without key material", async () => {
    const signed = await raw(
      server.url,
      "POST",
      "/v1/files/sign",
      { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      JSON.stringify({ key: "secret-name/report.pdf" })
    )
    assert.strictEqual(signed.status, 200)
    const url = new URL(JSON.parse(signed.body).url)
    const sig = url.searchParams.get("sig")!
    assert.strictEqual((await raw(server.url, "GET", `${url.pathname}${url.search}`)).status, 404)
    const lines = await eventually(5000, () => {
      const found = logLines(server).filter((l) => l.route === "/v1/files/sign" || l.route === "/v1/signed/*")
      return found.length >= 2 ? found : undefined
    })
    for (const line of lines) {
      assert.strictEqual(line.msg, "request")
      assert.isNumber(line.durationMs)
      assert.isAbove(line.bytesIn, 0)
      assert.isAbove(line.bytesOut, 0)
    }
    assert.deepInclude(
      lines.find((l) => l.route === "/v1/files/sign"),
      { method: "POST", status: 200, outcome: "ok" }
    )
    assert.deepInclude(
      lines.find((l) => l.route === "/v1/signed/*"),
      { method: "GET", status: 404, outcome: "rejected" }
    )
    const output = server.output()
    for (const secret of [KEY, sha256(KEY), sig, "secret-name"]) assert.notInclude(output, secret)
  })
})

describe("the request log of a failing store", () => {
  it("logs a 5xx as an error with its cause", async () => {
    const root = await tempRoot()
    const server = await startServer(root, {
      LOCALEX_STORAGE_DRIVER: "s3",
      LOCALEX_STORAGE_BUCKET: "nowhere",
      AWS_ENDPOINT_URL_S3: "http://127.0.0.1:9",
      AWS_ACCESS_KEY_ID: "x",
      AWS_SECRET_ACCESS_KEY: "y",
      LOCALEX_STORAGE_MAX_ATTEMPTS: "1",
      LOCALEX_HTTP_API_KEYS: API_KEYS
    })
    try {
      const response = await raw(server.url, "GET", "/v1/files/a.txt", { authorization: `Bearer ${KEY}` })
      assert.isAtLeast(response.status, 500, response.body)
      const line = await eventually(5000, () => logLines(server).find((l) => l.route === "/v1/files/*"))
      assert.deepInclude(line, { level: "error", outcome: "failed", status: response.status })
      assert.include(line.cause ?? "", "TransportError")
    } finally {
      await server.stop()
      await removeRoot(root)
    }
  })
})
