#!/usr/bin/env node
/**
 * `localex-storage`: the LocalEx Storage command line. See README.md, or run with --help.
 *
 * It runs the bundle of the process (dist/bundle/, rolldown.config.ts), which loads only what
 * the command line needs, with code caches made after a command ran (codeCache.ts; README.md,
 * "Start-up"). Node's on-disk compile cache (in the OS temp folder; skipped when it cannot be
 * written) holds this file's and the packages' outside the bundle, and its folder holds ours.
 */
import { runBundle } from "./codeCache.js"
import { summaries } from "./commands/summaries.js"

// Built-ins without ES module facades (see codeCache.ts).
const nodeModule = process.getBuiltinModule("node:module")
const { join } = process.getBuiltinModule("node:path")
nodeModule.enableCompileCache()
const compileCache = nodeModule.getCompileCacheDir()
// A cache per command group (the one the command line names; the root's otherwise): each runs other code.
const group = process.argv.slice(2).find((arg) => Object.hasOwn(summaries, arg)) ?? "root"
runBundle(
  join(import.meta.dirname, "bundle/main.cjs"),
  compileCache === undefined ? undefined : join(compileCache, "localex-cli", group)
)
