/** Views of storage-core values: an object's info, listings, deletes, signed URLs, plans. */
import {
  type DeleteOutcome,
  type ListEntry,
  type ObjectInfo,
  objectInfoJson,
  type PresignedUrl
} from "@localex/storage-core"
import type { Stream } from "effect"
import type { Document, Rows } from "../Output.js"
import { bytes, instant, orDash } from "./format.js"

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
