/**
 * S3 Inventory reports as a source of storage statistics, for buckets too large to list.
 *
 * A report is a `manifest.json` (fileFormat, fileSchema, files[]) next to gzipped CSV files.
 * Everything is read through the ObjectStore that holds the report (the inventory's destination
 * bucket), streamed: bytes → MD5 check → gunzip → lines → rows → the same accumulator as a
 * listing, so memory stays flat whatever the report's size. Only CSV reports are read (not ORC
 * or Parquet).
 */
import { createHash } from "node:crypto"
import {
  type InvalidKey,
  Keys,
  type ObjectNotFound,
  type ObjectStore,
  readBody,
  readText,
  type StoreError
} from "@localex/storage-core"
import { Clock, Effect, Schema, Stream } from "effect"
import { DEFAULTS, StatsAccumulator, VersionTally } from "./internal/accumulator.js"
import { decodeInventoryKey, parseCsvLine } from "./internal/csv.js"
import { gunzip } from "./internal/gunzip.js"
import type { StatsOptions, StorageStats } from "./StatsModel.js"

/** The report cannot be used: what is wrong with it, and where. */
export class InventoryError extends Schema.TaggedError<InventoryError>()("InventoryError", {
  key: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `The S3 Inventory report at "${this.key}" cannot be used: ${this.reason}`
  }
}

export const InventoryManifest = Schema.Struct({
  sourceBucket: Schema.optionalKey(Schema.String),
  destinationBucket: Schema.optionalKey(Schema.String),
  version: Schema.optionalKey(Schema.String),
  /** Milliseconds since the epoch, as a string. */
  creationTimestamp: Schema.optionalKey(Schema.String),
  fileFormat: Schema.String,
  /** The CSV columns, comma-separated: "Bucket, Key, Size, LastModifiedDate, …". */
  fileSchema: Schema.String,
  files: Schema.Array(
    Schema.Struct({
      key: Schema.String,
      size: Schema.optionalKey(Schema.Number),
      MD5checksum: Schema.optionalKey(Schema.String)
    })
  )
})
export type InventoryManifest = typeof InventoryManifest.Type

/** One row of a report. `lastModified` is NaN when the report has no LastModifiedDate. */
export interface InventoryRow {
  readonly key: string
  readonly size: number
  readonly lastModified: number
  readonly storageClass: string | undefined
  readonly isLatest: boolean
  readonly isDeleteMarker: boolean
}

type Store = ObjectStore["Service"]
export type InventoryReadError = InventoryError | InvalidKey | ObjectNotFound | StoreError

const decodeManifest = Schema.decodeUnknownEffect(Schema.fromJsonString(InventoryManifest))

/** Reads and checks a report's manifest.json. */
export const readManifest = Effect.fn("Inventory.readManifest")(function* (store: Store, manifestKey: string) {
  const text = yield* readText(store, manifestKey)
  const manifest = yield* decodeManifest(text).pipe(
    Effect.mapError(
      (error) => new InventoryError({ key: manifestKey, reason: `manifest.json is not valid: ${error.message}` })
    )
  )
  if (manifest.fileFormat.toUpperCase() !== "CSV")
    return yield* new InventoryError({
      key: manifestKey,
      reason: `the report is ${manifest.fileFormat}; only CSV reports can be read (set the inventory's format to CSV)`
    })
  return manifest
})

/** The newest `…/manifest.json` under `prefix` (report folders are named by date, so the last in key order). */
export const latestManifest = Effect.fn("Inventory.latestManifest")(function* (store: Store, prefix: string) {
  const newest = yield* store.list({ prefix }).pipe(
    Stream.filter((entry) => entry._tag === "Object" && entry.key.endsWith("/manifest.json")),
    Stream.runFold(
      () => undefined as string | undefined,
      (latest, entry) => {
        const key = entry._tag === "Object" ? entry.key : ""
        return latest === undefined || Keys.compare(key, latest) > 0 ? key : latest
      }
    )
  )
  if (newest === undefined)
    return yield* new InventoryError({ key: prefix, reason: "no manifest.json under this prefix" })
  return newest
})

interface Columns {
  readonly key: number
  readonly size: number
  readonly lastModified: number
  readonly storageClass: number
  readonly isLatest: number
  readonly isDeleteMarker: number
  readonly count: number
}

const columnsOf = (manifestKey: string, manifest: InventoryManifest): Effect.Effect<Columns, InventoryError> => {
  const names = manifest.fileSchema.split(",").map((name) => name.trim())
  const at = (name: string) => names.indexOf(name)
  const missing = ["Key", "Size"].filter((name) => at(name) === -1)
  if (missing.length > 0)
    return Effect.fail(
      new InventoryError({
        key: manifestKey,
        reason: `fileSchema lacks ${missing.join(" and ")}: add the field to the inventory configuration`
      })
    )
  return Effect.succeed({
    key: at("Key"),
    size: at("Size"),
    lastModified: at("LastModifiedDate"),
    storageClass: at("StorageClass"),
    isLatest: at("IsLatest"),
    isDeleteMarker: at("IsDeleteMarker"),
    count: names.length
  })
}

const safeDecodeKey = (encoded: string): string | undefined => {
  try {
    return decodeInventoryKey(encoded)
  } catch {
    return undefined
  }
}

/** A row, or the reason the line is not one. */
const parseRow = (line: string, columns: Columns): InventoryRow | string => {
  const fields = parseCsvLine(line)
  if (fields === undefined) return "malformed CSV"
  if (fields.length < columns.count) return `${fields.length} fields where fileSchema names ${columns.count}`
  const key = safeDecodeKey(fields[columns.key] as string)
  if (key === undefined) return "the key is not valid URL encoding"
  const isDeleteMarker = columns.isDeleteMarker !== -1 && fields[columns.isDeleteMarker] === "true"
  const sizeText = fields[columns.size] as string
  const size = sizeText === "" && isDeleteMarker ? 0 : Number(sizeText)
  if (!Number.isSafeInteger(size) || size < 0) return `size ${JSON.stringify(sizeText)} is not a byte count`
  const storageClass = columns.storageClass === -1 ? undefined : fields[columns.storageClass] || undefined
  return {
    key,
    size,
    lastModified: columns.lastModified === -1 ? Number.NaN : Date.parse(fields[columns.lastModified] as string),
    storageClass,
    isLatest: columns.isLatest === -1 || fields[columns.isLatest] !== "false",
    isDeleteMarker
  }
}

/** The rows of one data file: read, MD5-checked against the manifest, gunzipped, parsed. */
const fileRows = (
  store: Store,
  file: InventoryManifest["files"][number],
  columns: Columns
): Stream.Stream<InventoryRow, InventoryReadError> =>
  Stream.unwrap(
    Effect.map(readBody(store, file.key), (body) => {
      const md5 = createHash("md5")
      const checked = body.pipe(
        Stream.map((chunk) => {
          md5.update(chunk)
          return chunk
        })
      )
      const verify = Effect.suspend(() => {
        const digest = md5.digest("hex")
        return file.MD5checksum === undefined || file.MD5checksum === digest
          ? Effect.void
          : Effect.fail(
              new InventoryError({
                key: file.key,
                reason: `its MD5 is ${digest}, the manifest says ${file.MD5checksum}`
              })
            )
      })
      const rows = gunzip(
        checked,
        (cause) => new InventoryError({ key: file.key, reason: `not valid gzip (${String(cause)})` })
      ).pipe(
        Stream.decodeText,
        Stream.splitLines,
        Stream.mapAccumArrayEffect(
          () => 0,
          (lineNumber, lines) => {
            const out: Array<InventoryRow> = []
            let n = lineNumber
            for (const line of lines) {
              n++
              if (line === "") continue
              const row = parseRow(line, columns)
              if (typeof row === "string")
                return Effect.fail(new InventoryError({ key: file.key, reason: `line ${n}: ${row}` }))
              out.push(row)
            }
            return Effect.succeed([n, out] as const)
          }
        )
      )
      return Stream.concat(rows, Stream.fromEffectDrain(verify))
    })
  )

/** Every row of the report, file after file. */
export const rows = (store: Store, manifest: InventoryManifest, columns: Columns) =>
  Stream.fromIterable(manifest.files).pipe(Stream.flatMap((file) => fileRows(store, file, columns)))

export type InventoryStatsOptions = Pick<
  StatsOptions,
  "prefix" | "depth" | "maxPrefixes" | "largest" | "trackPrefixes" | "now" | "includeReserved"
>

/**
 * Statistics from the report whose manifest is at `manifestKey`, in the shape a listing gives.
 * Ages are measured from the report's creation time (unless `now` is given); incomplete
 * multipart uploads are not in reports (`multipartUploads: null`); versions are counted when the
 * report includes all versions.
 */
export const statsFromReport = Effect.fn("Inventory.statsFromReport")(function* (
  store: Store,
  manifestKey: string,
  options: InventoryStatsOptions = {}
) {
  const startedAt = yield* Clock.currentTimeMillis
  const manifest = yield* readManifest(store, manifestKey)
  const columns = yield* columnsOf(manifestKey, manifest)
  const created = Number(manifest.creationTimestamp)
  const now = options.now?.getTime() ?? (Number.isFinite(created) && created > 0 ? created : startedAt)
  const scope = options.prefix ?? ""
  const accumulator = new StatsAccumulator({
    scope,
    depth: options.depth ?? DEFAULTS.depth,
    maxPrefixes: options.maxPrefixes ?? DEFAULTS.maxPrefixes,
    largest: options.largest ?? DEFAULTS.largest,
    track: options.trackPrefixes ?? [],
    now
  })
  const versions = new VersionTally()
  yield* Stream.runForEachArray(rows(store, manifest, columns), (batch) =>
    Effect.sync(() => {
      for (const row of batch) {
        if (!row.key.startsWith(scope) || (options.includeReserved !== true && Keys.isReserved(row.key))) continue
        if (row.isLatest && !row.isDeleteMarker) accumulator.add(row.key, row.size, row.lastModified, row.storageClass)
        else versions.add(row)
      }
    })
  )
  const finishedAt = yield* Clock.currentTimeMillis
  const stats: StorageStats = {
    location: manifest.sourceBucket === undefined ? store.location : `s3://${manifest.sourceBucket}`,
    scope,
    source: "inventory",
    generatedAt: new Date(now).toISOString(),
    ...accumulator.result(),
    multipartUploads: null,
    versions:
      columns.isLatest === -1
        ? null
        : {
            versioning: "Unknown",
            noncurrentVersions: versions.noncurrentVersions,
            noncurrentBytes: versions.noncurrentBytes,
            deleteMarkers: versions.deleteMarkers
          },
    listing: { mode: "inventory", shards: manifest.files.length, durationMs: finishedAt - startedAt }
  }
  return stats
})
