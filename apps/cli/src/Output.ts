/**
 * Output: every command hands its result to this service, which prints it as text for a
 * person or, with `--json`, as exactly one JSON document on stdout. Commands never write to
 * stdout themselves; what a result looks like is a view (views/*.ts).
 *
 * - `record`: one thing, as aligned `label  value` lines (stat, put, cp, get).
 * - `lines`: a stream of rows (ls): text line by line, or, with --json, one document
 *   `{"entries":[…]}` written as the rows arrive; memory stays flat however long the listing is.
 *   When the stream fails part-way, the runner closes that same document with the error:
 *   `{"entries":[…],"error":{…}}` (see `JsonDocument`), so stdout is always one JSON document.
 * - `value`: the one value the caller asked for (sign prints the URL), printed even with --quiet.
 * - `note`/`debug`: remarks for a person on stderr (never with --json/--quiet; debug only with --verbose).
 */
import { Context, Effect, Layer, Option, Stdio, Stream } from "effect"

export interface OutputMode {
  readonly json: boolean
  readonly quiet: boolean
  readonly verbose: boolean
}

/** A result: what a person reads (`text`, label/value pairs or lines) and what a script parses (`json`). */
export interface Document {
  readonly text: ReadonlyArray<readonly [label: string, value: string]> | ReadonlyArray<string>
  readonly json: unknown
  /** Text that is the answer itself (printed even with --quiet); otherwise text is a report --quiet hides. */
  readonly primary?: boolean
}

/** A streamed result: rows rendered one by one. */
export interface Rows<A, E, R> {
  readonly rows: Stream.Stream<A, E, R>
  readonly text: (row: A) => string
  readonly json: (row: A) => unknown
}

/**
 * Whether a streamed JSON document is open on stdout (rows written, not closed yet). The runner
 * provides one per run and, when the run fails, closes the open document with the error instead
 * of printing a second document.
 */
export class JsonDocument extends Context.Service<
  JsonDocument,
  {
    open: boolean
    /** A whole document has been printed (a failure after it is reported on stderr and by the exit code only). */
    printed: boolean
  }
>()("@localex/cli/JsonDocument") {}

export class Output extends Context.Service<
  Output,
  {
    readonly mode: OutputMode
    readonly print: (document: Document) => Effect.Effect<void>
    readonly printRows: <A, E, R>(rows: Rows<A, E, R>) => Effect.Effect<void, E, R>
    readonly note: (line: string) => Effect.Effect<void>
    readonly debug: (line: string) => Effect.Effect<void>
    /** Whether a progress bar may be drawn (stderr is a terminal, no --json/--quiet). */
    readonly progress: Effect.Effect<boolean>
  }
>()("@localex/cli/Output") {
  static readonly layer = (mode: OutputMode): Layer.Layer<Output, never, Stdio.Stdio> =>
    Layer.effect(
      Output,
      Effect.gen(function* () {
        const stdio = yield* Stdio.Stdio
        const state = Option.getOrElse(yield* Effect.serviceOption(JsonDocument), () => ({
          open: false,
          printed: false
        }))
        // Output that cannot be written (a closed pipe: `| head`) ends the output, not the command.
        const write = <E, R>(stream: Stream.Stream<string, E, R>): Effect.Effect<void, E, R> =>
          Stream.run(stream, stdio.stdout()).pipe(Effect.catchTag("PlatformError", () => Effect.void))
        const out = (text: string) => write(Stream.succeed(text))
        const err = (line: string) =>
          Stream.run(Stream.succeed(`${line}\n`), stdio.stderr()).pipe(Effect.catch(() => Effect.void))

        const print = (document: Document) => {
          if (mode.json) {
            state.printed = true
            return out(`${JSON.stringify(document.json, null, 2)}\n`)
          }
          if (mode.quiet && document.primary !== true) return Effect.void
          const text = document.text
          return text.length === 0 ? Effect.void : out(`${formatText(text).join("\n")}\n`)
        }

        const printRows = <A, E, R>(rows: Rows<A, E, R>): Effect.Effect<void, E, R> => {
          if (!mode.json) return write(rows.rows.pipe(Stream.map((row) => `${rows.text(row)}\n`)))
          // One JSON document, written as the rows arrive: {"entries":[ row, row, … ]}.
          let first = true
          const open = Stream.fromEffect(
            Effect.sync(() => {
              state.open = true
              return '{"entries":['
            })
          )
          const items = rows.rows.pipe(
            Stream.map((row) => {
              const line = `${first ? "\n  " : ",\n  "}${JSON.stringify(rows.json(row))}`
              first = false
              return line
            })
          )
          const close = Stream.fromEffect(
            Effect.sync(() => {
              state.open = false
              state.printed = true
              return first ? "]}\n" : "\n]}\n"
            })
          )
          return write(open.pipe(Stream.concat(items), Stream.concat(close)))
        }

        return Output.of({
          mode,
          print,
          printRows,
          note: (line) => (mode.json || mode.quiet ? Effect.void : err(line)),
          debug: (line) => (mode.verbose ? err(line) : Effect.void),
          // Asked only by a command that moves bytes: looking at stderr builds Node's stream for it.
          progress: mode.json || mode.quiet ? Effect.succeed(false) : stdio.stderrIsTerminal
        })
      })
    )
}

const isPairs = (text: Document["text"]): text is ReadonlyArray<readonly [label: string, value: string]> =>
  typeof text[0] !== "string"

export const formatText = (text: Document["text"]): ReadonlyArray<string> => {
  if (!isPairs(text)) return text as ReadonlyArray<string>
  const width = Math.max(...text.map(([label]) => label.length))
  return text.map(([label, value]) => `${label.padEnd(width)}  ${value}`)
}
