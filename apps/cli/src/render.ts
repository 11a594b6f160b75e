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

import type { LifecyclePolicy } from "@localex/cost"
import type { DeletedPhoto, PhotoManifest, ProcessedPhoto } from "@localex/image-processing"
import type { Quota, StorageStats } from "@localex/monitoring"
import {
  type DeleteOutcome,
  DeletionPlan,
  type ListEntry,
  type ObjectInfo,
  objectInfoJson,
  type PresignedUrl,
  Units
} from "@localex/storage-core"
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
    readonly progress: boolean
  }
>()("@localex/cli/Output") {
  static readonly layer = (mode: OutputMode): Layer.Layer<Output, never, Stdio.Stdio> =>
    Layer.effect(
      Output,
      Effect.gen(function* () {
        const stdio = yield* Stdio.Stdio
        const stderrIsTerminal = yield* stdio.stderrIsTerminal
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

export const bytes = Units.formatBytes

/** An instant to the second, in UTC: 2026-11-28T13:24:00Z. */
export const instant = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z")

const orDash = (value: string | undefined) => (value === undefined || value === "" ? "-" : value)

// --- views of storage-core values ----------------------------------------------------------

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

// --- storage operations ----------------------------------------------------------------------

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`
const usage = (u: { readonly objects: number; readonly bytes: number }) =>
  `${count(u.objects, "object")}, ${bytes(u.bytes)}`
const percent = (share: number) => (Number.isFinite(share) ? `${(share * 100).toFixed(1)}%` : "∞")

/** A table with a header row: text columns left, number columns (`right`) right-aligned. */
const table = (
  title: string,
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  right: ReadonlyArray<number>
): Array<string> => (rows.length === 0 ? [] : ["", title, ...columns([header, ...rows], right).map((l) => `  ${l}`)])

const usageRows = <T extends { readonly objects: number; readonly bytes: number }>(
  entries: ReadonlyArray<T>,
  label: (entry: T) => string
) => entries.map((e) => [label(e), String(e.objects), bytes(e.bytes)])

/**
 * Storage statistics (and a quota verdict): totals, listing, multipart uploads and versions as
 * label/value lines, then tables of storage classes, prefixes, sizes, ages and the largest
 * objects. The JSON is the StorageStats document (plus `quota`: the verdict).
 */
export const storageStats = (stats: StorageStats, verdict?: Quota.QuotaVerdict): Document => {
  const multipart = stats.multipartUploads
  const versions = stats.versions
  const listingLine =
    stats.listing.mode === "inventory"
      ? `inventory report (${count(stats.listing.shards, "file")}), ${stats.listing.durationMs} ms`
      : `${stats.listing.mode} (${count(stats.listing.shards, "key range")}), ${stats.listing.durationMs} ms`
  const pairs: Array<readonly [string, string]> = [
    ["location", stats.location],
    ["scope", stats.scope === "" ? "(whole bucket)" : stats.scope],
    ["objects", String(stats.totals.objects)],
    ["bytes", `${stats.totals.bytes} (${bytes(stats.totals.bytes)})`],
    [
      "multipart uploads",
      multipart === null
        ? "unknown"
        : `${count(multipart.uploads, "incomplete upload")}, ${bytes(multipart.bytes)}${multipart.oldestInitiated === null ? "" : `, oldest ${multipart.oldestInitiated}`}`
    ],
    [
      "versions",
      versions === null
        ? "unknown"
        : `versioning ${versions.versioning}: ${count(versions.noncurrentVersions, "noncurrent version")} (${bytes(versions.noncurrentBytes)}), ${count(versions.deleteMarkers, "delete marker")}`
    ],
    ["oldest", stats.oldest === null ? "-" : `${stats.oldest.lastModified}  ${stats.oldest.key}`],
    ["newest", stats.newest === null ? "-" : `${stats.newest.lastModified}  ${stats.newest.key}`],
    ["listing", listingLine],
    ["generated", stats.generatedAt]
  ]
  const prefixes = usageRows(stats.byPrefix.entries, (e) => (e.prefix === "" ? "(top level)" : e.prefix))
  if (stats.byPrefix.truncated)
    prefixes.push(["(other prefixes)", String(stats.byPrefix.other.objects), bytes(stats.byPrefix.other.bytes)])
  const text = [
    ...formatText(pairs),
    ...table(
      "by storage class",
      ["class", "objects", "bytes"],
      usageRows(stats.byStorageClass, (e) => e.storageClass),
      [1, 2]
    ),
    ...table(`by prefix (depth ${stats.byPrefix.depth})`, ["prefix", "objects", "bytes"], prefixes, [1, 2]),
    ...table(
      "by size",
      ["size", "objects", "bytes"],
      usageRows(stats.sizeHistogram, (e) => e.label),
      [1, 2]
    ),
    ...table(
      "by age",
      ["age", "objects", "bytes"],
      usageRows(stats.ageHistogram, (e) => e.label),
      [1, 2]
    ),
    ...table(
      "largest",
      ["bytes", "last modified", "key"],
      stats.largest.map((o) => [bytes(o.size), o.lastModified, o.key]),
      [0]
    ),
    ...(verdict === undefined ? [] : ["", `quota: ${verdict.status}`, ...verdict.summary.map((line) => `  ${line}`)])
  ]
  return { primary: true, text, json: verdict === undefined ? stats : { ...stats, quota: verdict } }
}

/**
 * A cleanup (expired files, orphans): what the plan holds and, after a real run, what was done.
 * The JSON is `{ plan: summarize(plan, sample), report }` (report null on a dry run).
 */
export const cleanupOutcome = (
  outcome: { readonly plan: DeletionPlan.DeletionPlan; readonly report: DeletionPlan.DeletionReport | null },
  sampleSize: number
): Document => {
  const { plan, report } = outcome
  const summary = DeletionPlan.summarize(plan, sampleSize)
  const safety = plan.safety.exceeded
    ? `over the limit: ${plan.safety.reason}`
    : `ok (${percent(plan.safety.share)} of the objects considered; limits ${plan.safety.limits.maxObjects} objects, ${percent(plan.safety.limits.maxShare)} above ${plan.safety.limits.shareAppliesAbove})`
  const pairs: Array<readonly [string, string]> = [
    ["cleanup", `${plan.kind} on ${plan.location}${report === null ? " (dry run: nothing deleted)" : ""}`],
    ["considered", usage(plan.population)],
    [report === null ? "would delete" : "planned", usage(plan.totals)],
    ["safety", safety]
  ]
  if (report !== null) {
    pairs.push(
      ["deleted", usage(report.deleted)],
      ["skipped", `${report.skipped.length} (changed or gone since planning)`],
      ["failed", String(report.failed.length)],
      ["manifest", report.manifestKey ?? "- (nothing to delete)"],
      ["report", report.reportKey ?? "-"]
    )
  }
  const sample = summary.sample.map((c) => [bytes(c.size), c.key, c.reason])
  const more = plan.candidates.length - summary.sample.length
  const text = [
    ...formatText(pairs),
    ...table(report === null ? "would delete" : "planned", ["bytes", "key", "reason"], sample, [0]),
    ...(more > 0 ? [`  … and ${more} more (see the manifest, or --json)`] : []),
    ...(plan.warnings.length === 0 ? [] : ["", "warnings", ...plan.warnings.map((w) => `  ${w}`)]),
    ...(report === null ? [] : report.failed.map((f) => `not deleted ${f.key}: ${f.message} (${f.code})`)),
    ...(report === null ? [] : report.skipped.map((s) => `skipped ${s.key}: ${s.reason}, ${s.detail}`))
  ]
  return { primary: report === null, text, json: { plan: summary, report } }
}

/** A configuration plan (lifecycle rules, tiering), as the package formats it; `applied` after apply. */
export const configPlan = <T>(
  plan: LifecyclePolicy.ConfigPlan<T>,
  lines: ReadonlyArray<string>,
  applied?: boolean
): Document => ({
  primary: true,
  text:
    applied === undefined
      ? lines
      : [...lines, applied ? "applied: the bucket now matches the policy" : "nothing to apply"],
  json: applied === undefined ? plan : { plan, applied }
})
