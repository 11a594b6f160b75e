#!/usr/bin/env node
/** `localex-cron`: the LocalEx Storage checklists as scheduled jobs. See README.md, or run with --help. */
import { enableCompileCache } from "node:module"

enableCompileCache?.()
await import("./main.js")
