// One throwaway Ceph cluster: a monitor, an OSD on memstore and a RADOS Gateway on loopback,
// everything under one data folder so several clusters can run side by side.
import { execFile, spawn } from "node:child_process"
import { randomBytes, randomUUID } from "node:crypto"
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { promisify } from "node:util"
import { cephConf, MARKER } from "./ceph-conf.mjs"
import { ensureEngine } from "./install.mjs"
import { freePorts } from "./ports.mjs"
import { s3Request } from "./sigv4.mjs"

export const REGION = "us-east-1"
const DIR_PREFIX = "localex-s3-"
const DEFAULT_MEMSTORE_BYTES = 4 * 1024 ** 3
const DAEMONS = ["rgw", "osd", "mon"] // kill order
const run = promisify(execFile)

const defaultLog = (line) => process.stderr.write(`[local-s3] ${line}\n`)

/** The environment of every ceph command: no stray CEPH_ARGS/CEPH_CONF from the caller. */
const cephEnv = () => {
  const env = { ...process.env }
  delete env.CEPH_ARGS
  delete env.CEPH_CONF
  return env
}

/**
 * Starts a cluster and waits until the gateway answers a signed ListBuckets.
 * @param {{ dataDir?: string, installIfMissing?: boolean, log?: (line: string) => void,
 *           detached?: boolean, timeoutMs?: number, memstoreBytes?: number }} [options]
 *   detached: the daemons get their own process group and outlive this process (the CLI);
 *   otherwise they are killed when this process exits.
 */
export async function start(options = {}) {
  const { installIfMissing = true, log = defaultLog, detached = false, timeoutMs = 60_000 } = options
  const memstoreBytes =
    options.memstoreBytes ?? (Number(process.env.LOCALEX_S3_MEMSTORE_BYTES) || DEFAULT_MEMSTORE_BYTES)
  await ensureEngine({ installIfMissing, log })
  if (!options.dataDir) await sweepOrphans(log)
  const dir = options.dataDir ? await prepareDir(resolve(options.dataDir)) : mkdtempSync(join(tmpdir(), DIR_PREFIX))

  const conf = join(dir, "ceph.conf")
  const [monPort, rgwPort] = await freePorts(2)
  const fsid = randomUUID()
  const osdUuid = randomUUID()
  const accessKeyId = `LX${randomBytes(9).toString("hex").toUpperCase()}` // 20 characters, like AWS
  const secretAccessKey = randomBytes(20).toString("hex")
  for (const sub of ["run", "log", "crash", "mon/ceph-a", "osd/ceph-0"]) mkdirSync(join(dir, sub), { recursive: true })
  writeFileSync(conf, cephConf({ dir, fsid, monPort, rgwPort, memstoreBytes }))

  // Any failure — a command, a daemon dying, the deadline — aborts the start-up.
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(new Error(`start-up took longer than ${timeoutMs / 1000} s`)), timeoutMs)
  const pids = { owner: detached ? undefined : process.pid }
  let step = { what: "writing the monitor map", logs: [] }

  const command = async (file, args) => {
    try {
      return (await run(file, ["-c", conf, ...args], { cwd: dir, env: cephEnv(), signal: abort.signal })).stdout
    } catch (error) {
      throw abort.signal.aborted
        ? abort.signal.reason
        : new Error(`${file} ${args.join(" ")}: ${error.stderr?.trim() || error.message}`)
    }
  }
  /**
   * radosgw-admin now and then dies of a signal in Pacific's start-up (seen: SIGSEGV in
   * `user create`): run it once more then. `done` tells a retry's error that means the crashed
   * run had already done the work (the user exists).
   */
  const admin = async (args, done) => {
    try {
      return await command("radosgw-admin", args)
    } catch (error) {
      if (abort.signal.aborted || !/Caught signal/.test(error.message)) throw error
      return command("radosgw-admin", args).catch((again) => {
        if (done?.test(again.message)) return ""
        throw again
      })
    }
  }
  const daemon = (name, file, args) => {
    const out = openSync(join(dir, "log", `${name}.out`), "a")
    const child = spawn(file, ["-c", conf, "-f", ...args], {
      cwd: dir,
      env: cephEnv(),
      detached,
      stdio: ["ignore", out, out]
    })
    closeSync(out)
    child.unref()
    child.on("exit", (code, signal) =>
      abort.abort(new Error(`${file} exited (${signal ?? `code ${code}`}), see log/${name}.out`))
    )
    pids[name] = child.pid
    writePids(dir, pids)
  }

  const [monmap, keyring] = [join(dir, "monmap"), join(dir, "keyring")]
  // Arguments written as one string where no value can hold a space (paths can).
  const words = (text) => text.split(" ")
  try {
    await run("monmaptool", [...words(`--create --fsid ${fsid} --addv a [v2:127.0.0.1:${monPort}]`), monmap])
    await run("ceph-authtool", [keyring, ...words("--create-keyring --gen-key -n mon. --cap mon"), "allow *"])
    step = { what: "creating the monitor and OSD stores", logs: ["mon.a.log", "osd.0.log"] }
    // The OSD's store needs no monitor, so both are made at once.
    await Promise.all([
      command("ceph-mon", ["--mkfs", "-i", "a", "--monmap", monmap, "--keyring", keyring]),
      command("ceph-osd", words(`--mkfs -i 0 --osd-uuid ${osdUuid} --no-mon-config`))
    ])
    step = { what: "starting the monitor", logs: ["mon.a.log", "mon.out"] }
    daemon("mon", "ceph-mon", ["-i", "a"])
    await command("ceph", ["osd", "new", osdUuid, "0"])
    step = {
      what: "starting the OSD and creating the gateway user",
      logs: ["osd.0.log", "osd.out", "client.admin.log"]
    }
    daemon("osd", "ceph-osd", ["-i", "0"])
    // Also creates the default zone and its pools; blocks until the OSD is up and the PGs active.
    const user = `user create --uid localex --display-name localex --access-key ${accessKeyId} --secret-key ${secretAccessKey}`
    await admin(words(user), /user: localex exists/)
    step = { what: "adding the COLD storage class", logs: ["client.admin.log"] }
    const placement = "--placement-id default-placement --storage-class COLD"
    await admin(words(`zonegroup placement add --rgw-zonegroup default ${placement}`))
    await admin(words(`zone placement add --rgw-zone default ${placement} --data-pool default.rgw.cold.data`))
    step = { what: "starting the gateway", logs: ["client.rgw.a.log", "rgw.out"] }
    daemon("rgw", "radosgw", ["-n", "client.rgw.a"])
    const s3 = { endpoint: `http://127.0.0.1:${rgwPort}`, region: REGION, accessKeyId, secretAccessKey }
    await waitForGateway(s3, abort.signal)

    const lines = {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: REGION,
      LOCALEX_S3_DATA_DIR: dir
    }
    writeFileSync(join(dir, "env"), formatEnv(lines))
    // Library use: the cluster goes with this process even when nobody calls stop().
    const onExit = () => {
      killNow(dir, pids)
      rmSync(dir, { recursive: true, force: true })
    }
    if (!detached) process.once("exit", onExit)
    return {
      ...s3,
      dataDir: dir,
      envFile: join(dir, "env"),
      pids: { mon: pids.mon, osd: pids.osd, rgw: pids.rgw },
      stop: async () => {
        process.off("exit", onExit)
        await stop(dir)
      }
    }
  } catch (error) {
    killNow(dir, pids)
    const reason = abort.signal.aborted ? abort.signal.reason : error
    throw new Error(
      `local-s3: ${step.what} failed: ${reason.message}\nlogs kept in ${join(dir, "log")}${tails(dir, step.logs)}`,
      { cause: error }
    )
  } finally {
    clearTimeout(timer)
    abort.abort(new Error("done")) // a daemon exiting later no longer concerns this start-up
  }
}

/** Polls a signed ListBuckets until it answers 200. */
async function waitForGateway(s3, signal) {
  let last = "no answer yet"
  while (true) {
    signal.throwIfAborted()
    try {
      const response = await s3Request(s3, { signal })
      if (response.status === 200) return
      last = `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`
    } catch (error) {
      if (signal.aborted) throw new Error(`${signal.reason.message} (last answer: ${last})`)
      last = error.cause?.code ?? error.message
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * Kills a cluster's daemons, waits until they are gone and deletes its data folder.
 * A folder that does not exist is already stopped; one that local-s3 did not write is refused.
 * @param {string} dataDir
 */
export async function stop(dataDir) {
  const dir = resolve(dataDir)
  if (!existsSync(dir)) return
  if (!isClusterDir(dir)) throw new Error(`local-s3: ${dir} is not a local-s3 data folder; not deleting it`)
  const pids = readPids(dir)
  killNow(dir, pids)
  const deadline = Date.now() + 10_000
  while (DAEMONS.some((name) => isOurs(pids[name], dir))) {
    if (Date.now() > deadline) throw new Error(`local-s3: the daemons of ${dir} did not die after SIGKILL`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  // Dead already. Give their parent a moment to reap the zombies too (instant for this process or
  // a usual init; some container inits reap only every second or two).
  const reaped = Date.now() + 3000
  while (DAEMONS.some((name) => pids[name] && existsSync(`/proc/${pids[name]}`)) && Date.now() < reaped) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  rmSync(dir, { recursive: true, force: true })
}

/** Whether the cluster in dataDir has all its daemons alive. */
export const isRunning = (dataDir) => {
  const dir = resolve(dataDir)
  if (!isClusterDir(dir)) return false
  const pids = readPids(dir)
  return DAEMONS.every((name) => isOurs(pids[name], dir))
}

/**
 * Runs radosgw-admin against a cluster, e.g. `radosgwAdmin(dir, "lc", "process")`.
 * @returns {Promise<string>} its standard output
 */
export async function radosgwAdmin(dataDir, ...args) {
  const dir = resolve(dataDir)
  return (await run("radosgw-admin", ["-c", join(dir, "ceph.conf"), ...args], { cwd: dir, env: cephEnv() })).stdout
}

// --- env and pids files -------------------------------------------------------------------

/** KEY=VALUE lines, no `export`, readable by `set -a; . FILE` and by readEnvFile. */
export const formatEnv = (values) =>
  `${Object.entries(values)
    .map(([key, value]) => `${key}=${value}`)
    .join("\n")}\n`

/** Parses KEY=VALUE lines; blank lines and # comments are skipped. */
export function readEnvFile(path) {
  const values = {}
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line)
    if (match) values[match[1]] = match[2].trim()
  }
  return values
}

const writePids = (dir, pids) =>
  writeFileSync(join(dir, "pids"), formatEnv(Object.fromEntries(Object.entries(pids).filter(([, pid]) => pid))))

const readPids = (dir) => {
  const file = join(dir, "pids")
  if (!existsSync(file)) return {}
  return Object.fromEntries(Object.entries(readEnvFile(file)).map(([name, pid]) => [name, Number(pid)]))
}

// --- processes ----------------------------------------------------------------------------

const isClusterDir = (dir) => {
  try {
    return readFileSync(join(dir, "ceph.conf"), "utf8").startsWith(MARKER)
  } catch {
    return false
  }
}

/**
 * Whether pid is a live (not zombie) process started for this folder. Checking the command
 * line guards against a recorded pid that the kernel has since given to another program.
 */
function isOurs(pid, dir) {
  if (!pid) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return false
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(join(dir, "ceph.conf"))
  } catch {
    return false
  }
}

/** SIGKILLs the recorded daemons that still run (synchronous: also used in an exit handler). */
function killNow(dir, pids) {
  for (const name of DAEMONS) {
    if (!isOurs(pids[name], dir)) continue
    try {
      process.kill(pids[name], "SIGKILL")
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

/** Stops clusters in the temp folder whose owning process died without stopping them. */
async function sweepOrphans(log) {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue
    const dir = join(tmpdir(), name)
    const { owner } = readPids(dir)
    if (!owner || isAlive(owner) || !isClusterDir(dir)) continue
    log(`removing ${dir}, left behind by process ${owner}`)
    await stop(dir).catch((error) => log(error.message))
  }
}

/** A folder named by the caller: created, or reused when it holds a stopped cluster. */
async function prepareDir(dir) {
  if (isClusterDir(dir)) {
    if (isRunning(dir)) throw new Error(`local-s3: a cluster already runs in ${dir}; stop it first`)
    await stop(dir)
  } else if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new Error(`local-s3: ${dir} is neither empty nor a local-s3 data folder`)
  }
  mkdirSync(dir, { recursive: true })
  return dir
}

/** The last lines of the named log files, for error messages. */
function tails(dir, names, count = 15) {
  let text = ""
  for (const name of names) {
    const file = join(dir, "log", name)
    if (!existsSync(file)) continue
    const lines = readFileSync(file, "utf8").trimEnd().split("\n").slice(-count)
    text += `\n--- last lines of ${file} ---\n${lines.join("\n")}`
  }
  return text
}
