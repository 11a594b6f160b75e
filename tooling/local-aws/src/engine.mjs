// One throwaway moto server ("moto server": an AWS control-plane emulator) on a free loopback port.
// Its log and pid live in one state folder under os.tmpdir(); moto itself keeps everything in memory.
import { execFile, spawn } from "node:child_process"
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, join, resolve } from "node:path"
import { promisify } from "node:util"

export const REGION = "us-east-1"
/** moto checks no signatures; any pair works. These are what its own docs use. */
export const DUMMY_CREDENTIALS = Object.freeze({ accessKeyId: "testing", secretAccessKey: "testing" })
/** The account moto answers for when a request names no other. */
export const DEFAULT_ACCOUNT_ID = "123456789012"
const DIR_PREFIX = "localex-aws-"
const MARKER = ".localex-aws"
const run = promisify(execFile)
const defaultLog = (line) => process.stderr.write(`[local-aws] ${line}\n`)

/** The server's environment: MOTO_ACCOUNT_ID would pin every request to one account (no per-file accounts). */
const serverEnv = (extra = {}) => {
  const env = { ...process.env, ...extra }
  delete env.MOTO_ACCOUNT_ID
  return env
}

/** Thrown by start() when there is no moto here: no LOCALEX_MOTO_HOME and no moto_server on PATH. */
export class EngineUnavailable extends Error {
  name = "EngineUnavailable"
}

/**
 * Where moto comes from, in order: the bundle folder LOCALEX_MOTO_HOME names (it must have a
 * start.sh), else a `moto_server` on PATH (`pip install 'moto[server]'`).
 * @returns {{ kind: "bundle", home: string } | { kind: "path", file: string }}
 */
export function findEngine(env = process.env) {
  if (env.LOCALEX_MOTO_HOME) {
    const home = resolve(env.LOCALEX_MOTO_HOME)
    if (!existsSync(join(home, "start.sh")))
      throw new Error(`local-aws: LOCALEX_MOTO_HOME=${home} has no start.sh (expected a moto bundle folder)`)
    return { kind: "bundle", home }
  }
  for (const folder of (env.PATH ?? "").split(delimiter)) {
    const file = folder && join(folder, "moto_server")
    if (file && existsSync(file)) return { kind: "path", file }
  }
  throw new EngineUnavailable(
    "no moto: set LOCALEX_MOTO_HOME to a moto bundle folder or put moto_server on PATH (pip install 'moto[server]')"
  )
}

/**
 * Starts a moto server and waits until it answers.
 * @param {{ log?: (line: string) => void, detached?: boolean, timeoutMs?: number }} [options]
 *   detached: the server outlives this process (the CLI); otherwise it is killed when this process exits.
 */
export async function start(options = {}) {
  const { log = defaultLog, detached = false, timeoutMs = 60_000 } = options
  const engine = findEngine()
  sweepOrphans(log)
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX))
  writeFileSync(join(dir, MARKER), "")
  if (!detached) writeFileSync(join(dir, "owner"), String(process.pid))
  let server
  try {
    server =
      engine.kind === "bundle"
        ? await startBundle(engine.home, dir, timeoutMs)
        : await startOnPath(engine.file, dir, timeoutMs)
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  writeFileSync(join(dir, "pid"), String(server.pid))
  if (engine.kind === "bundle") writeFileSync(join(dir, "stop-with"), join(engine.home, "stop.sh"))
  // Library use: the server goes with this process even when nobody calls stop().
  const onExit = () => {
    killNow(dir)
    rmSync(dir, { recursive: true, force: true })
  }
  if (!detached) process.once("exit", onExit)
  return {
    endpoint: server.endpoint,
    region: REGION,
    ...DUMMY_CREDENTIALS,
    pid: server.pid,
    stateDir: dir,
    log: join(dir, "moto.log"),
    source: engine.kind === "bundle" ? engine.home : engine.file,
    stop: async () => {
      process.off("exit", onExit)
      await stop(dir)
    }
  }
}

/** The bundle's start.sh picks the port, waits for readiness and prints MOTO_ENDPOINT / MOTO_PID. */
async function startBundle(home, dir, timeoutMs) {
  const timeout = String(Math.ceil(timeoutMs / 1000))
  let stdout
  try {
    ;({ stdout } = await run("bash", [join(home, "start.sh"), "--dir", dir, "--timeout", timeout], {
      env: serverEnv(), // start.sh passes MOTO_* settings on to the server
      timeout: timeoutMs + 120_000, // start.sh may apt-get install its Python packages first
      maxBuffer: 16 * 1024 * 1024
    }))
  } catch (error) {
    const said = error.stderr?.trim().split("\n").slice(-20).join("\n")
    throw new Error(`local-aws: ${home}/start.sh failed: ${said || error.message}`, { cause: error })
  }
  const value = (name) => new RegExp(`^${name}=(.+)$`, "m").exec(stdout)?.[1]?.trim()
  const endpoint = value("MOTO_ENDPOINT")
  const pid = Number(value("MOTO_PID"))
  if (!endpoint || !pid) throw new Error(`local-aws: ${home}/start.sh printed no MOTO_ENDPOINT/MOTO_PID:\n${stdout}`)
  return { endpoint, pid }
}

/** A moto_server from PATH, in its own process group so that a stop kills all of it. */
async function startOnPath(file, dir, timeoutMs) {
  const port = await freePort()
  const out = openSync(join(dir, "moto.log"), "a")
  const child = spawn(file, ["-H", "127.0.0.1", "-p", String(port)], {
    cwd: dir,
    detached: true,
    stdio: ["ignore", out, out],
    env: serverEnv({
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_EC2_METADATA_DISABLED: "true"
    })
  })
  closeSync(out)
  child.unref()
  let exited
  child.on("exit", (code, signal) => (exited = signal ?? `code ${code}`))
  const endpoint = `http://127.0.0.1:${port}`
  const deadline = Date.now() + timeoutMs
  while (true) {
    if (exited) throw new Error(`local-aws: ${file} exited (${exited}); log:\n${tail(join(dir, "moto.log"))}`)
    if (await answers(endpoint)) return { endpoint, pid: child.pid }
    if (Date.now() > deadline) {
      try {
        process.kill(-child.pid, "SIGKILL")
      } catch {}
      throw new Error(
        `local-aws: ${file} did not answer within ${timeoutMs / 1000} s; log:\n${tail(join(dir, "moto.log"))}`
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Whether a moto server answers at endpoint (its own status API, no signature needed). */
export async function answers(endpoint, timeoutMs = 2000) {
  try {
    const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(timeoutMs) })
    await response.arrayBuffer()
    return response.status === 200
  } catch {
    return false
  }
}

/**
 * Kills the server of a state folder, waits until it is gone and deletes the folder.
 * A folder that does not exist is already stopped; one that local-aws did not write is refused.
 * @param {string} stateDir
 */
export async function stop(stateDir) {
  const dir = resolve(stateDir)
  if (!existsSync(dir)) return
  if (!existsSync(join(dir, MARKER)))
    throw new Error(`local-aws: ${dir} is not a local-aws state folder; not deleting it`)
  const pid = readPid(dir)
  const started = isOurs(pid, dir) ? startTime(pid) : undefined
  const stopScript = existsSync(join(dir, "stop-with")) ? readFileSync(join(dir, "stop-with"), "utf8") : undefined
  // The bundle's own stop.sh (SIGTERM, then SIGKILL after 5 s) when it started the server.
  if (started && stopScript) await run("bash", [stopScript, String(pid)], { timeout: 15_000 }).catch(() => {})
  killNow(dir)
  // A dying process loses its command line and working folder before it is gone, so wait on the
  // pid and its start time instead of isOurs.
  const deadline = Date.now() + 10_000
  while (started && startTime(pid) === started) {
    if (Date.now() > deadline) throw new Error(`local-aws: moto (pid ${pid}) did not die after SIGKILL`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  rmSync(dir, { recursive: true, force: true })
}

/** Whether the server of a state folder is alive. */
export const isRunning = (stateDir) => isOurs(readPid(resolve(stateDir)), resolve(stateDir))

const readPid = (dir) => {
  try {
    return Number(readFileSync(join(dir, "pid"), "utf8")) || undefined
  } catch {
    return undefined
  }
}

/**
 * Whether pid is a live (not zombie) moto server started in this folder: both start.sh and
 * startOnPath run it with the state folder as working directory, which guards against a pid
 * the kernel has since given to another program.
 */
function isOurs(pid, dir) {
  if (!pid) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2))) return false
    return readlinkSync(`/proc/${pid}/cwd`) === dir && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("moto")
  } catch {
    return false
  }
}

/** The start time of a live (not zombie) process, which tells it apart from a later one with the same pid. */
function startTime(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").at(-1).split(" ")
    return /^[ZX]/.test(fields[0]) ? undefined : fields[19]
  } catch {
    return undefined
  }
}

/** SIGKILLs the server's process group (synchronous: also used in an exit handler). */
function killNow(dir) {
  const pid = readPid(dir)
  if (!isOurs(pid, dir)) return
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGKILL") // both start paths make moto a group leader (setsid / detached)
    } catch {}
  }
}

const isAlive = (pid) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === "EPERM"
  }
}

/** Stops servers whose owning process died without stopping them (a killed test run). */
function sweepOrphans(log) {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue
    const dir = join(tmpdir(), name)
    let owner
    try {
      owner = Number(readFileSync(join(dir, "owner"), "utf8"))
    } catch {
      continue // detached (aws:up) or not ours
    }
    if (!owner || isAlive(owner) || !existsSync(join(dir, MARKER))) continue
    log(`removing ${dir}, left behind by process ${owner}`)
    killNow(dir)
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A port free on 127.0.0.1 right now. */
async function freePort() {
  const { createServer } = await import("node:net")
  const server = createServer()
  await new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", resolve)
  })
  const { port } = server.address()
  await new Promise((resolve) => server.close(() => resolve()))
  return port
}

const tail = (file, count = 20) => {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-count).join("\n")
  } catch {
    return "(no log)"
  }
}
