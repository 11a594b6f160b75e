/**
 * For the tests and benchmarks of this package and the apps: a caching proxy (Debian's varnish)
 * started on loopback in front of an origin, and a small origin that serves keys with the cache
 * policy's headers and counts what reaches it. Nothing here is for production use.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import { createServer as createNetServer } from "node:net"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"
import { decide } from "./CachePolicy.js"

/** The path of an executable on PATH or in the sbin folders a non-login root shell may lack. */
const which = (name: string): string | undefined => {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/bin", "/sbin"]) {
    try {
      accessSync(join(dir, name), constants.X_OK)
      return join(dir, name)
    } catch {}
  }
  return undefined
}

/**
 * `varnishd`, installed with apt-get (as root on Debian) when missing; otherwise a reason why
 * there is none.
 */
export const ensureVarnish = (log: (line: string) => void = () => {}): string | { readonly unavailable: string } => {
  const found = which("varnishd")
  if (found !== undefined) return found
  if (process.platform !== "linux" || process.getuid?.() !== 0 || which("apt-get") === undefined)
    return { unavailable: "varnishd is not installed (sudo apt-get install varnish)" }
  log("varnishd is missing; installing varnish with apt-get (once per machine)")
  const apt = (...args: Array<string>) =>
    spawnSync("apt-get", ["-o", "DPkg::Lock::Timeout=600", ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      stdio: "ignore",
      timeout: 600_000
    })
  apt("update")
  apt("install", "-y", "--no-install-recommends", "varnish")
  return which("varnishd") ?? { unavailable: "apt-get install varnish did not provide varnishd" }
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createNetServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

export interface Varnish {
  readonly url: string
  readonly port: number
  readonly stop: () => Promise<void>
}

/** The VCL: one backend; `X-Cache: HIT|MISS` on every answer, as CloudFront's `X-Cache` says. */
const vcl = (backendPort: number) => `vcl 4.1;
backend origin { .host = "127.0.0.1"; .port = "${backendPort}"; }
sub vcl_deliver {
  if (obj.hits > 0) { set resp.http.X-Cache = "HIT"; } else { set resp.http.X-Cache = "MISS"; }
}
`

/** Starts varnishd on a free loopback port in front of `127.0.0.1:backendPort`; answers within `timeoutMs` or throws. */
export const startVarnish = async (backendPort: number, timeoutMs = 30_000): Promise<Varnish> => {
  const varnishd = ensureVarnish()
  if (typeof varnishd !== "string") throw new Error(varnishd.unavailable)
  const dir = mkdtempSync(join(tmpdir(), "localex-varnish-"))
  writeFileSync(join(dir, "default.vcl"), vcl(backendPort))
  const port = await freePort()
  const child: ChildProcess = spawn(
    varnishd,
    [
      "-F",
      "-j",
      "none",
      "-n",
      join(dir, "work"),
      "-a",
      `127.0.0.1:${port}`,
      "-f",
      join(dir, "default.vcl"),
      "-s",
      "malloc,128m"
    ],
    { stdio: ["ignore", "ignore", "pipe"] }
  )
  let stderr = ""
  child.stderr?.on("data", (chunk) => {
    stderr += String(chunk)
  })
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM")
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
    if (child.exitCode === null) child.kill("SIGKILL")
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    const up = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) }).then(
      async (response) => {
        await response.arrayBuffer()
        return true
      },
      () => false
    )
    if (up) return { url: `http://127.0.0.1:${port}`, port, stop }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await stop()
  throw new Error(`varnishd did not answer on 127.0.0.1:${port} within ${timeoutMs} ms: ${stderr.trim()}`)
}

export interface Origin {
  readonly port: number
  readonly url: string
  /** Requests that reached the origin, by path. */
  readonly hits: Map<string, number>
  /** Most requests the origin had in flight at once. */
  readonly maxInFlight: () => number
  readonly close: () => Promise<void>
}

/**
 * An origin that serves every path with `size` bytes and the cache policy's headers (and an
 * ETag where the policy wants one), after `delayMs`; `/slow/…` paths never answer in time.
 */
export const startOrigin = async (
  options: { readonly size?: number; readonly delayMs?: number } = {}
): Promise<Origin> => {
  const hits = new Map<string, number>()
  const body = Buffer.alloc(options.size ?? 1024, 7)
  let inFlight = 0
  let maxInFlight = 0
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? "/").split("?")[0] ?? "/")
    hits.set(path, (hits.get(path) ?? 0) + 1)
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    const delay = path.startsWith("/slow/") ? 5_000 : (options.delayMs ?? 0)
    setTimeout(() => {
      inFlight--
      const decision = decide(path.slice(1))
      response.writeHead(200, {
        ...decision.headers,
        "content-type": "application/octet-stream",
        "content-length": body.length,
        ...(decision.etag ? { etag: `"${body.length}-${path.length}"` } : {})
      })
      response.end(body)
    }, delay)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    hits,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
