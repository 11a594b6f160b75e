/**
 * `localex-storage perf check` through the built binary on the fs driver: every line of the
 * guide's review measured, the CDN fetched through a local server when --cdn-url is given,
 * exit code matching the verdict, and nothing left in the store.
 */

import { readdir } from "node:fs/promises"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { run, tempDir } from "./helpers.js"

let dir: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  dir = await tempDir()
})
afterAll(() => dir[Symbol.asyncDispose]())

describe("perf check", () => {
  it("measures each line, fetches through the CDN, and cleans up", async () => {
    const requested: Array<string> = []
    const cdn = createServer((request, response) => {
      requested.push(request.url ?? "")
      response.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.alloc(1024))
    })
    await new Promise<void>((done) => cdn.listen(0, "127.0.0.1", done))
    const cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}/`
    try {
      const result = await run(
        ["--json", "--root", join(dir.path, "data"), "perf", "check", "--samples", "2", "--cdn-url", cdnUrl],
        {
          env: {},
          cwd: dir.path
        }
      )
      const report = JSON.parse(result.text) as {
        status: string
        lines: Array<{
          id: string
          status: string
          samplesMs: Array<number>
          p50Ms: number
          targetMs: number
          hint: string | null
        }>
      }
      assert.deepStrictEqual(
        report.lines.map((l) => [l.id, l.samplesMs.length, l.targetMs]),
        [
          ["upload", 2, 2000],
          ["download", 2, 500],
          ["thumbnail", 2, 3000],
          ["cdn", 2, 100],
          ["signed-url", 2, 50]
        ]
      )
      for (const line of report.lines) assert.strictEqual(line.status, line.p50Ms < line.targetMs ? "pass" : "fail")
      assert.strictEqual(result.code, report.status === "fail" ? 1 : 0, result.stderr)
      // One fetch to fill the cache, then the two measured ones, all of the stored 1 MB object.
      assert.strictEqual(requested.length, 3)
      assert.match(requested[0] ?? "", /^\/_localex\/perf\/[^/]+\/download\.bin$/)
      const left = await readdir(join(dir.path, "data/_localex/perf")).catch(() => [])
      for (const folder of left) assert.deepStrictEqual(await readdir(join(dir.path, "data/_localex/perf", folder)), [])
    } finally {
      cdn.closeAllConnections()
      cdn.close()
    }
  }, 120_000)
})
