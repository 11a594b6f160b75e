/**
 * Output: every command hands its result to these renderers, which print it as text for a
 * person or, with `--json`, as exactly one JSON document on stdout. Commands never write to
 * stdout themselves.
 *
 * - `record`: one thing, as aligned `label  value` lines (stat, put, cp, get).
 * - `lines`: a stream of rows (ls): text line by line, or, with --json, one document
 *   `{"entries":[…]}` written as the rows arrive; memory stays flat however long the listing is.
 *   When the stream fails part-way, the runner closes that same document with the error:
 *   `{"entries":[…],"error":{…}}` (see `JsonDocument`), so stdout is always one JSON document.
 * - `value`: the one value the caller asked for (sign prints the URL), printed even with --quiet.
 * - `note`/`debug`: remarks for a person on stderr (never with --json/--quiet; debug only with --verbose).
 */

import type { DeletedPhoto, PhotoManifest, ProcessedPhoto } from "@localex/image-processing"
import type { DeleteOutcome, ListEntry, ObjectInfo, PresignedUrl } from "@localex/storage-core"
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
export class JsonDocument extends Context.Service<JsonDocument, { open: boolean }>()("@localex/cli/JsonDocument") {}

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
        const document = Option.getOrElse(yield* Effect.serviceOption(JsonDocument), () => ({ open: false }))
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
          // One JSON document, written as the rows arrive: {"entries":[ row, row, … ]}.
          let first = true
          const open = Stream.fromEffect(
            Effect.sync(() => {
              document.open = true
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
              document.open = false
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

// --- photos ----------------------------------------------------------------------------------

/** Aligned columns, left-aligned but for the columns listed in `right`. */
const columns = (rows: ReadonlyArray<ReadonlyArray<string>>, right: ReadonlyArray<number> = []) => {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]!.length))) ?? []
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i === row.length - 1 ? cell : right.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)
      )
      .join("  ")
      .trimEnd()
  )
}

interface VariantRow {
  readonly size: string
  readonly format: string
  readonly width: number
  readonly height: number
  readonly bytes: number
}

/** size, format, width×height, bytes, and where it is (a file or a key). */
const variantLines = (variants: ReadonlyArray<VariantRow & { readonly at: string }>) =>
  columns(
    variants.map((v) => [v.size, v.format, `${v.width}×${v.height}`, bytes(v.bytes), v.at]),
    [2, 3]
  )

const sourceLine = (source: PhotoManifest["source"]) =>
  `${source.format} ${source.width}×${source.height} (${bytes(source.bytes)})`

/** A stored photo: its id, where it is, and its variants; the JSON is the manifest itself. */
export const photoManifest = (manifest: PhotoManifest): Document => ({
  primary: true,
  text: [
    ...formatText([
      ["photo id", manifest.photoId],
      ["prefix", manifest.prefix],
      ["source", sourceLine(manifest.source)],
      ["created", manifest.createdAt]
    ]),
    ...variantLines(manifest.variants.map((v) => ({ ...v, bytes: v.bytes, at: v.key })))
  ],
  json: manifest
})

/** Variants made locally and written to files (`paths`, in the order of `photo.variants`). */
export const processedPhoto = (photo: ProcessedPhoto, out: string, paths: ReadonlyArray<string>): Document => ({
  primary: true,
  text: [
    ...formatText([
      ["photo id", photo.photoId],
      ["source", sourceLine(photo.source)],
      ["written to", out]
    ]),
    ...variantLines(photo.variants.map((v, i) => ({ ...v, bytes: v.data.length, at: paths[i]! })))
  ],
  json: {
    photoId: photo.photoId,
    source: photo.source,
    out,
    variants: photo.variants.map((v, i) => ({
      size: v.size,
      format: v.format,
      contentType: v.contentType,
      width: v.width,
      height: v.height,
      bytes: v.data.length,
      path: paths[i]!
    }))
  }
})

/** The keys of a deleted photo, the manifest last. */
export const photoDeleted = (deleted: DeletedPhoto): Document => ({
  text: deleted.keys.map((key) => `deleted ${key}`),
  json: { prefix: deleted.prefix, deleted: deleted.keys }
})
