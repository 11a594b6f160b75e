// The OpenAPI document the HTTP app serves passes `redocly lint` with the recommended rules,
// without a warning.
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Api } from "@localex/http"
import { OpenApi } from "effect/http-api"
import { describe, expect, it } from "vitest"
import { exec } from "../src/proc.mjs"
import { quietEnv } from "../src/workspace.mjs"

const redocly = join(import.meta.dirname, "../node_modules/.bin/redocly")

const lint = async (document: unknown) => {
  const dir = mkdtempSync(join(tmpdir(), "localex-openapi-"))
  writeFileSync(join(dir, "openapi.json"), JSON.stringify(document, null, 2))
  return exec(redocly, ["lint", "--extends=recommended", "--format=stylish", "openapi.json"], {
    cwd: dir,
    env: quietEnv(),
    timeoutMs: 60_000
  })
}

describe("the OpenAPI document", () => {
  it("passes redocly's recommended rules with no error and no warning", async () => {
    const { code, out } = await lint(OpenApi.fromApi(Api))
    expect(out).not.toMatch(/\b(error|warning)\b/)
    expect(code).toBe(0)
  })

  it("fails the same lint without servers (the check can fail)", async () => {
    const { servers: _, ...withoutServers } = OpenApi.fromApi(Api)
    const { code, out } = await lint(withoutServers)
    expect(out).toMatch(/no-empty-servers/)
    expect(code).not.toBe(0)
  })
})
