// The systemd units (deploy/systemd) are accepted by `systemd-analyze verify` without a warning,
// and start what the deploy folders hold.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { exec } from "../src/proc.mjs"
import { quietEnv, root } from "../src/workspace.mjs"

const unitsDir = join(root, "deploy/systemd")
const units = readdirSync(unitsDir).filter((f) => /\.(service|timer)$/.test(f))
const analyze = await exec("systemd-analyze", ["--version"], { cwd: root, env: quietEnv() }).catch(() => undefined)
if (!analyze) console.warn("SKIPPED: systemd-analyze is not installed: the systemd units are not verified")

/** verify, in a scratch copy whose ExecStart uses the Node running this test (the machine's may live elsewhere). */
const verify = async (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), "localex-units-"))
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text.replaceAll("/usr/bin/node ", `${process.execPath} `))
  }
  return exec("systemd-analyze", ["verify", "--man=no", ...Object.keys(files).map((f) => join(dir, f))], {
    cwd: dir,
    env: quietEnv({ SYSTEMD_LOG_COLOR: "0" }),
    timeoutMs: 60_000
  })
}

describe.skipIf(!analyze)("systemd units", () => {
  it("verify without an error or a warning", async () => {
    const { code, out } = await verify(
      Object.fromEntries(units.map((u) => [u, readFileSync(join(unitsDir, u), "utf8")]))
    )
    expect(out.trim()).toBe("")
    expect(code).toBe(0)
  })

  it("a unit with a mistake is refused (the check can fail)", async () => {
    const { out } = await verify({ "bad.service": "[Service]\nExecStart=/usr/bin/node x.js\nKillSignal=SIGFOO\n" })
    expect(out).toMatch(/SIGFOO/)
  })

  it("start the deploy folders' entry points and stop the HTTP API with SIGTERM", () => {
    const http = readFileSync(join(unitsDir, "localex-storage-http.service"), "utf8")
    expect(http).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/localex-storage\/http\/dist\/main\.js$/m)
    expect(http).toMatch(/^KillSignal=SIGTERM$/m)
    expect(http).toMatch(/^ProtectSystem=strict$/m)
    const cleanup = readFileSync(join(unitsDir, "localex-storage-cleanup.service"), "utf8")
    expect(cleanup).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/localex-storage\/cli\/dist\/bin\.js cleanup expired$/m)
  })
})
