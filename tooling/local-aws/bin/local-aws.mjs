#!/usr/bin/env node
// local-aws up | down | env
// Starts a moto server that outlives this command; <repo>/.local-aws/current.env points at it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { readEnvFile } from "@localex/local-s3"
import { isRunning, start, stop } from "../src/index.mjs"

const POINTER = resolve(import.meta.dirname, "../../..", ".local-aws", "current.env")
const USAGE = `usage: local-aws <command>
  up     start a moto server (detached) and write ${POINTER}
  down   stop the server that \`up\` started
  env    print the current server's KEY=VALUE lines`

const say = (line) => process.stderr.write(`[local-aws] ${line}\n`)

/** The state folder the pointer names, if any. */
const currentDir = () => (existsSync(POINTER) ? readEnvFile(POINTER).LOCALEX_AWS_STATE_DIR : undefined)

async function up() {
  const current = currentDir()
  if (current && isRunning(current)) {
    say("already running; `pnpm aws:down` stops it")
    process.stdout.write(readFileSync(POINTER, "utf8"))
    return
  }
  if (current) await stop(current).catch(() => {}) // a stale pointer, e.g. after a reboot
  const started = performance.now()
  const aws = await start({ detached: true })
  const lines = [
    `# moto (${aws.source}), pid ${aws.pid}, log ${aws.log}`,
    `AWS_ENDPOINT_URL=${aws.endpoint}`,
    `AWS_ACCESS_KEY_ID=${aws.accessKeyId}`,
    `AWS_SECRET_ACCESS_KEY=${aws.secretAccessKey}`,
    `AWS_REGION=${aws.region}`,
    `LOCALEX_AWS_STATE_DIR=${aws.stateDir}`
  ].join("\n")
  mkdirSync(dirname(POINTER), { recursive: true })
  writeFileSync(POINTER, `${lines}\n`)
  say(`up in ${((performance.now() - started) / 1000).toFixed(1)} s (pointer: ${POINTER})`)
  process.stdout.write(`${lines}\n`)
}

async function down() {
  const current = currentDir()
  if (!current) {
    say(`nothing to stop: no ${POINTER}`)
    return
  }
  await stop(current)
  rmSync(POINTER, { force: true })
  say(`stopped; removed ${current}`)
}

function env() {
  if (!existsSync(POINTER)) throw new Error(`no current server (${POINTER} is missing); run \`pnpm aws:up\``)
  process.stdout.write(readFileSync(POINTER, "utf8"))
}

try {
  const [command, ...rest] = process.argv.slice(2)
  if (rest.length) throw new Error(`unexpected arguments: ${rest.join(" ")}\n${USAGE}`)
  if (command === "up") await up()
  else if (command === "down") await down()
  else if (command === "env") env()
  else if (command === "help" || command === "--help" || command === undefined) process.stdout.write(`${USAGE}\n`)
  else throw new Error(`unknown command ${command}\n${USAGE}`)
  process.exit(0)
} catch (error) {
  say(error.message)
  process.exit(1)
}
