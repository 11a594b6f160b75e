/** Starts the built HTTP app (`node apps/http/dist/main.js`) on an ephemeral port, as `npm start` would. */
import { type ChildProcess, spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

export const main = resolve(import.meta.dirname, "../dist/main.js")

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

export interface Server {
  readonly url: string
  readonly root: string
  readonly output: () => string
  readonly child: ChildProcess
  /** Sends SIGTERM and resolves with the exit code. */
  readonly stop: () => Promise<number | null>
}

const cleanEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(LOCALEX_STORAGE_|LOCALEX_HTTP_|AWS_)/.test(name)) env[name] = value
  }
  return { ...env, ...extra }
}

export const tempRoot = () => mkdtemp(join(tmpdir(), "localex-http-"))
export const removeRoot = (root: string) => rm(root, { recursive: true, force: true })

export const startServer = (root: string, env: Record<string, string> = {}): Promise<Server> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, [main], {
      cwd: root,
      env: cleanEnv({
        LOCALEX_HTTP_PORT: "0",
        LOCALEX_STORAGE_DRIVER: "fs",
        LOCALEX_STORAGE_FS_ROOT: join(root, "data"),
        LOCALEX_HTTP_STATE_DIR: join(root, "state"),
        ...env
      }),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    let started = false
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match !== null && !started && output.includes("docs:")) {
        started = true
        done({
          url: match[1]!,
          root,
          output: () => output,
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
    child.stderr.on("data", onData)
    child.once("exit", (code) => {
      if (!started) fail(new Error(`the HTTP app exited (${code}) before listening:\n${output}`))
    })
  })
