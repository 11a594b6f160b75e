#!/usr/bin/env node
/**
 * `localex-storage`: the LocalEx Storage command line. See README.md, or run with --help.
 *
 * It runs the bundle of the process (dist/bundle/, rolldown.config.ts), which loads only what
 * the command line needs (README.md, "Start-up"). Node's on-disk compile cache (in the OS temp
 * folder; skipped when it cannot be written) must be on before the bundle loads, hence the
 * dynamic import.
 */
import * as nodeModule from "node:module"

// The bundle rolldown builds after tsc (rolldown.config.ts); a variable, since tsc has no types for it.
const bundle = "./bundle/main.js"
// A namespace read, not a named import: on a Node without it the CLI still starts.
nodeModule.enableCompileCache?.()
await import(bundle)
