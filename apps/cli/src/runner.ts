/**
 * Runs a command tree: parse, run the command, and turn any failure into one line on stderr and
 * an exit code (see failure.ts). Shared by the library's `run` (Cli.ts, every group loaded) and
 * the process (tree.ts, only the groups the command line names).
 */
import { createRequire } from "node:module"
import { Console, Effect, Layer, Logger, References, Stdio, Stream } from "effect"
import { CliConfig, CliOutput, Command, GlobalFlag } from "effect/cli"
import { report } from "./failure.js"
import { JsonDocument } from "./Output.js"
import { NAME } from "./root.js"

export const VERSION: string = createRequire(import.meta.url)("../package.json").version

/**
 * Help goes to stdout when asked for (`--help`) and to stderr when shown because a command
 * needs a subcommand. Parse errors are left to `runCommand`, which prints them as one line. With
 * --json, `--help` and `--version` print one JSON document like every other command.
 */
const presenter = (json: boolean) =>
  CliOutput.layerPresenter({
    present: (event) => {
      if (event._tag === "InvalidInvocation") return Effect.void
      if (event._tag === "Help" && event.reason === "Implicit") {
        return Effect.gen(function* () {
          const formatter = yield* CliOutput.Formatter
          yield* Console.error(formatter.formatHelpDoc(event.helpDoc))
        })
      }
      if (json && event._tag === "Help") {
        return Effect.gen(function* () {
          const formatter = yield* CliOutput.Formatter
          const text = formatter.formatHelpDoc(event.helpDoc)
          yield* Console.log(
            JSON.stringify({ help: { command: event.commandPath.join(" "), ...event.helpDoc, text } }, null, 2)
          )
        })
      }
      if (json && event._tag === "Version") {
        return Console.log(JSON.stringify({ name: NAME, version: event.version }, null, 2))
      }
      return CliOutput.defaultPresenter.present(event)
    }
  })

/**
 * effect/cli's default formatter, built when something is first formatted: building it asks
 * whether stdout is a terminal (colours), which sets up Node's stream for stdout (~3 ms of a
 * start when stdout is a pipe) — for help and usage errors only.
 */
const formatter: CliOutput.Formatter = (() => {
  let built: CliOutput.Formatter | undefined
  const get = () => (built ??= CliOutput.defaultFormatter({ inheritedFlags: "summary", globalFlags: "summary" }))
  return {
    formatHelpDoc: (doc) => get().formatHelpDoc(doc),
    formatCliError: (error) => get().formatCliError(error),
    formatError: (error) => get().formatError(error),
    formatVersion: (name, version) => get().formatVersion(name, version),
    formatErrors: (errors) => get().formatErrors(errors)
  }
})()

/** Built-in flags: --help, --version, --completions (no wizard, no --log-level: see --verbose). */
const config = Layer.mergeAll(
  CliConfig.layer({ builtIns: [GlobalFlag.Help, GlobalFlag.Version, GlobalFlag.Completions] }),
  CliOutput.layer(formatter)
)

const has = (argv: ReadonlyArray<string>, ...flags: ReadonlyArray<string>) => argv.some((arg) => flags.includes(arg))

/**
 * Runs `command` on `argv` (without `node` and the script); succeeds with the exit code. With
 * --json, stdout is one JSON document whatever happens: a failure is `{"error":{…}}`, or closes
 * the streamed document a list had open (`{"entries":[…],"error":{…}}`).
 */
export const runCommand = <const Name extends string, Input, ContextInput, E, R>(
  command: Command.Command<Name, Input, ContextInput, E, R>,
  argv: ReadonlyArray<string>
) =>
  Effect.suspend(() => {
    const verbose = has(argv, "--verbose")
    const document = JsonDocument.of({ open: false, printed: false })
    return Command.runWith(command, { version: VERSION })(argv).pipe(
      Effect.as(0),
      Effect.catchCause((cause) =>
        Effect.gen(function* () {
          const stdio = yield* Stdio.Stdio
          const failure = report(cause)
          const lines = [`${NAME}: ${failure.line}`, ...(verbose && failure.detail ? [failure.detail] : [])]
          // With --json, stdout stays one document: a failure after a whole document was printed
          // (quota exceeded, some keys not deleted) is told by stderr and the exit code only.
          if (has(argv, "--json") && (document.open || !document.printed)) {
            const error = { tag: failure.tag, message: failure.line, exitCode: failure.exitCode }
            const text = document.open
              ? `\n],"error":${JSON.stringify(error)}}\n`
              : `${JSON.stringify({ error }, null, 2)}\n`
            document.open = false
            yield* Stream.run(Stream.succeed(text), stdio.stdout()).pipe(Effect.ignore)
          }
          yield* Stream.run(Stream.succeed(`${lines.join("\n")}\n`), stdio.stderr()).pipe(Effect.ignore)
          return failure.exitCode
        })
      ),
      Effect.provideService(JsonDocument, document),
      Effect.provide(Layer.merge(config, presenter(has(argv, "--json")))),
      Effect.provideService(Logger.LogToStderr, true),
      Effect.provideService(References.MinimumLogLevel, verbose ? "Debug" : "Warn")
    )
  })
