// Runs a command with a deadline and hands back its output; a failure carries the output.
import { spawn } from "node:child_process"

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, env?: Record<string, string | undefined>, timeoutMs?: number, shell?: boolean }} options
 * @returns {Promise<{ code: number | null, signal: NodeJS.Signals | null, out: string }>}
 */
export const exec = (command, args, { cwd, env = process.env, timeoutMs = 120_000, shell = false }) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, shell, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    child.stdout.on("data", (chunk) => (out += chunk))
    child.stderr.on("data", (chunk) => (out += chunk))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${command} ${args.join(" ")}: no answer within ${timeoutMs / 1000} s\n${out}`))
    }, timeoutMs)
    child.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, out })
    })
  })

/** Like exec, but a non-zero exit is an error that shows the command and what it printed. */
export const run = async (command, args, options) => {
  const result = await exec(command, args, options)
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} (in ${options.cwd}) exited ${result.code ?? result.signal}:\n${result.out}`
    )
  }
  return result.out
}

/** A shell command line, as a Dockerfile's `RUN` gives it. */
export const runShell = (line, options) => run(line, [], { ...options, shell: true })
