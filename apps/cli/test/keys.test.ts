/**
 * `localex-storage keys list|add|rotate`, spawned as a user would, on a key file in a temp
 * folder; and a rotation against the built HTTP app watching that file.
 */
import { createHash } from "node:crypto"
import { readdir, readFile, stat, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { assertOneLineError, type Run, run, startServer, tempDir } from "./helpers.js"

let dir: Awaited<ReturnType<typeof tempDir>>
let file: string
const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<Run> =>
  run(args, { env, cwd: dir.path })
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

interface StoredKey {
  id: string
  sha256: string
  scopes: Array<string>
  createdAt: string
  expiresAt?: string
  notAfter?: string
  label?: string
}
const stored = async (path = file) =>
  (JSON.parse(await readFile(path, "utf8")) as { version: number; keys: Array<StoredKey> }).keys

interface NewKey {
  id: string
  secret: string
  scopes: Array<string>
  expiresAt?: string
  replaces?: { id: string; notAfter: string }
}
const json = <A>(result: Run): A => {
  assert.strictEqual(result.code, 0, result.stderr)
  return JSON.parse(result.text) as A
}

beforeAll(async () => {
  dir = await tempDir()
  file = join(dir.path, "api-keys.json")
})
afterAll(() => dir[Symbol.asyncDispose]())

describe("localex-storage keys", () => {
  it("add creates the file (0600) with only the hash of a 32-byte secret printed once", async () => {
    const added = json<NewKey>(
      await cli([
        "--json",
        "keys",
        "add",
        "--file",
        file,
        "--id",
        "ci",
        "--scope",
        "read",
        "--scope",
        "write",
        "--expires-in",
        "90d"
      ])
    )
    assert.match(added.secret, /^lxk_[A-Za-z0-9_-]{43}$/)
    assert.strictEqual(Buffer.from(added.secret.slice(4), "base64url").length, 32)
    const text = await readFile(file, "utf8")
    assert.notInclude(text, added.secret)
    const [key] = await stored()
    assert.deepInclude(key, { id: "ci", sha256: sha256(added.secret), scopes: ["read", "write"] })
    const days = (Date.parse(key!.expiresAt!) - Date.parse(key!.createdAt)) / 86_400_000
    assert.strictEqual(days, 90)
    assert.strictEqual((await stat(file)).mode & 0o777, 0o600)
    assert.deepStrictEqual(await readdir(dir.path), ["api-keys.json"], "no temp or lock file left")

    // Text output, and --quiet prints only the secret.
    const text2 = await cli(["keys", "add", "--file", file, "--id", "ops", "--scope", "admin", "--label", "on-call"])
    assert.strictEqual(text2.code, 0, text2.stderr)
    assert.match(text2.text, /^secret\s+lxk_/m)
    assert.include(text2.text, "shown this once")
    const quiet = await cli(["--quiet", "keys", "add", "--file", file, "--id", "reader", "--scope", "read"], {})
    assert.match(quiet.text, /^lxk_[A-Za-z0-9_-]{43}\n$/)
    assert.deepStrictEqual(
      (await stored()).map((k) => k.id),
      ["ci", "ops", "reader"]
    )
  })

  it("list shows scopes, age, expiry and status, by scope, from --file or LOCALEX_HTTP_API_KEYS_FILE", async () => {
    const listed = json<{ file: string; keys: Array<{ id: string; status: string; ageSeconds: number }> }>(
      await cli(["--json", "keys", "list"], { LOCALEX_HTTP_API_KEYS_FILE: file })
    )
    assert.deepStrictEqual(
      listed.keys.map((k) => [k.id, k.status]),
      [
        ["ci", "active"],
        ["ops", "active"],
        ["reader", "active"]
      ]
    )
    assert.isAtLeast(listed.keys[0]!.ageSeconds, listed.keys[2]!.ageSeconds, "oldest first")
    const writers = json<{ keys: Array<{ id: string }> }>(
      await cli(["--json", "keys", "list", "--file", file, "--scope", "write"])
    )
    assert.deepStrictEqual(
      writers.keys.map((k) => k.id),
      ["ci", "ops"],
      "admin grants write"
    )
    const table = await cli(["keys", "list", "--file", file])
    assert.strictEqual(table.code, 0, table.stderr)
    const lines = table.text.trimEnd().split("\n")
    assert.match(lines[0]!, /^ID\s+SCOPES\s+AGE\s+EXPIRES\s+STATUS\s+LABEL$/)
    assert.match(lines[2]!, /^ops\s+admin\s+\S+\s+-\s+active\s+on-call$/)
  })

  it("rotate adds a successor with the same scopes and ends the old key after the overlap", async () => {
    const before = Date.now()
    const rotated = json<NewKey>(
      await cli(["--json", "keys", "rotate", "--file", file, "--id", "ci", "--overlap", "2h"])
    )
    assert.strictEqual(rotated.id, "ci.2")
    assert.deepStrictEqual(rotated.scopes, ["read", "write"])
    const keys = await stored()
    const old = keys.find((k) => k.id === "ci")!
    const successor = keys.find((k) => k.id === "ci.2")!
    assert.strictEqual(successor.sha256, sha256(rotated.secret))
    const overlap = Date.parse(old.notAfter!) - before
    assert.isTrue(overlap >= 7_200_000 && overlap < 7_200_000 + 60_000, `notAfter is now + 2h (${overlap} ms)`)
    assert.strictEqual(rotated.replaces?.notAfter, new Date(Date.parse(old.notAfter!)).toISOString())
    assert.strictEqual(keys.length, 4)

    const listed = await cli(["keys", "list", "--file", file])
    assert.match(listed.text, /^ci\s.*rotating until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/m)

    // Rotating it again is refused (its successor exists) and changes nothing.
    const text = await readFile(file, "utf8")
    assertOneLineError(await cli(["keys", "rotate", "--file", file, "--id", "ci"]), 2, "already being rotated")
    assertOneLineError(await cli(["keys", "rotate", "--file", file, "--id", "nope"]), 1, 'No API key "nope"')
    assertOneLineError(
      await cli(["keys", "rotate", "--file", file, "--id", "ops", "--overlap", "soon"]),
      2,
      "a duration"
    )
    assert.strictEqual(await readFile(file, "utf8"), text)
  })

  it("bad input is one line and an exit code, and writes nothing", async () => {
    const bad = join(dir.path, "bad.json")
    const text = '{"version":1,"keys":[{"id":"x","sha256":"abc","scopes":["read"],"createdAt":"2026-01-01T00:00:00Z"}]}'
    await writeFile(bad, text)
    assertOneLineError(await cli(["keys", "list", "--file", bad]), 1, 'keys[0] ("x").sha256 must be 64 hex digits')
    assertOneLineError(await cli(["keys", "add", "--file", bad, "--scope", "read"]), 1, "is invalid")
    assert.strictEqual(await readFile(bad, "utf8"), text)
    assertOneLineError(await cli(["keys", "list"]), 2, "Give --file or set LOCALEX_HTTP_API_KEYS_FILE")
    assertOneLineError(await cli(["keys", "list", "--file", join(dir.path, "none.json")]), 1, "no such file")
    assertOneLineError(await cli(["keys", "add", "--file", file, "--scope", "root"]), 2, "unknown scope(s) root")
    assertOneLineError(
      await cli(["keys", "add", "--file", file, "--id", "ops", "--scope", "read"]),
      2,
      "already has a key"
    )
  })

  it("concurrent rotations never lose a key: each one that succeeds is in the file, the others are refused", async () => {
    const ids = ["ops", "reader"]
    const runs = await Promise.all(
      ids.map((id) => cli(["--json", "keys", "rotate", "--file", file, "--id", id, "--overlap", "1h"]))
    )
    const keys = await stored()
    let succeeded = 0
    for (const [index, result] of runs.entries()) {
      if (result.code === 0) {
        succeeded++
        const rotated = JSON.parse(result.text) as NewKey
        assert.strictEqual(keys.find((k) => k.id === rotated.id)?.sha256, sha256(rotated.secret))
        assert.isDefined(keys.find((k) => k.id === ids[index])?.notAfter)
      } else {
        assert.strictEqual(result.code, 1, result.stderr)
        assert.match(result.stderr, /changed since it was read|being written by another command/)
        assert.isUndefined(keys.find((k) => k.id === ids[index])?.notAfter, "a refused rotation changed nothing")
      }
    }
    assert.isAtLeast(succeeded, 1)
    assert.strictEqual(keys.length, 4 + succeeded)
  })
})

describe("keys rotate against the running HTTP app", () => {
  it("the new secret works at once, the old one until the overlap ends, without a restart", async () => {
    await using work = await tempDir()
    const path = join(work.path, "keys.json")
    const env = { LOCALEX_HTTP_API_KEYS_FILE: path }
    const first = JSON.parse(
      (await run(["--json", "keys", "add", "--id", "app", "--scope", "read"], { env, cwd: work.path })).text
    ) as NewKey
    const server = await startServer(
      {
        ...env,
        LOCALEX_STORAGE_DRIVER: "fs",
        LOCALEX_STORAGE_FS_ROOT: join(work.path, "data"),
        LOCALEX_HTTP_STATE_DIR: join(work.path, "state")
      },
      work.path
    )
    try {
      const status = async (secret: string) =>
        (await fetch(`${server.url}/v1/files/missing.txt`, { headers: { authorization: `Bearer ${secret}` } })).status
      assert.strictEqual(await status(first.secret), 404)
      const rotated = JSON.parse(
        (await run(["--json", "keys", "rotate", "--id", "app", "--overlap", "1h"], { env, cwd: work.path })).text
      ) as NewKey
      const deadline = Date.now() + 5000
      while ((await status(rotated.secret)) !== 404) {
        assert.isBelow(Date.now(), deadline, "the server did not pick up the rotation within 5 s")
        await new Promise((r) => setTimeout(r, 50))
      }
      assert.strictEqual(await status(first.secret), 404, "the old key works during the overlap")
      // The overlap ends (set to the past by hand rather than waiting an hour): the old key is refused.
      const keys = await stored(path)
      keys.find((k) => k.id === "app")!.notAfter = new Date(Date.now() - 1000).toISOString()
      await writeFile(path, JSON.stringify({ version: 1, keys }))
      const until = Date.now() + 5000
      while ((await status(first.secret)) !== 401) {
        assert.isBelow(Date.now(), until, "the old key still worked 5 s after its overlap ended")
        await new Promise((r) => setTimeout(r, 50))
      }
      assert.strictEqual(await status(rotated.secret), 404)
    } finally {
      await server.stop()
    }
  })
})
