/**
 * Benchmark: the HTTP app (built `dist/main.js`, fs driver) against a minimal node:http static
 * file server (bench/static.mjs) started in the same run, serving the same bytes.
 *
 *   node bench/http.ts [--seconds 4] [--rounds 3] [--connections 16] [--uploads 20] [--json]
 *
 * - signed GET of a 4 KiB object: requests/s, target ≥ 0.8× the static server's;
 * - signed GET of a 1 MiB object: throughput (MiB/s), target ≥ 0.9× the static server's;
 * - POST /v1/files of 5 MiB: p95 latency, reported against the operations guide's 2 s.
 *
 * Both servers are separate processes loaded by the same keep-alive client; rounds alternate
 * between them so a busy machine slows both alike. CPU seconds are each server process's own
 * (user + system, from /proc), per round; the figures are the medians over the rounds.
 * Runs with Node's type stripping (erasable syntax only).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createHash, randomBytes } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { Agent, request } from "node:http"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
    uploads: { type: "string", default: "20" },
    json: { type: "boolean", default: false }
  }
})
const SECONDS = Number(values.seconds)
const ROUNDS = Number(values.rounds)
const CONNECTIONS = Number(values.connections)
const UPLOADS = Number(values.uploads)
const TARGETS = { smallRps: 0.8, largeThroughput: 0.9, uploadP95Ms: 2000 }

const KEY = "bench-key"
const dir = mkdtempSync(join(tmpdir(), "localex-http-bench-"))
const statics = join(dir, "static")
const main = resolve(import.meta.dirname, "../dist/main.js")

interface Started {
  readonly child: ChildProcess
  readonly url: string
}

/** Starts a server process and waits for the URL it prints. Its further output is drained (the app logs each request). */
const start = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, cwd: string): Promise<Started> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { env, cwd, stdio: ["ignore", "pipe", "inherit"] })
    let output = ""
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match !== null && (!args.includes(main) || output.includes("docs:"))) {
        child.stdout!.off("data", onData)
        child.stdout!.resume()
        done({ child, url: match[1]! })
      }
    }
    child.stdout!.on("data", onData)
    child.once("exit", (code) => fail(new Error(`${args.join(" ")} exited ${code}:\n${output}`)))
  })

/** CPU seconds (user + system) a process has used so far. */
const cpuSeconds = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (100 Hz)
}

/**
 * Each phase (a load, the setup, the uploads) has its own keep-alive agent, destroyed at its end:
 * a socket left idle between phases could reach the server's keep-alive timeout (5 s) just as
 * the next phase reuses it, and the request then fails with ECONNRESET. Within a phase every
 * socket is busy, so an error there is a real one (and is counted).
 */
const newAgent = () => new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
let setupAgent = newAgent()

/** One request; resolves with the bytes of the body read. */
const fetchBytes = (
  url: URL,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer; agent?: Agent } = {}
) =>
  new Promise<{ status: number; bytes: number; text: string }>((done, fail) => {
    const req = request(
      url,
      {
        agent: init.agent ?? setupAgent,
        method: init.method ?? "GET",
        ...(init.headers === undefined ? {} : { headers: init.headers })
      },
      (res) => {
        let bytes = 0
        const keep: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => {
          bytes += chunk.length
          if (keep.length < 4) keep.push(chunk)
        })
        res.on("end", () => done({ status: res.statusCode ?? 0, bytes, text: Buffer.concat(keep).toString("utf8") }))
        res.on("error", fail)
      }
    )
    req.on("error", fail)
    req.end(init.body)
  })

interface Load {
  readonly requests: number
  readonly bytes: number
  readonly seconds: number
  readonly cpuSeconds: number
  /** Requests that failed (a network error, or an answer other than 200 with `size` bytes). */
  readonly errors: number
  readonly firstError: string | undefined
}

/** GETs `url` on `CONNECTIONS` connections for `SECONDS`; counts every answer that is not 200 with `size` bytes as an error. */
const load = async (server: Started, url: URL, size: number): Promise<Load> => {
  const agent = newAgent()
  const cpuBefore = cpuSeconds(server.child.pid!)
  const started = performance.now()
  const until = started + SECONDS * 1000
  let requests = 0
  let bytes = 0
  let errors = 0
  let firstError: string | undefined
  const failed = (what: string) => {
    errors++
    firstError ??= `${url.pathname}: ${what}`
  }
  try {
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < until) {
          try {
            const answer = await fetchBytes(url, { agent })
            if (answer.status !== 200 || answer.bytes !== size) failed(`${answer.status}, ${answer.bytes} bytes`)
            else {
              requests++
              bytes += answer.bytes
            }
          } catch (error) {
            failed(String(error))
          }
        }
      })
    )
  } finally {
    agent.destroy()
  }
  const seconds = (performance.now() - started) / 1000
  return { requests, bytes, seconds, cpuSeconds: cpuSeconds(server.child.pid!) - cpuBefore, errors, firstError }
}

const median = (xs: ReadonlyArray<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const percentile = (xs: ReadonlyArray<number>, p: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

const run = async () => {
  const small = randomBytes(4096)
  const large = randomBytes(1024 * 1024)
  const upload = randomBytes(5 * 1024 * 1024)
  const { mkdirSync } = await import("node:fs")
  mkdirSync(statics)
  writeFileSync(join(statics, "small.bin"), small)
  writeFileSync(join(statics, "large.bin"), large)

  const app = await start(
    [main],
    {
      ...process.env,
      LOCALEX_HTTP_PORT: "0",
      LOCALEX_STORAGE_DRIVER: "fs",
      LOCALEX_STORAGE_FS_ROOT: join(dir, "data"),
      LOCALEX_HTTP_STATE_DIR: join(dir, "state"),
      LOCALEX_HTTP_API_KEYS: `${createHash("sha256").update(KEY).digest("hex")}:admin`
    },
    dir
  )
  const peer = await start([resolve(import.meta.dirname, "static.mjs"), statics], process.env, dir)
  const auth = { authorization: `Bearer ${KEY}` }
  try {
    const signed: Record<string, URL> = {}
    for (const [name, bytes] of [
      ["small.bin", small],
      ["large.bin", large]
    ] as const) {
      const put = await fetchBytes(new URL(`/v1/files?key=bench/${name}`, app.url), {
        method: "POST",
        headers: { ...auth, "content-type": "application/octet-stream" },
        body: bytes
      })
      if (put.status !== 201) throw new Error(`upload ${name}: ${put.status} ${put.text}`)
      const sign = await fetchBytes(new URL("/v1/files/sign", app.url), {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: Buffer.from(JSON.stringify({ key: `bench/${name}`, expiresIn: 3600 }))
      })
      signed[name] = new URL(JSON.parse(sign.text).url)
    }

    const rounds: Record<"appSmall" | "peerSmall" | "appLarge" | "peerLarge", Array<Load>> = {
      appSmall: [],
      peerSmall: [],
      appLarge: [],
      peerLarge: []
    }
    setupAgent.destroy()
    // A short warm-up of each (JIT, file cache), then alternating rounds.
    await load(app, signed["small.bin"]!, small.length)
    await load(peer, new URL("/small.bin", peer.url), small.length)
    for (let round = 0; round < ROUNDS; round++) {
      rounds.appSmall.push(await load(app, signed["small.bin"]!, small.length))
      rounds.peerSmall.push(await load(peer, new URL("/small.bin", peer.url), small.length))
      rounds.appLarge.push(await load(app, signed["large.bin"]!, large.length))
      rounds.peerLarge.push(await load(peer, new URL("/large.bin", peer.url), large.length))
    }

    setupAgent = newAgent()
    const uploadMs: Array<number> = []
    const uploadCpuBefore = cpuSeconds(app.child.pid!)
    for (let i = 0; i < UPLOADS; i++) {
      const started = performance.now()
      const put = await fetchBytes(new URL(`/v1/files?key=bench/upload-${i}.bin`, app.url), {
        method: "POST",
        headers: { ...auth, "content-type": "application/octet-stream" },
        body: upload
      })
      if (put.status !== 201) throw new Error(`upload: ${put.status} ${put.text}`)
      uploadMs.push(performance.now() - started)
    }
    const uploadCpu = cpuSeconds(app.child.pid!) - uploadCpuBefore

    const rps = (loads: ReadonlyArray<Load>) => median(loads.map((l) => l.requests / l.seconds))
    const mibps = (loads: ReadonlyArray<Load>) => median(loads.map((l) => l.bytes / l.seconds / 1024 / 1024))
    const cpuPerRequestMs = (loads: ReadonlyArray<Load>) => median(loads.map((l) => (l.cpuSeconds / l.requests) * 1000))
    const cpu = (loads: ReadonlyArray<Load>) => median(loads.map((l) => l.cpuSeconds))
    const errors = (loads: ReadonlyArray<Load>) => loads.reduce((sum, l) => sum + l.errors, 0)
    const allLoads = Object.values(rounds).flat()
    const result = {
      setup: { seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, uploads: UPLOADS },
      small4KiB: {
        appRps: rps(rounds.appSmall),
        peerRps: rps(rounds.peerSmall),
        ratio: rps(rounds.appSmall) / rps(rounds.peerSmall),
        appCpuSeconds: cpu(rounds.appSmall),
        peerCpuSeconds: cpu(rounds.peerSmall),
        appCpuMsPerRequest: cpuPerRequestMs(rounds.appSmall),
        peerCpuMsPerRequest: cpuPerRequestMs(rounds.peerSmall),
        appErrors: errors(rounds.appSmall),
        peerErrors: errors(rounds.peerSmall),
        meetsTarget: rps(rounds.appSmall) / rps(rounds.peerSmall) >= TARGETS.smallRps
      },
      large1MiB: {
        appMiBps: mibps(rounds.appLarge),
        peerMiBps: mibps(rounds.peerLarge),
        ratio: mibps(rounds.appLarge) / mibps(rounds.peerLarge),
        appCpuSeconds: cpu(rounds.appLarge),
        peerCpuSeconds: cpu(rounds.peerLarge),
        appCpuMsPerRequest: cpuPerRequestMs(rounds.appLarge),
        peerCpuMsPerRequest: cpuPerRequestMs(rounds.peerLarge),
        appErrors: errors(rounds.appLarge),
        peerErrors: errors(rounds.peerLarge),
        meetsTarget: mibps(rounds.appLarge) / mibps(rounds.peerLarge) >= TARGETS.largeThroughput
      },
      upload5MiB: {
        p50Ms: percentile(uploadMs, 50),
        p95Ms: percentile(uploadMs, 95),
        cpuSeconds: uploadCpu,
        meetsTarget: percentile(uploadMs, 95) <= TARGETS.uploadP95Ms
      },
      errors: errors(allLoads),
      firstError: allLoads.find((l) => l.firstError !== undefined)?.firstError,
      targets: TARGETS
    }
    // Errors do not stop the run, but they fail it.
    if (result.errors > 0) process.exitCode = 1
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
    } else {
      const ok = (met: boolean) => (met ? "ok" : "MISSED")
      const s = result.small4KiB
      const l = result.large1MiB
      const u = result.upload5MiB
      process.stdout.write(
        `${[
          `HTTP app vs a node:http static file server, ${CONNECTIONS} keep-alive connections, ${ROUNDS} rounds of ${SECONDS} s (medians)`,
          `signed GET 4 KiB:  app ${s.appRps.toFixed(0)} req/s, static ${s.peerRps.toFixed(0)} req/s: ${s.ratio.toFixed(2)}× (target ≥ ${TARGETS.smallRps}×: ${ok(s.meetsTarget)})`,
          `                   CPU per round: app ${s.appCpuSeconds.toFixed(2)} s (${s.appCpuMsPerRequest.toFixed(3)} ms/req), static ${s.peerCpuSeconds.toFixed(2)} s (${s.peerCpuMsPerRequest.toFixed(3)} ms/req); errors: app ${s.appErrors}, static ${s.peerErrors}`,
          `signed GET 1 MiB:  app ${l.appMiBps.toFixed(0)} MiB/s, static ${l.peerMiBps.toFixed(0)} MiB/s: ${l.ratio.toFixed(2)}× (target ≥ ${TARGETS.largeThroughput}×: ${ok(l.meetsTarget)})`,
          `                   CPU per round: app ${l.appCpuSeconds.toFixed(2)} s (${l.appCpuMsPerRequest.toFixed(2)} ms/req), static ${l.peerCpuSeconds.toFixed(2)} s (${l.peerCpuMsPerRequest.toFixed(2)} ms/req); errors: app ${l.appErrors}, static ${l.peerErrors}`,
          `POST 5 MiB:        p50 ${u.p50Ms.toFixed(0)} ms, p95 ${u.p95Ms.toFixed(0)} ms over ${UPLOADS} uploads (guide: ≤ ${TARGETS.uploadP95Ms} ms: ${ok(u.meetsTarget)}); CPU ${u.cpuSeconds.toFixed(2)} s`,
          ...(result.firstError === undefined
            ? []
            : [`FAILED requests: ${result.errors} (first: ${result.firstError})`])
        ].join("\n")}\n`
      )
    }
  } finally {
    setupAgent.destroy()
    app.child.kill("SIGTERM")
    peer.child.kill("SIGTERM")
    await Promise.all([app, peer].map(({ child }) => new Promise((done) => child.once("exit", done))))
    rmSync(dir, { recursive: true, force: true })
  }
}

await run()
