/**
 * Runs the built CLI (`node apps/cli/dist/bin.js`) as a user would, and the built HTTP app
 * (`node apps/http/dist/main.js`) on an ephemeral port for signed-URL round trips.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { assert } from "@effect/vitest"

export const repo = resolve(import.meta.dirname, "../../..")
export const bin = join(repo, "apps/cli/dist/bin.js")
export const httpMain = join(repo, "apps/http/dist/main.js")

export interface Run {
  readonly code: number | null
  readonly stdout: Buffer
  readonly stderr: string
  readonly text: string
}

/** The environment of a run: none of the caller's storage settings leak in. */
export const cleanEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(LOCALEX_STORAGE_|LOCALEX_HTTP_|LOCALEX_CDN_|AWS_)/.test(name)) continue
    env[name] = value
  }
  return { ...env, ...extra }
}

export const run = (
  args: ReadonlyArray<string>,
  options: {
    readonly env: Record<string, string>
    readonly cwd: string
    readonly input?: Uint8Array
    /** Node's own options, before the script. */
    readonly node?: ReadonlyArray<string>
  }
): Promise<Run> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, [...(options.node ?? []), bin, ...args], {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"]
    })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
    child.on("error", fail)
    child.on("close", (code) => {
      const stdout = Buffer.concat(out)
      done({ code, stdout, stderr: Buffer.concat(err).toString("utf8"), text: stdout.toString("utf8") })
    })
    if (options.input !== undefined) child.stdin.end(options.input)
    else child.stdin.end()
  })

export const tempDir = async (): Promise<{
  readonly path: string
  readonly [Symbol.asyncDispose]: () => Promise<void>
}> => {
  const path = await mkdtemp(join(tmpdir(), "localex-cli-"))
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) }
}

export interface Server {
  readonly url: string
  readonly child: ChildProcess
  readonly stop: () => Promise<number | null>
}

/** Starts the HTTP app on an ephemeral port and resolves with the URL it prints. */
export const startServer = (env: Record<string, string>, cwd: string): Promise<Server> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, [httpMain], {
      cwd,
      env: cleanEnv({ LOCALEX_HTTP_PORT: "0", ...env }),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match !== null) {
        child.stdout.off("data", onData)
        done({
          url: match[1]!,
          child,
          stop: () =>
            new Promise((stopped) => {
              if (child.exitCode !== null) return stopped(child.exitCode)
              child.once("exit", (code) => stopped(code))
              child.kill("SIGTERM")
            })
        })
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8")
    })
    child.once("exit", (code) => fail(new Error(`the HTTP app exited (${code}) before listening:\n${output}`)))
  })

/** The CLI failed as a user should see it: this exit code, nothing on stdout, one line on stderr, no stack trace. */
export const assertOneLineError = (result: Run, code: number, includes: string) => {
  assert.strictEqual(result.code, code, result.stderr)
  assert.strictEqual(result.text, "")
  const lines = result.stderr.trimEnd().split("\n")
  assert.strictEqual(lines.length, 1, result.stderr)
  assert.include(lines[0], includes)
  assert.notInclude(result.stderr, "    at ")
}
