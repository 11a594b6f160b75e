#!/usr/bin/env node
// local-s3 up [--dir DIR] | down [--dir DIR] | env
// Starts a Ceph RADOS Gateway that outlives this command; <repo>/.local-s3/current.env points at it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { isRunning, readEnvFile, start, stop } from "../src/index.mjs"

const POINTER = resolve(import.meta.dirname, "../../..", ".local-s3", "current.env")
const USAGE = `usage: local-s3 <command>
  up [--dir DIR]    start an engine (detached) and point ${POINTER} at it
  down [--dir DIR]  stop the engine in DIR (default: the current one)
  env               print the current engine's KEY=VALUE lines`

const say = (line) => process.stderr.write(`[local-s3] ${line}\n`)

/** The data folder the pointer names, if any. */
const currentDir = () => (existsSync(POINTER) ? readEnvFile(POINTER).LOCALEX_S3_DATA_DIR : undefined)

function parse(argv) {
  const [command, ...rest] = argv
  let dir
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--dir") dir = rest[++i]
    else if (rest[i].startsWith("--dir=")) dir = rest[i].slice("--dir=".length)
    else throw new Error(`unknown argument ${rest[i]}\n${USAGE}`)
  }
  if (rest.includes("--dir") && !dir) throw new Error(`--dir needs a folder\n${USAGE}`)
  return { command, dir: dir && resolve(dir) }
}

async function up(dir) {
  const current = currentDir()
  if (!dir && current && isRunning(current)) {
    say(`already running (data: ${current}); \`local-s3 down\` stops it`)
    process.stdout.write(`# env file: ${join(current, "env")} (pointer: ${POINTER})\n${readFileSync(POINTER, "utf8")}`)
    return
  }
  if (current && !isRunning(current)) await stop(current).catch(() => {}) // a stale pointer, e.g. after a reboot
  const started = performance.now()
  const s3 = await start({ dataDir: dir, detached: true })
  const lines = readFileSync(s3.envFile, "utf8")
  mkdirSync(dirname(POINTER), { recursive: true })
  writeFileSync(POINTER, lines)
  say(`up in ${((performance.now() - started) / 1000).toFixed(1)} s; logs in ${join(s3.dataDir, "log")}`)
  process.stdout.write(`# env file: ${s3.envFile} (pointer: ${POINTER})\n${lines}`)
}

async function down(dir) {
  const current = currentDir()
  const target = dir ?? current
  if (!target) {
    say("nothing to stop: no --dir and no current engine")
    return
  }
  await stop(target)
  if (current === target) rmSync(POINTER, { force: true })
  say(`stopped; removed ${target}`)
}

function env() {
  if (!existsSync(POINTER)) throw new Error(`no current engine (${POINTER} is missing); run \`local-s3 up\``)
  process.stdout.write(readFileSync(POINTER, "utf8"))
}

try {
  const { command, dir } = parse(process.argv.slice(2))
  if (command === "up") await up(dir)
  else if (command === "down") await down(dir)
  else if (command === "env") env()
  else if (command === "help" || command === "--help" || command === undefined) process.stdout.write(`${USAGE}\n`)
  else throw new Error(`unknown command ${command}\n${USAGE}`)
  process.exit(0) // fetch's keep-alive sockets must not hold the command open
} catch (error) {
  say(error.message)
  process.exit(1)
}
