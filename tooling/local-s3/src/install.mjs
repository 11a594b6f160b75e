// Finds the Ceph binaries, or installs them with apt-get when that is possible.
import { spawn } from "node:child_process"
import { accessSync, constants, existsSync } from "node:fs"
import { delimiter, join } from "node:path"

/** Thrown when no S3 engine can exist on this machine (not Linux, not root, no apt-get…). */
export class EngineUnavailable extends Error {
  constructor(message) {
    super(message)
    this.name = "EngineUnavailable"
  }
}

export const PACKAGES = ["ceph-mon", "ceph-osd", "radosgw"]
/** Everything start() runs; ceph-common and ceph-base come with the packages above. */
const BINARIES = ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "ceph-authtool", "monmaptool"]
const INSTALL = `apt-get install -y --no-install-recommends ${PACKAGES.join(" ")}`

/** The path of an executable on PATH (or in the sbin folders a non-login root shell may lack). */
export function which(name) {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/bin", "/usr/sbin", "/bin", "/sbin"]
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK)
      return join(dir, name)
    } catch {}
  }
  return undefined
}

const missingBinaries = () => BINARIES.filter((name) => !which(name))

/**
 * Makes sure the Ceph binaries exist: installs them when root on Linux with apt-get,
 * else throws EngineUnavailable saying why.
 * @param {{ installIfMissing?: boolean, log: (line: string) => void }} options
 */
export async function ensureEngine({ installIfMissing = true, log }) {
  let missing = missingBinaries()
  if (missing.length === 0) return
  const what = `the Ceph S3 engine is not installed (missing ${missing.join(", ")})`
  if (process.platform !== "linux")
    throw new EngineUnavailable(`${what}, and it runs on Linux only (this is ${process.platform})`)
  if (!installIfMissing) throw new EngineUnavailable(`${what}; install it with: sudo ${INSTALL}`)
  if (process.getuid?.() !== 0)
    throw new EngineUnavailable(`${what}, and installing it needs root; run: sudo ${INSTALL}`)
  if (!which("apt-get"))
    throw new EngineUnavailable(`${what}, and there is no apt-get to install it (Debian/Ubuntu only)`)

  log(`${what}; installing ${PACKAGES.join(" ")} with apt-get (about a minute, once per machine)`)
  await aptGet(["update"], log)
  await aptGet(["install", "-y", "--no-install-recommends", ...PACKAGES], log)
  missing = missingBinaries()
  if (missing.length)
    throw new EngineUnavailable(`apt-get installed ${PACKAGES.join(" ")} but ${missing.join(", ")} is still missing`)
}

/** Runs apt-get, streaming its output to the log line by line. */
function aptGet(args, log) {
  // Wait for the dpkg lock instead of failing when another apt-get (or test run) holds it.
  const argv = ["-o", "DPkg::Lock::Timeout=600", ...args]
  return new Promise((resolve, reject) => {
    const child = spawn("apt-get", argv, {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    for (const stream of [child.stdout, child.stderr]) {
      let rest = ""
      stream.setEncoding("utf8")
      stream.on("data", (chunk) => {
        const lines = (rest + chunk).split("\n")
        rest = lines.pop()
        for (const line of lines) if (line.trim()) log(`apt-get: ${line}`)
      })
      stream.on("end", () => rest.trim() && log(`apt-get: ${rest}`))
    }
    child.on("error", (error) => reject(new EngineUnavailable(`could not run apt-get: ${error.message}`)))
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(new EngineUnavailable(`apt-get ${args[0]} failed with exit code ${code} (output above)`))
    )
  })
}

/**
 * The path of a tool the tests need (e.g. chromium), installing its Debian package with apt-get
 * when missing and root on Linux. Undefined when it cannot be had here — except under CI=true,
 * where that throws: CI must run every test.
 * @param {{ binary: string, debianPackage: string, log: (line: string) => void }} tool
 */
export async function ensureDebianTool({ binary, debianPackage, log }) {
  const found = binary.startsWith("/") ? (existsSync(binary) ? binary : undefined) : which(binary)
  if (found) return found
  const why =
    process.platform !== "linux" || process.getuid?.() !== 0 || !which("apt-get")
      ? `${binary} is missing (install it: sudo apt-get install ${debianPackage})`
      : undefined
  if (why === undefined) {
    log(`${binary} is missing; installing ${debianPackage} with apt-get (once per machine)`)
    await aptGet(["update"], log)
    await aptGet(["install", "-y", "--no-install-recommends", debianPackage], log)
    const installed = binary.startsWith("/") ? (existsSync(binary) ? binary : undefined) : which(binary)
    if (installed) return installed
  }
  const reason = why ?? `apt-get install ${debianPackage} did not provide ${binary}`
  if (process.env.CI === "true") throw new EngineUnavailable(`CI=true and ${reason}`)
  log(`SKIPPING what needs ${binary}: ${reason}`)
  return undefined
}
