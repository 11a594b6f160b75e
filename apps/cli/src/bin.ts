#!/usr/bin/env node
/**
 * `localex-storage`: the LocalEx Storage command line. See README.md, or run with --help.
 *
 * Start-up is mostly compiling JavaScript (effect, effect/cli, the storage drivers): Node's
 * on-disk compile cache (in the OS temp folder) makes every run after the first skip that.
 * It must be on before those modules load, hence the dynamic import.
 */
import { enableCompileCache } from "node:module"

// The bundle rolldown builds after tsc (rolldown.config.ts); a variable, since tsc has no types for it.
const bundle = "./bundle/main.js"
enableCompileCache?.()
await import(bundle)
