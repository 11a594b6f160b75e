#!/usr/bin/env node
// `pnpm localex-storage …` (pnpm runs this bin: no script banner) and `npm run cli -- …`:
// builds apps/cli when its sources changed, then runs it. The build says nothing unless it
// fails, so stdout and stderr carry the command's own output only.
import { spawnSync } from "node:child_process"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", TURBO_NO_UPDATE_NOTIFIER: "1" }
const build = spawnSync("turbo", ["run", "build", "--filter=@localex/cli", "--output-logs=errors-only"], {
  cwd: root,
  env,
  encoding: "utf8",
  shell: process.platform === "win32"
})
if (build.error || build.status !== 0) {
  process.stderr.write(build.stdout ?? "")
  process.stderr.write(build.stderr ?? "")
  process.stderr.write(`localex-storage: building the CLI failed${build.error ? `: ${build.error.message}` : ""}\n`)
  process.exit(1)
}
const cli = spawnSync(process.execPath, [join(root, "apps/cli/dist/bin.js"), ...process.argv.slice(2)], {
  stdio: "inherit"
})
if (cli.signal) process.kill(process.pid, cli.signal)
process.exit(cli.status ?? 1)
