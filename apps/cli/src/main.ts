/**
 * The process around the CLI: argv, the Node services, exit codes. Loaded by bin.ts once the
 * compile cache is on.
 */
// Submodules, not the package index: the index loads every Node adapter (~0.4 s at start).
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit } from "effect"
import * as NodeServices from "./nodeServices.js"
import { run } from "./tree.js"

/**
 * pnpm forwards the `--` of `pnpm run <script> -- --flag` to the script (npm drops it): run from a
 * package script (`storage:cleanup-expired`), the first `--` is that separator, not the CLI's.
 */
const args = process.argv.slice(2)
const separator = process.env.npm_lifecycle_event === undefined ? -1 : args.indexOf("--")
const argv = separator === -1 ? args : [...args.slice(0, separator), ...args.slice(separator + 1)]

run(argv).pipe(
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) =>
      onExit(Exit.isSuccess(exit) ? (exit.value as number) : Cause.hasInterruptsOnly(exit.cause) ? 130 : 1)
  })
)
