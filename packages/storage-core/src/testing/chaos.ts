/**
 * Seeded, per-request faults for the fault proxy: an HTTP stage on loopback between the proxy's
 * TCP stage and the S3 engine. Every request draws from one PRNG (mulberry32 of `seed`), in the
 * order the requests arrive: the same seed gives the same sequence of decisions (exactly the same
 * faults on the same requests when the client sends one request at a time; with concurrent
 * requests the arrival order, hence which request gets which draw, can vary).
 *
 * Faults, each at its own rate (0..1), for the request kinds of `only` (all when absent):
 * - `latencyMs: [min, max]`: every request waits that long (uniform) before it is forwarded;
 * - `slowDown`: answered at once `503 SlowDown` with S3's XML error body, never forwarded;
 * - `resetRequest`: part of the request body goes through, then the connection is reset (the
 *   engine never sees a whole request, so it does not run it);
 * - `resetResponse`: the engine runs the request, the answer is cut after part of its body (or
 *   right after its head when it has none; before its head with `dropWholeResponse`) and the
 *   connection reset: the client cannot know whether it ran.
 */
import * as http from "node:http"
import type * as net from "node:net"

/** The S3 operations the proxy tells apart (by method, query and headers). */
export type RequestKind =
  | "CreateMultipartUpload"
  | "UploadPart"
  | "UploadPartCopy"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload"
  | "ListParts"
  | "ListMultipartUploads"
  | "PutObject"
  | "CopyObject"
  | "GetObject"
  | "HeadObject"
  | "DeleteObject"
  | "DeleteObjects"
  | "ListObjects"
  | "Bucket"
  | "Other"

export interface Chaos {
  /** Seeds the PRNG: the same seed, the same sequence of decisions. */
  readonly seed: number
  /** Only requests of these kinds are touched (default: all). */
  readonly only?: ReadonlyArray<RequestKind>
  /** Delay before forwarding, uniform in [min, max] ms. */
  readonly latencyMs?: readonly [number, number]
  /** Rate of `503 SlowDown` answers. */
  readonly slowDown?: number
  /** Rate of resets in the middle of the request body (requests with a body only). */
  readonly resetRequest?: number
  /** Rate of resets in the middle of the answer. */
  readonly resetResponse?: number
  /**
   * Those resets drop the whole answer, status line included: the client cannot know whether the
   * request ran even when its answer has no body (a PutObject's). Default false: cut after the head.
   */
  readonly dropWholeResponse?: boolean
  /** At most this many faults (SlowDown and resets) in all; then requests go through (latency stays). */
  readonly times?: number
}

/** What the chaos stage did, by fault. */
export interface ChaosCounts {
  readonly requests: number
  readonly delayed: number
  readonly slowDown: number
  readonly resetRequest: number
  readonly resetResponse: number
}

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; numbers in [0, 1). */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The S3 operation of a request (path-style: `/bucket` or `/bucket/key`). */
export const requestKind = (method: string, url: string, headers: http.IncomingHttpHeaders): RequestKind => {
  const parsed = new URL(url, "http://proxy")
  const q = parsed.searchParams
  const onKey = parsed.pathname.replace(/^\/+/, "").includes("/")
  switch (method) {
    case "PUT":
      if (!onKey) return "Bucket"
      if (q.has("partNumber") && q.has("uploadId"))
        return headers["x-amz-copy-source"] === undefined ? "UploadPart" : "UploadPartCopy"
      return headers["x-amz-copy-source"] === undefined ? "PutObject" : "CopyObject"
    case "POST":
      if (q.has("delete")) return "DeleteObjects"
      if (q.has("uploads")) return "CreateMultipartUpload"
      if (q.has("uploadId")) return "CompleteMultipartUpload"
      return "Other"
    case "DELETE":
      if (!onKey) return "Bucket"
      return q.has("uploadId") ? "AbortMultipartUpload" : "DeleteObject"
    case "HEAD":
      return onKey ? "HeadObject" : "Bucket"
    case "GET":
      if (q.has("uploads")) return "ListMultipartUploads"
      if (onKey) return q.has("uploadId") ? "ListParts" : "GetObject"
      return q.has("list-type") || q.size === 0 ? "ListObjects" : "Bucket"
    default:
      return "Other"
  }
}

const slowDownBody = (resource: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>` +
  `<Resource>${resource.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</Resource><RequestId>fault-proxy</RequestId></Error>`

type Decision = "forward" | "slowDown" | "resetRequest" | "resetResponse"

export interface ChaosStage {
  /** `http://127.0.0.1:PORT` of the stage. */
  readonly endpoint: string
  readonly setChaos: (chaos: Chaos | undefined) => void
  readonly counts: () => ChaosCounts
  readonly close: () => Promise<void>
}

/** Starts the HTTP stage in front of `target` (no chaos until `setChaos`). */
export const startChaosStage = (target: string): Promise<ChaosStage> => {
  const upstream = new URL(target)
  const agent = new http.Agent({ keepAlive: true })
  let chaos: Chaos | undefined
  let random = seededRandom(0)
  /** Faults decided since the last `setChaos` (for `times`). */
  let injected = 0
  const counts = { requests: 0, delayed: 0, slowDown: 0, resetRequest: 0, resetResponse: 0 }

  /** One draw per fault, always in the same order, so a rate change does not shift the others. */
  const decide = (kind: RequestKind, hasBody: boolean): { readonly delay: number; readonly decision: Decision } => {
    if (chaos === undefined) return { delay: 0, decision: "forward" }
    const draws = [random(), random(), random(), random()] as const
    if (chaos.only !== undefined && !chaos.only.includes(kind)) return { delay: 0, decision: "forward" }
    const [min, max] = chaos.latencyMs ?? [0, 0]
    const delay = Math.round(min + draws[0] * (max - min))
    const spent = injected >= (chaos.times ?? Number.POSITIVE_INFINITY)
    const decision: Decision = spent
      ? "forward"
      : draws[1] < (chaos.slowDown ?? 0)
        ? "slowDown"
        : hasBody && draws[2] < (chaos.resetRequest ?? 0)
          ? "resetRequest"
          : draws[3] < (chaos.resetResponse ?? 0)
            ? "resetResponse"
            : "forward"
    if (decision !== "forward") injected++
    return { delay, decision }
  }

  /** Where in a body of `length` bytes to cut: somewhere inside it, never past it. */
  const cutAt = (length: number) => Math.floor(random() * Math.max(0, length))

  const reset = (socket: net.Socket) => {
    if (!socket.destroyed) socket.resetAndDestroy()
  }

  const server = http.createServer((req, res) => {
    const method = req.method ?? "GET"
    const url = req.url ?? "/"
    const length = Number(req.headers["content-length"] ?? 0)
    const hasBody = length > 0 || req.headers["transfer-encoding"] !== undefined
    counts.requests++
    const { delay, decision } = decide(requestKind(method, url, req.headers), hasBody)
    const requestCut = decision === "resetRequest" ? cutAt(length || 1) : 0
    const responseCut = decision === "resetResponse" ? random() : 0
    const dropWhole = decision === "resetResponse" && chaos?.dropWholeResponse === true
    req.pause()
    const go = () => {
      if (decision === "slowDown") {
        counts.slowDown++
        // The body is read and dropped, so the connection stays usable, as S3's is.
        req.resume()
        req.on("end", () => {
          const body = slowDownBody(new URL(url, "http://proxy").pathname)
          res.writeHead(503, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) })
          res.end(body)
        })
        return
      }
      const headers = { ...req.headers }
      // Node's server already answered `100 Continue` when it was asked for.
      delete headers.expect
      const out = http.request({
        agent,
        host: upstream.hostname,
        port: Number(upstream.port || 80),
        method,
        path: url,
        headers
      })
      out.on("error", () => reset(req.socket))
      out.on("response", (answer) => {
        if (dropWhole) {
          counts.resetResponse++
          answer.resume()
          reset(req.socket)
          return
        }
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders)
        if (decision !== "resetResponse") {
          answer.pipe(res)
          return
        }
        counts.resetResponse++
        let budget = Math.floor(responseCut * Number(answer.headers["content-length"] ?? 0))
        if (budget === 0) {
          res.flushHeaders()
          answer.resume()
          setImmediate(() => reset(req.socket))
          return
        }
        answer.on("data", (chunk: Buffer) => {
          if (budget <= 0) return
          const through = chunk.subarray(0, budget)
          budget -= through.length
          res.write(through)
          if (budget <= 0) {
            answer.destroy()
            setImmediate(() => reset(req.socket))
          }
        })
      })
      if (decision !== "resetRequest") {
        req.pipe(out)
        req.resume()
        return
      }
      counts.resetRequest++
      let budget = requestCut
      req.on("data", (chunk: Buffer) => {
        if (budget < 0) return
        const through = chunk.subarray(0, budget)
        budget -= chunk.length
        if (through.length > 0) out.write(through)
        if (budget < 0) {
          // The engine has part of the body: it drops the request when the connection goes.
          out.destroy()
          reset(req.socket)
        }
      })
      req.resume()
    }
    if (delay > 0) {
      counts.delayed++
      setTimeout(go, delay)
    } else go()
  })
  server.keepAliveTimeout = 60_000

  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo
      resolve({
        endpoint: `http://127.0.0.1:${address.port}`,
        setChaos: (next) => {
          chaos = next
          injected = 0
          random = seededRandom(next?.seed ?? 0)
        },
        counts: () => ({ ...counts }),
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            agent.destroy()
            server.close(() => done())
          })
      })
    })
  })
}
