#!/usr/bin/env node
/**
 * `localex-storage`: the LocalEx Storage command line. See README.md, or run with --help.
 */
// Submodules, not the package index: the index loads every Node adapter (~0.4 s at start).
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Effect, Exit } from "effect"
import { run } from "./Cli.js"

run(process.argv.slice(2)).pipe(
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) =>
      onExit(Exit.isSuccess(exit) ? (exit.value as number) : Cause.hasInterruptsOnly(exit.cause) ? 130 : 1)
  })
)
