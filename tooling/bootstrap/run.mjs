#!/usr/bin/env node
// Runs a root script with the toolchain this repository pins, on any machine that has npm.
//
//   node tooling/bootstrap/run.mjs <script> [args…]
//
// 1. Node: the running one when it is >= 22.19, else Node 24 from the npm registry's
//    `node-<platform>-<arch>` package, kept in .toolchain/ (ignored by git).
// 2. pnpm: the version pinned in package.json's packageManager, kept in .toolchain/ too,
//    unless that exact version is the one already running us.
// 3. `pnpm install --frozen-lockfile` when the lockfile changed since the last install.
// 4. `pnpm run <script>` with that Node and pnpm first on PATH.
//
// Written for the oldest Node a fresh machine may have (20): no dependencies, plain ESM.
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { delimiter, dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
const toolchain = join(root, ".toolchain")
const NODE_MIN = [22, 19]
const NODE_PACKAGE_VERSION = "24.22.3" // the Node 24 LTS build taken from the npm registry
const pnpmVersion = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager.split("@")[1]

const [script, ...args] = process.argv.slice(2)
if (!script) fail("usage: node tooling/bootstrap/run.mjs <script> [args…]")

const say = (line) => process.stderr.write(`[bootstrap] ${line}\n`)
function fail(message) {
  process.stderr.write(`[bootstrap] ${message}\n`)
  process.exit(1)
}

const run = (command, argv, options = {}) => {
  const result = spawnSync(command, argv, { stdio: "inherit", cwd: root, ...options })
  if (result.error) fail(`could not run ${command}: ${result.error.message}`)
  return result.status ?? 1
}

const satisfiesNode = (version) => {
  const [major, minor] = version.split(".").map(Number)
  return major > NODE_MIN[0] || (major === NODE_MIN[0] && minor >= NODE_MIN[1])
}

/** Installs npm packages into .toolchain/ (npm is the one tool every Node install has). */
const npmInstallToolchain = (specs) => {
  mkdirSync(toolchain, { recursive: true })
  if (!existsSync(join(toolchain, "package.json"))) writeFileSync(join(toolchain, "package.json"), '{"private":true}\n')
  say(`installing ${specs.join(", ")} into .toolchain/ (once)`)
  const npm = process.platform === "win32" ? "npm.cmd" : "npm"
  const status = run(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", toolchain, ...specs])
  if (status !== 0) fail(`npm could not install ${specs.join(", ")}; check access to the npm registry`)
}

const nodeBinary = () => {
  if (satisfiesNode(process.versions.node)) return process.execPath
  const pkg = `node-${process.platform === "win32" ? "win" : process.platform}-${process.arch}`
  const bin = join(toolchain, "node_modules", pkg, "bin", process.platform === "win32" ? "node.exe" : "node")
  const installed = existsSync(bin) && spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout?.trim()
  if (installed !== `v${NODE_PACKAGE_VERSION}`) {
    say(`Node ${process.versions.node} is older than ${NODE_MIN.join(".")}; bringing Node ${NODE_PACKAGE_VERSION}`)
    // pnpm comes along in the same npm call: a machine with an old Node has no pinned pnpm either.
    npmInstallToolchain([`${pkg}@${NODE_PACKAGE_VERSION}`, `pnpm@${pnpmVersion}`])
  }
  return bin
}

/** Is the `pnpm` on PATH the pinned version? (Run with the chosen Node first on PATH.) */
const pnpmOnPathIsPinned = (PATH) => {
  const agent = process.env.npm_config_user_agent ?? ""
  if (agent.startsWith(`pnpm/${pnpmVersion} `)) return true
  const probe = spawnSync("pnpm", ["--version"], {
    encoding: "utf8",
    env: { ...process.env, PATH },
    shell: process.platform === "win32"
  })
  return probe.status === 0 && probe.stdout.trim() === pnpmVersion
}

/** A directory holding a `pnpm` command of the pinned version, or null when the one on PATH is it. */
const pnpmShimDir = (node) => {
  if (pnpmOnPathIsPinned([dirname(node), process.env.PATH].join(delimiter))) return null
  const pnpmCjs = join(toolchain, "node_modules", "pnpm", "bin", "pnpm.cjs")
  const pkgJson = join(toolchain, "node_modules", "pnpm", "package.json")
  const installed = existsSync(pkgJson) && JSON.parse(readFileSync(pkgJson, "utf8")).version
  if (installed !== pnpmVersion) npmInstallToolchain([`pnpm@${pnpmVersion}`])
  const shimDir = join(toolchain, "bin")
  mkdirSync(shimDir, { recursive: true })
  const shim = join(shimDir, "pnpm")
  writeFileSync(shim, `#!/bin/sh\nexec "${node}" "${pnpmCjs}" "$@"\n`)
  chmodSync(shim, 0o755)
  return shimDir
}

const node = nodeBinary()
const shimDir = pnpmShimDir(node)
const PATH = [shimDir, dirname(node), process.env.PATH].filter(Boolean).join(delimiter)
// Turbo's telemetry is off for every script run through here (npm test, npm start, CI).
const env = { ...process.env, PATH, COREPACK_ENABLE_STRICT: "0", TURBO_TELEMETRY_DISABLED: "1" }
const pnpm = shimDir ? join(shimDir, "pnpm") : "pnpm"

// Install only when the lockfile or a manifest changed since the last successful install.
const stampFile = join(root, "node_modules", ".localex-install-stamp")
const manifests = ["pnpm-lock.yaml", "pnpm-workspace.yaml", "package.json"]
const stamp = createHash("sha256")
  .update(manifests.map((f) => (existsSync(join(root, f)) ? readFileSync(join(root, f)) : "")).join("\0"))
  .update(node)
  .digest("hex")
if (!existsSync(stampFile) || readFileSync(stampFile, "utf8") !== stamp) {
  const frozen = process.env.CI === "true" || existsSync(join(root, "pnpm-lock.yaml")) ? ["--frozen-lockfile"] : []
  // On stderr: stdout is the script's own (`npm run cli -- --json …` prints one JSON document).
  if (run(pnpm, ["install", ...frozen], { env, stdio: ["inherit", 2, 2] }) !== 0) fail("pnpm install failed")
  writeFileSync(stampFile, stamp)
}

// --silent: only the script speaks, so `localex-storage --json` prints its JSON document alone.
process.exit(run(pnpm, ["--silent", "run", script, ...args], { env }))
