/**
 * Output: every command hands its result to these renderers, which print it as text for a
 * person or, with `--json`, as exactly one JSON document on stdout. Commands never write to
 * stdout themselves.
 *
 * - `record`: one thing, as aligned `label  value` lines (stat, put, cp, get).
 * - `lines`: a stream of rows (ls): text line by line, or one streamed JSON array; memory stays
 *   flat however long the listing is.
 * - `value`: the one value the caller asked for (sign prints the URL), printed even with --quiet.
 * - `note`/`debug`: remarks for a person on stderr (never with --json/--quiet; debug only with --verbose).
 */

import type { DeleteOutcome, ListEntry, ObjectInfo, PresignedUrl } from "@localex/storage-core"
import { Context, Effect, Layer, Stdio, Stream } from "effect"

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

export class Output extends Context.Service<
  Output,
  {
    readonly mode: OutputMode
    readonly print: (document: Document) => Effect.Effect<void>
    readonly printRows: <A, E, R>(rows: Rows<A, E, R>) => Effect.Effect<void, E, R>
    readonly note: (line: string) => Effect.Effect<void>
    readonly debug: (line: string) => Effect.Effect<void>
    /** Whether a progress bar may be drawn (stderr is a terminal, no --json/--quiet). */
    readonly progress: boolean
  }
>()("@localex/cli/Output") {
  static readonly layer = (mode: OutputMode): Layer.Layer<Output, never, Stdio.Stdio> =>
    Layer.effect(
      Output,
      Effect.gen(function* () {
        const stdio = yield* Stdio.Stdio
        const stderrIsTerminal = yield* stdio.stderrIsTerminal
        // Output that cannot be written (a closed pipe: `| head`) ends the output, not the command.
        const write = <E, R>(stream: Stream.Stream<string, E, R>): Effect.Effect<void, E, R> =>
          Stream.run(stream, stdio.stdout()).pipe(Effect.catchTag("PlatformError", () => Effect.void))
        const out = (text: string) => write(Stream.succeed(text))
        const err = (line: string) =>
          Stream.run(Stream.succeed(`${line}\n`), stdio.stderr()).pipe(Effect.catch(() => Effect.void))

        const print = (document: Document) => {
          if (mode.json) return out(`${JSON.stringify(document.json, null, 2)}\n`)
          if (mode.quiet && document.primary !== true) return Effect.void
          const text = document.text
          return text.length === 0 ? Effect.void : out(`${formatText(text).join("\n")}\n`)
        }

        const printRows = <A, E, R>(rows: Rows<A, E, R>): Effect.Effect<void, E, R> => {
          if (!mode.json) return write(rows.rows.pipe(Stream.map((row) => `${rows.text(row)}\n`)))
          // One JSON array, written as the rows arrive.
          let empty = true
          const items = rows.rows.pipe(
            Stream.zipWithIndex,
            Stream.map(([row, i]) => {
              empty = false
              return `${i === 0 ? "[\n  " : ",\n  "}${JSON.stringify(rows.json(row))}`
            })
          )
          return write(
            Stream.concat(
              items,
              Stream.suspend(() => Stream.succeed(empty ? "[]\n" : "\n]\n"))
            )
          )
        }

        return Output.of({
          mode,
          print,
          printRows,
          note: (line) => (mode.json || mode.quiet ? Effect.void : err(line)),
          debug: (line) => (mode.verbose ? err(line) : Effect.void),
          progress: stderrIsTerminal && !mode.json && !mode.quiet
        })
      })
    )
}

const isPairs = (text: Document["text"]): text is ReadonlyArray<readonly [label: string, value: string]> =>
  typeof text[0] !== "string"

const formatText = (text: Document["text"]): ReadonlyArray<string> => {
  if (!isPairs(text)) return text as ReadonlyArray<string>
  const width = Math.max(...text.map(([label]) => label.length))
  return text.map(([label, value]) => `${label.padEnd(width)}  ${value}`)
}

// --- formats -----------------------------------------------------------------------------

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const

/** 1536 → "1.5 KiB". */
export const bytes = (n: number): string => {
  let value = n
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`
}

/** An instant to the second, in UTC: 2026-11-28T13:24:00Z. */
export const instant = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z")

const orDash = (value: string | undefined) => (value === undefined || value === "" ? "-" : value)

// --- views of storage-core values ----------------------------------------------------------

export const objectInfoJson = (info: ObjectInfo) => ({
  key: info.key,
  size: info.size,
  etag: info.etag,
  lastModified: info.lastModified.toISOString(),
  contentType: info.contentType ?? null,
  cacheControl: info.cacheControl ?? null,
  contentDisposition: info.contentDisposition ?? null,
  metadata: info.metadata,
  storageClass: info.storageClass ?? null,
  versionId: info.versionId ?? null
})

/** One object's metadata (stat, and the result of put/cp). */
export const objectInfo = (info: ObjectInfo, extra: Record<string, unknown> = {}): Document => ({
  primary: true,
  text: [
    ["key", info.key],
    ["size", `${info.size} (${bytes(info.size)})`],
    ["etag", info.etag],
    ["last modified", instant(info.lastModified)],
    ["content type", orDash(info.contentType)],
    ["cache control", orDash(info.cacheControl)],
    ["content disposition", orDash(info.contentDisposition)],
    ["storage class", orDash(info.storageClass)],
    [
      "metadata",
      orDash(
        Object.entries(info.metadata)
          .map(([k, v]) => `${k}=${v}`)
          .join(", ")
      )
    ]
  ],
  json: { ...objectInfoJson(info), ...extra }
})

/** A one-line report of what was done, and its JSON form. */
export const done = (line: string, json: unknown): Document => ({ text: [line], json })

/** A listing: keys (or `--long`: modified, size, key); folders end with the delimiter. */
export const listing = <E, R>(entries: Stream.Stream<ListEntry, E, R>, long: boolean): Rows<ListEntry, E, R> => ({
  rows: entries,
  text: (entry) =>
    entry._tag === "Prefix"
      ? long
        ? `${"".padEnd(20)}  ${"PRE".padStart(12)}  ${entry.prefix}`
        : entry.prefix
      : long
        ? `${instant(entry.lastModified)}  ${String(entry.size).padStart(12)}  ${entry.key}`
        : entry.key,
  json: (entry) =>
    entry._tag === "Prefix"
      ? { type: "prefix", prefix: entry.prefix }
      : {
          type: "object",
          key: entry.key,
          size: entry.size,
          etag: entry.etag,
          lastModified: entry.lastModified.toISOString(),
          storageClass: entry.storageClass ?? null
        }
})

/** The outcome of deleting several keys. */
export const deleteOutcomes = (outcomes: ReadonlyArray<DeleteOutcome>): Document => ({
  text: outcomes.map((o) => (o.deleted ? `deleted ${o.key}` : `not deleted ${o.key}: ${o.message} (${o.code})`)),
  json: {
    deleted: outcomes.filter((o) => o.deleted).map((o) => o.key),
    failed: outcomes.flatMap((o) => (o.deleted ? [] : [{ key: o.key, code: o.code, message: o.message }]))
  }
})

/** A presigned URL: the URL alone on stdout (what `curl "$(…)"` needs). */
export const presigned = (url: PresignedUrl): Document => ({
  primary: true,
  text: [url.url],
  json: { url: url.url, method: url.method, expiresAt: url.expiresAt.toISOString(), headers: url.headers }
})

/** The keys a dry run would delete. */
export const plan = (verb: string, keys: ReadonlyArray<string>): Document => ({
  primary: true,
  text: keys.map((key) => `would ${verb} ${key}`),
  json: { dryRun: true, [verb]: keys }
})
