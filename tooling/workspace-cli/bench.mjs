#!/usr/bin/env node
// `npm run test:performance [-- --grep storage]`: the benchmarks of every package (`pnpm bench`),
// one package at a time; --grep keeps the packages whose name contains the word.
import { spawnSync } from "node:child_process"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: { grep: { type: "string" } }
})
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1" }
const turbo = (args) => {
  const result = spawnSync("turbo", args, { cwd: root, env, stdio: "inherit", shell: process.platform === "win32" })
  if (result.error) throw result.error
  return result.status ?? 1
}
const filter = values.grep === undefined ? [] : [`--filter=*${values.grep}*`]
const built = turbo(["run", "build", "--output-logs=errors-only", ...filter])
process.exit(built !== 0 ? built : turbo(["run", "bench", "--concurrency=1", ...filter]))
