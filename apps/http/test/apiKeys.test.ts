/**
 * API keys from a key file (LOCALEX_HTTP_API_KEYS_FILE) beside LOCALEX_HTTP_API_KEYS, through
 * real requests to the built app: scopes, expiry, the rotation overlap, and changes to the file
 * while the server runs (atomic renames, in-place writes, a malformed edit that must change nothing).
 */
import { spawn } from "node:child_process"
import { rename, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { main, removeRoot, type Server, sha256, startServer, tempRoot } from "./server.js"

interface Key {
  readonly id: string
  readonly secret: string
  readonly scopes: ReadonlyArray<string>
  readonly expiresAt?: Date
  readonly notAfter?: Date
}

const keyFile = (keys: ReadonlyArray<Key>) =>
  `${JSON.stringify(
    {
      version: 1,
      keys: keys.map((key) => ({
        id: key.id,
        sha256: sha256(key.secret),
        scopes: key.scopes,
        createdAt: "2026-11-01T00:00:00Z",
        ...(key.expiresAt === undefined ? {} : { expiresAt: key.expiresAt.toISOString() }),
        ...(key.notAfter === undefined ? {} : { notAfter: key.notAfter.toISOString() })
      }))
    },
    null,
    2
  )}\n`

/** Replaces the file as deploy tools do: write a temp file beside it, rename it over. */
const replace = async (path: string, text: string) => {
  await writeFile(`${path}.tmp`, text)
  await rename(`${path}.tmp`, path)
}

/** Retries `test` every 50 ms until it holds, for at most 5 s (the server reloads within the debounce). */
const eventually = async (test: () => Promise<boolean>, what: string) => {
  const deadline = Date.now() + 5000
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out after 5 s waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const reader: Key = { id: "reader", secret: "lxk_reader-secret", scopes: ["read"] }
const writer: Key = { id: "writer", secret: "lxk_writer-secret", scopes: ["read", "write"] }
const expired: Key = {
  id: "expired-key-id",
  secret: "lxk_expired-secret",
  scopes: ["admin"],
  expiresAt: new Date(Date.now() - 60_000)
}
const ENV_SECRET = "env-admin-key"

describe("API keys from a key file", () => {
  let root: string
  let server: Server
  let path: string
  const at = (p: string) => `${server.url}${p}`
  /** GET of a missing object: 404 once the key passes (read scope). */
  const read = (secret: string) =>
    fetch(at("/v1/files/missing.txt"), { headers: { authorization: `Bearer ${secret}` } })
  /** An upload: 201 with the write scope. */
  const write = (secret: string, key = "items/1/a.txt") =>
    fetch(at(`/v1/files?key=${key}`), {
      method: "POST",
      body: "hello",
      headers: { authorization: `Bearer ${secret}`, "content-type": "text/plain" }
    })
  const problem = async (response: Response) => {
    assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
    return (await response.json()) as { status: number; type: string; detail: string }
  }

  beforeAll(async () => {
    root = await tempRoot()
    path = join(root, "api-keys.json")
    await writeFile(path, keyFile([reader, writer, expired]))
    server = await startServer(root, {
      LOCALEX_HTTP_API_KEYS_FILE: path,
      LOCALEX_HTTP_API_KEYS: `${sha256(ENV_SECRET)}:admin`,
      LOCALEX_HTTP_API_KEYS_POLL: "1"
    })
  })
  afterAll(async () => {
    await server.stop()
    await removeRoot(root)
  })

  it("a key works for its scopes only; the environment's keys work beside the file's", async () => {
    assert.strictEqual((await read(reader.secret)).status, 404)
    const forbidden = await write(reader.secret)
    assert.strictEqual(forbidden.status, 403)
    assert.include((await problem(forbidden)).detail, 'lacks the "write" scope')
    assert.strictEqual((await write(writer.secret)).status, 201)
    assert.strictEqual((await write(ENV_SECRET, "items/2/b.txt")).status, 201)
    assert.strictEqual((await read("lxk_not-a-key")).status, 401)
  })

  it("an expired key is 401 with a problem saying it expired, naming no key", async () => {
    const response = await read(expired.secret)
    assert.strictEqual(response.status, 401)
    assert.strictEqual(response.headers.get("www-authenticate"), "Bearer")
    const body = await problem(response)
    assert.strictEqual(body.type, "urn:localex:problem:unauthorized")
    assert.include(body.detail, "expired")
    assert.notInclude(body.detail, expired.id)
    assert.notInclude((await problem(await read("lxk_unknown"))).detail, "expired")
  })

  it("during a rotation's overlap the old and new key both work; after notAfter only the new one", async () => {
    const notAfter = new Date(Date.now() + 3000)
    const old: Key = { ...writer, notAfter }
    const successor: Key = { id: "writer.2", secret: "lxk_writer-2-secret", scopes: ["read", "write"] }
    await replace(path, keyFile([reader, old, successor, expired]))
    await eventually(async () => (await read(successor.secret)).status === 404, "the successor works")
    assert.strictEqual((await write(writer.secret, "items/3/old.txt")).status, 201, "the old key during the overlap")
    assert.strictEqual((await write(successor.secret, "items/3/new.txt")).status, 201)
    await new Promise((r) => setTimeout(r, Math.max(0, notAfter.getTime() - Date.now() + 50)))
    const after = await write(writer.secret, "items/3/late.txt")
    assert.strictEqual(after.status, 401)
    assert.include((await problem(after)).detail, "expired")
    assert.strictEqual((await write(successor.secret, "items/3/newer.txt")).status, 201)
  })

  it("the file is rewritten while the server runs: renames and in-place writes take effect; a malformed edit keeps the keys", async () => {
    const added: Key = { id: "added", secret: "lxk_added-secret", scopes: ["read"] }
    // Atomic replace: `reader` removed, `added` added.
    await replace(path, keyFile([added]))
    await eventually(async () => (await read(added.secret)).status === 404, "the added key works")
    assert.strictEqual((await read(reader.secret)).status, 401, "a removed key stops at once")

    // In place (an editor's save).
    await writeFile(path, keyFile([added, reader]))
    await eventually(async () => (await read(reader.secret)).status === 404, "the re-added key works")

    // Malformed: the last good keys stay (no one locked out, no one let in), and the log says so.
    for (const bad of ["{ not json", keyFile([{ ...added, scopes: ["root"] }])]) {
      await writeFile(path, bad)
      await eventually(
        async () => (server.output().match(/api key file rejected/g) ?? []).length >= (bad.startsWith("{ not") ? 1 : 2),
        "the rejection logged"
      )
      assert.strictEqual((await read(added.secret)).status, 404)
      assert.strictEqual((await read(reader.secret)).status, 404)
      assert.strictEqual((await read("lxk_not-a-key")).status, 401)
    }
    const line = server
      .output()
      .split("\n")
      .find((l) => l.includes("api key file rejected"))
    const log = JSON.parse(line ?? "{}") as { level: string; file: string; error: string }
    assert.strictEqual(log.level, "error")
    assert.strictEqual(log.file, path)
    assert.include(log.error, "not JSON")
    assert.include(server.output(), '"msg":"api keys reloaded"')
  })
})

describe("a key file at start", () => {
  const exitOf = (root: string, env: Record<string, string>) =>
    new Promise<{ code: number | null; output: string }>((done) => {
      const child = spawn(process.execPath, [main], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? "",
          LOCALEX_HTTP_PORT: "0",
          LOCALEX_STORAGE_DRIVER: "fs",
          LOCALEX_STORAGE_FS_ROOT: join(root, "data"),
          ...env
        },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout.on("data", (c: Buffer) => (output += c.toString()))
      child.stderr.on("data", (c: Buffer) => (output += c.toString()))
      const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000)
      child.once("exit", (code) => {
        clearTimeout(deadline)
        done({ code, output })
      })
    })

  it("a malformed or missing file stops the start with one line naming the setting and the problem", async () => {
    const root = await tempRoot()
    try {
      const path = join(root, "keys.json")
      await writeFile(path, JSON.stringify({ version: 1, keys: [{ id: "a", sha256: "xyz", scopes: ["read"] }] }))
      const bad = await exitOf(root, { LOCALEX_HTTP_API_KEYS_FILE: path })
      assert.strictEqual(bad.code, 1, bad.output)
      assert.include(bad.output, "cannot start: Invalid setting LOCALEX_HTTP_API_KEYS_FILE")
      assert.include(bad.output, 'keys[0] ("a").sha256 must be 64 hex digits')
      assert.notInclude(bad.output, "listening")
      const missing = await exitOf(root, { LOCALEX_HTTP_API_KEYS_FILE: join(root, "nope.json") })
      assert.strictEqual(missing.code, 1, missing.output)
      assert.include(missing.output, "no such file")
    } finally {
      await removeRoot(root)
    }
  })
})
