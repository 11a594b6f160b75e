/**
 * `localex-storage object …`: put, get, ls, stat, cp, rm, sign. Each command decodes its
 * input, calls the ObjectStore, and hands the result to a shared renderer.
 */

import * as CachePolicy from "@localex/cdn/policy"
import { Keys, MAX_PRESIGN_SECONDS, objectInfoJson } from "@localex/storage-core"
import { Effect, Option, Stream } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { PartialFailure, UsageError } from "../failure.js"
import { readSource, unlessChanged, writeDestination } from "../local.js"
import { Output } from "../Output.js"
import { withProgress } from "../progress.js"
import { NAME } from "../root.js"
import { useStore, withServices, withWriteServices } from "../services.js"
import { bytes } from "../views/format.js"
import { deleteOutcomes, done, listing, objectInfo, plan, presigned } from "../views/objects.js"
import { summaries } from "./summaries.js"

const key = (name: string, description: string) => Argument.String(name).pipe(Argument.withDescription(description))
const objectKey = key("key", "Object key, e.g. items/123/photo.jpg")
const createOnly = Flag.Boolean("create-only").pipe(
  Flag.withDescription("Fail instead of overwriting when the key already exists"),
  Flag.withDefault(false)
)
const optionalString = (name: string, description: string, metavar: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.withMetavar(metavar), Flag.optional)

const put = Command.make(
  "put",
  {
    source: key("source", "Local file to upload, or - to read standard input"),
    key: objectKey,
    contentType: optionalString(
      "content-type",
      "Content-Type to store (default: from the file name, e.g. .jpg → image/jpeg; none for stdin)",
      "type"
    ),
    cacheControl: optionalString(
      "cache-control",
      "Cache-Control to store (default: the CDN cache policy's for the key, see `cdn headers`)",
      "value"
    ),
    metadata: Flag.KeyValuePair("metadata").pipe(
      Flag.withDescription("User metadata, repeatable: --metadata owner=42"),
      Flag.optional
    ),
    createOnly
  },
  Effect.fn("object.put")(function* (input) {
    const store = yield* useStore
    const output = yield* Output
    const source = yield* readSource(input.source)
    const contentType = Option.getOrUndefined(input.contentType) ?? source.contentType
    const info = yield* withProgress(`put ${input.key}`, source.size, (progress) =>
      store.put(input.key, source.body, {
        ...(contentType === undefined ? {} : { contentType }),
        // The CDN's cache policy for the key unless the flag says otherwise.
        cacheControl: Option.getOrElse(input.cacheControl, () => CachePolicy.cacheControlFor(input.key)),
        ...Option.match(input.metadata, { onNone: () => ({}), onSome: (metadata) => ({ metadata }) }),
        ...(source.size === undefined ? {} : { contentLength: source.size }),
        ...(input.createOnly ? { ifNoneMatch: "*" as const } : {}),
        onProgress: (p) => progress.update(p.loaded)
      })
    ).pipe(unlessChanged(input.source, source.size))
    yield* output.print(done(`uploaded ${info.key} (${bytes(info.size)}, etag ${info.etag})`, objectInfoJson(info)))
  })
).pipe(
  Command.withDescription(
    "Upload a local file (or standard input) to a key; the Content-Type comes from the file name unless --content-type says"
  ),
  Command.withExamples([
    { command: `${NAME} object put ./photo.jpg items/123/photo.jpg`, description: "Upload a file" },
    { command: `cat report.csv | ${NAME} object put - reports/2026/report.csv`, description: "Upload stdin" }
  ]),
  withWriteServices
)

const get = Command.make(
  "get",
  {
    key: objectKey,
    destination: key("destination", "Local file (or folder) to write, or - for standard output")
  },
  Effect.fn("object.get")(function* (input) {
    const store = yield* useStore
    const output = yield* Output
    if (input.destination === "-" && output.mode.json) {
      return yield* new UsageError({
        reason: "--json cannot be combined with writing the object to standard output (-)"
      })
    }
    const result = yield* store.get(input.key)
    let loaded = 0
    const path = yield* withProgress(`get ${input.key}`, result.info.size, (progress) =>
      writeDestination(
        input.destination,
        input.key,
        result.body.pipe(
          Stream.tap((chunk) =>
            Effect.sync(() => {
              loaded += chunk.length
              progress.update(loaded)
            })
          )
        )
      )
    )
    if (path !== undefined) {
      yield* output.print(
        done(`downloaded ${input.key} to ${path} (${bytes(loaded)})`, {
          key: result.info.key,
          path,
          size: loaded,
          etag: result.info.etag
        })
      )
    }
  })
).pipe(
  Command.withDescription("Download an object to a local file or standard output"),
  Command.withExamples([
    { command: `${NAME} object get items/123/photo.jpg ./photo.jpg`, description: "Download to a file" },
    { command: `${NAME} object get reports/2026/report.csv - | head`, description: "Stream to stdout" }
  ]),
  withServices
)

const ls = Command.make(
  "ls",
  {
    path: Argument.String("prefix").pipe(
      Argument.withDescription("Only keys that start with this, e.g. items/123/ (or --prefix)"),
      Argument.optional
    ),
    prefix: optionalString("prefix", "Only keys that start with this, e.g. items/123/", "prefix").pipe(
      Flag.withAlias("p")
    ),
    delimiter: optionalString("delimiter", 'Group deeper keys into folders at this delimiter (default "/")', "char"),
    recursive: Flag.Boolean("recursive").pipe(
      Flag.withAlias("r"),
      Flag.withDescription("List every key under the prefix, without folders"),
      Flag.withDefault(false)
    ),
    long: Flag.Boolean("long").pipe(
      Flag.withAlias("l"),
      Flag.withDescription("Long listing: last modified, size in bytes, key"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("object.ls")(function* (input) {
    if (Option.isSome(input.path) && Option.isSome(input.prefix) && input.path.value !== input.prefix.value) {
      return yield* new UsageError({ reason: "give the prefix once: as an argument or as --prefix, not both" })
    }
    const store = yield* useStore
    const output = yield* Output
    const delimiter = input.recursive ? undefined : Option.getOrElse(input.delimiter, () => "/")
    const entries = store.list({
      ...Option.match(
        Option.orElse(input.path, () => input.prefix),
        {
          onNone: () => ({}),
          onSome: (prefix) => ({ prefix })
        }
      ),
      ...(delimiter === undefined ? {} : { delimiter })
    })
    yield* output.printRows(listing(entries, input.long))
  })
).pipe(
  Command.withDescription("List keys (folders end in /); streams, so any size of bucket is fine"),
  Command.withExamples([
    { command: `${NAME} object ls items/123/`, description: "Keys and folders under a prefix" },
    { command: `${NAME} object ls items/ -r -l`, description: "Every key, with sizes and dates" },
    { command: `${NAME} --json object ls -r | jq -r '.entries[].key'`, description: "Keys for a script" }
  ]),
  withServices
)

const stat = Command.make(
  "stat",
  { key: objectKey },
  Effect.fn("object.stat")(function* (input) {
    const store = yield* useStore
    const output = yield* Output
    yield* output.print(objectInfo(yield* store.head(input.key)))
  })
).pipe(
  Command.withDescription("Show an object's metadata"),
  Command.withExamples([{ command: `${NAME} object stat items/123/photo.jpg`, description: "Size, ETag, type, …" }]),
  withServices
)

const cp = Command.make(
  "cp",
  { from: key("from", "Source key"), to: key("to", "Destination key"), createOnly },
  Effect.fn("object.cp")(function* (input) {
    const store = yield* useStore
    const output = yield* Output
    const info = yield* store.copy(input.from, input.to, input.createOnly ? { ifNoneMatch: "*" } : {})
    yield* output.print(done(`copied ${input.from} to ${info.key} (${bytes(info.size)})`, objectInfoJson(info)))
  })
).pipe(
  Command.withDescription("Copy an object to another key inside the store"),
  Command.withExamples([
    { command: `${NAME} object cp temp/upload-1.jpg items/123/photo.jpg`, description: "Promote an upload" }
  ]),
  withServices
)

const rm = Command.make(
  "rm",
  {
    keys: key("keys", "Keys to delete").pipe(Argument.variadic({ min: 1 })),
    dryRun: Flag.Boolean("dry-run").pipe(
      Flag.withDescription("Print what would be deleted, delete nothing"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("object.rm")(function* (input) {
    const store = yield* useStore
    const output = yield* Output
    if (input.dryRun) {
      yield* Effect.forEach(input.keys, Keys.make)
      return yield* output.print(plan("delete", input.keys))
    }
    const outcomes = yield* store.deleteMany(input.keys)
    yield* output.print(deleteOutcomes(outcomes))
    const failed = outcomes.filter((o) => !o.deleted).length
    if (failed > 0) return yield* new PartialFailure({ operation: "rm", failed, total: outcomes.length })
  })
).pipe(
  Command.withDescription("Delete one or more keys (a missing key counts as deleted)"),
  Command.withExamples([
    { command: `${NAME} object rm temp/a.jpg temp/b.jpg`, description: "Delete two keys" },
    { command: `${NAME} object rm --dry-run temp/a.jpg`, description: "Show what would be deleted" }
  ]),
  withServices
)

const DURATION = /^(\d+)\s*(s|m|h|d)?$/
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const

/** "900", "15m", "2h", "7d" → seconds. */
const parseDuration = (text: string): number => {
  const match = DURATION.exec(text.trim())
  if (match === null) throw new Error("seconds, or a duration like 15m, 2h, 7d")
  const seconds = Number(match[1]) * UNIT_SECONDS[(match[2] ?? "s") as keyof typeof UNIT_SECONDS]
  if (seconds < 1 || seconds > MAX_PRESIGN_SECONDS) throw new Error("between 1 second and 7d")
  return seconds
}

const sign = Command.make(
  "sign",
  {
    key: objectKey,
    method: Flag.Literals("method", ["GET", "PUT"]).pipe(
      Flag.withDescription("GET to download, PUT to upload"),
      Flag.withDefault("GET")
    ),
    expires: Flag.String("expires").pipe(
      Flag.withDescription("How long the URL stays valid: seconds, or 15m, 2h, 7d (at most 7d)"),
      Flag.withMetavar("duration"),
      Flag.mapTryCatch(parseDuration, (error) => (error instanceof Error ? error.message : String(error))),
      Flag.withDefault(900)
    ),
    contentType: optionalString("content-type", "PUT only: the Content-Type the uploader must send", "type")
  },
  Effect.fn("object.sign")(function* (input) {
    const store = yield* useStore
    const output = yield* Output
    const url = yield* store.presign(input.key, {
      method: input.method,
      expiresIn: input.expires,
      ...Option.match(input.contentType, { onNone: () => ({}), onSome: (contentType) => ({ contentType }) })
    })
    yield* output.print(presigned(url))
    for (const [name, value] of Object.entries(url.headers)) yield* output.note(`send header: ${name}: ${value}`)
    yield* output.note(`valid until ${url.expiresAt.toISOString()}`)
  })
).pipe(
  Command.withDescription("Print a time-limited URL that downloads (GET) or uploads (PUT) one key"),
  Command.withExamples([
    {
      command: `curl -o photo.jpg "$(${NAME} object sign items/123/photo.jpg --expires 15m)"`,
      description: "Share a download"
    },
    {
      command: `${NAME} object sign uploads/a.jpg --method PUT --content-type image/jpeg --expires 1h`,
      description: "Let someone upload one file"
    }
  ]),
  withServices
)

export const object = Command.make("object").pipe(
  Command.withDescription(summaries.object),
  Command.withSubcommands([put, get, ls, stat, cp, rm, sign]),
  Command.withExamples([
    { command: `${NAME} object put ./photo.jpg items/123/photo.jpg`, description: "Upload" },
    { command: `${NAME} object ls items/`, description: "List" }
  ])
)
