/**
 * The Node services the process runs with: those of `NodeServices.layer`, built so that a start
 * pays only for what its command uses.
 *
 * - Standard I/O and child processes: @effect/platform-node's modules for them load node:stream
 *   (~4 ms of a ~110 ms `object stat`, measured), so they are loaded on first use, and stdout is
 *   written directly at first (directStdout.ts): a command that prints a few lines loads neither.
 * - The terminal: NodeTerminal reads `process.stdin` as it is built (stdin's stream, node:fs
 *   streams); only prompts use it and no command here prompts, so it is opened on first use.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { Effect, type FileSystem, Layer, type Path, Scope, Sink, Stdio, Stream, Terminal } from "effect"
import { ChildProcessSpawner, make as makeSpawner } from "effect/process/ChildProcessSpawner"
import * as DirectStdout from "./directStdout.js"

/** An effect that runs `load` once, however many times it is run. */
const once = <A>(load: () => Promise<A>): Effect.Effect<A> => {
  let loaded: Promise<A> | undefined
  return Effect.promise(() => {
    loaded ??= load()
    return loaded
  })
}

const nodeStdio = once(() =>
  import("@effect/platform-node/NodeStdio").then((module) =>
    Effect.runPromise(
      Effect.gen(function* () {
        return yield* Stdio.Stdio
      }).pipe(Effect.provide(module.layer))
    )
  )
)

const stdio = Layer.succeed(
  Stdio.Stdio,
  DirectStdout.withDirectStdout(
    Stdio.make({
      args: Effect.flatMap(nodeStdio, (node) => node.args),
      stdinIsTerminal: Effect.flatMap(nodeStdio, (node) => node.stdinIsTerminal),
      stdoutIsTerminal: Effect.flatMap(nodeStdio, (node) => node.stdoutIsTerminal),
      stderrIsTerminal: Effect.flatMap(nodeStdio, (node) => node.stderrIsTerminal),
      stdout: (options) => Sink.unwrap(Effect.map(nodeStdio, (node) => node.stdout(options))),
      stderr: (options) => Sink.unwrap(Effect.map(nodeStdio, (node) => node.stderr(options))),
      stdin: Stream.unwrap(Effect.map(nodeStdio, (node) => node.stdin))
    })
  )
)

const childProcesses = Layer.effect(
  ChildProcessSpawner,
  Effect.gen(function* () {
    const context = yield* Effect.context<FileSystem.FileSystem | Path.Path>()
    const spawner = once(() =>
      import("@effect/platform-node/NodeChildProcessSpawner").then((module) =>
        Effect.runPromise(
          Effect.gen(function* () {
            return yield* ChildProcessSpawner
          }).pipe(Effect.provide(module.layer), Effect.provide(context))
        )
      )
    )
    return makeSpawner((command) => Effect.flatMap(spawner, (node) => node.spawn(command)))
  })
)

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
  childProcesses,
  Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, stdio, terminalOnFirstUse)
)
