/**
 * The Node services the process runs with: `NodeServices.layer`, except that the terminal is
 * opened on first use. NodeTerminal reads `process.stdin` as it is built, which sets up stdin's
 * stream (~3 ms of every start: node:fs streams, node:fs/promises), while only prompts use the
 * terminal and no command here prompts.
 */
import * as NodeChildProcessSpawner from "@effect/platform-node/NodeChildProcessSpawner"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeStdio from "@effect/platform-node/NodeStdio"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { Effect, Layer, Scope, Terminal } from "effect"

const terminalOnFirstUse = Layer.effect(
  Terminal.Terminal,
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const terminal = yield* Effect.cached(Scope.provide(NodeTerminal.make(), scope))
    return Terminal.make({
      columns: Effect.sync(() => process.stdout.columns ?? 0),
      rows: Effect.sync(() => process.stdout.rows ?? 0),
      size: Effect.flatMap(terminal, (opened) => opened.size),
      readInput: Effect.flatMap(terminal, (opened) => opened.readInput),
      readLine: Effect.flatMap(terminal, (opened) => opened.readLine),
      display: (text) => Effect.flatMap(terminal, (opened) => opened.display(text))
    })
  })
)

export const layer = Layer.provideMerge(
  NodeChildProcessSpawner.layer,
  Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeStdio.layer, terminalOnFirstUse)
)
