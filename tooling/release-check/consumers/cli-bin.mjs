// The CLI as npm installs it: its bin answers --version with the package's version.
import assert from "node:assert/strict"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"

const { version } = JSON.parse(readFileSync("node_modules/@localex/cli/package.json", "utf8"))
const out = execFileSync("node_modules/.bin/localex-storage", ["--version"], { encoding: "utf8", timeout: 30_000 })
assert.equal(out.trim(), `localex-storage v${version}`)
console.log("ok")
