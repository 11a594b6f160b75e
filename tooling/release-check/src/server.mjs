// Starts a server app (the HTTP API, the cron runner) as a child process and stops it with a signal,
// each with a deadline.
import { spawn } from "node:child_process"

/**
 * Waits for "listening on <url>" on stdout (and, with `devKey: true`, the development key the HTTP
 * API prints).
 * @returns {Promise<{ url: string, devKey: string | undefined, output: () => string,
 *   stop: (signal: NodeJS.Signals, timeoutMs: number) => Promise<{ code: number | null, signal: string | null }> }>}
 */
export const startServer = (node, args, { cwd, env, timeoutMs = 60_000, devKey: waitForKey = true }) =>
  new Promise((resolve, reject) => {
    const child = spawn(node, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    const exited = new Promise((done) => child.on("exit", (code, signal) => done({ code, signal })))
    const stop = async (signal, ms) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill("SIGKILL"), ms)
      const result = await exited
      clearTimeout(timer)
      return result
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`the server did not say it was listening within ${timeoutMs / 1000} s:\n${out}`))
    }, timeoutMs)
    const onData = (chunk) => {
      out += chunk
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      const devKey = /development API key[^:]*: (\S+)/.exec(out)?.[1]
      if (url && (devKey !== undefined || !waitForKey)) {
        clearTimeout(timer)
        resolve({ url, devKey, output: () => out, stop })
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`the server exited (${code}) before listening:\n${out}`))
    })
  })
