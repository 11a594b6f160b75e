/**
 * Where the keys the application still references come from, for finding orphans:
 *
 * - a local file or a stored object: one key per line, or NDJSON lines with a `key` field
 *   (both may be mixed; blank lines are skipped);
 * - an HTTP endpoint that pages through keys: `GET <url>?limit=<n>[&cursor=<c>]` answering
 *   `{ "keys": ["…"], "nextCursor": "…" | null }` — the last page has no `nextCursor`;
 * - keys already in memory.
 *
 * Every source is a stream: the keys are never all held here (Orphans keeps an index of them).
 */
import { createReadStream } from "node:fs"
import { ObjectStore, readBody } from "@localex/storage-core"
import { Effect, Option, Schedule, Schema, Stream } from "effect"

/** The references could not be read; nothing may be deleted on their account. */
export class ReferenceSourceError extends Schema.TaggedError<ReferenceSourceError>()("ReferenceSourceError", {
  source: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Cannot read the referenced keys from ${this.source}: ${this.reason}`
  }
}

export interface ReferenceSource {
  /** Where the keys come from, for reports: "file:///…", "s3://bucket/key", "https://…". */
  readonly description: string
  readonly keys: Stream.Stream<string, ReferenceSourceError>
}

/** Keys already in memory (tests, or an application that has them at hand). */
export const fromKeys = (keys: Iterable<string>, description = "keys in memory"): ReferenceSource => ({
  description,
  keys: Stream.fromIterable(keys)
})

const NdjsonKey = Schema.fromJsonString(Schema.Struct({ key: Schema.String }))
const decodeNdjsonKey = Schema.decodeUnknownResult(NdjsonKey)

/** The keys of a text stream of lines (plain keys or NDJSON with `key`). */
export const keysOfLines = <E>(
  description: string,
  text: Stream.Stream<string, E>
): Stream.Stream<string, E | ReferenceSourceError> =>
  text.pipe(
    Stream.splitLines,
    Stream.mapAccumArrayEffect(
      () => 0,
      (lineNumber, lines) => {
        const keys: Array<string> = []
        let n = lineNumber
        for (const raw of lines) {
          n++
          const line = raw.trim()
          if (line === "") continue
          if (!line.startsWith("{")) {
            keys.push(line)
            continue
          }
          const decoded = decodeNdjsonKey(line)
          if (decoded._tag === "Failure")
            return Effect.fail(
              new ReferenceSourceError({
                source: description,
                reason: `line ${n} is JSON without a string "key" field`
              })
            )
          keys.push(decoded.success.key)
        }
        return Effect.succeed([n, keys] as const)
      }
    )
  )

/** A local file of keys, streamed. */
export const fromFile = (path: string): ReferenceSource => {
  const description = `file://${path}`
  // The file is opened when the keys are read, once per read.
  const bytes = () =>
    Stream.fromAsyncIterable(
      createReadStream(path) as AsyncIterable<Uint8Array>,
      (cause) => new ReferenceSourceError({ source: description, reason: String(cause) })
    )
  return { description, keys: Stream.suspend(() => keysOfLines(description, Stream.decodeText(bytes()))) }
}

/** A stored object of keys (e.g. an export the application writes to `reports/`), streamed. */
export const fromObject = Effect.fnUntraced(function* (key: string) {
  const store = yield* ObjectStore
  const description = `${store.location}/${key}`
  const failed = (error: { readonly message: string }) =>
    new ReferenceSourceError({ source: description, reason: error.message })
  const text = Stream.unwrap(Effect.map(readBody(store, key), Stream.decodeText)).pipe(Stream.mapError(failed))
  const source: ReferenceSource = { description, keys: keysOfLines(description, text) }
  return source
})

const Page = Schema.Struct({
  keys: Schema.Array(Schema.String),
  nextCursor: Schema.optional(Schema.NullOr(Schema.String))
})
const decodePage = Schema.decodeUnknownEffect(Page)

export interface HttpSourceOptions {
  /** Sent with every request (e.g. `authorization`). */
  readonly headers?: Readonly<Record<string, string>>
  /** Keys asked for per page (`limit`). Default 1,000. */
  readonly pageSize?: number
  /** Per request. Default 30 s. */
  readonly timeoutMs?: number
  /** Attempts per page for network errors, 429 and 5xx. Default 4. */
  readonly maxAttempts?: number
}

class Transient extends Schema.TaggedError<Transient>()("Transient", { reason: Schema.String }) {}

/** An endpoint that pages through the referenced keys with a cursor (global fetch). */
export const fromHttp = (url: string, options: HttpSourceOptions = {}): ReferenceSource => {
  const description = url
  const pageSize = options.pageSize ?? 1000
  const timeoutMs = options.timeoutMs ?? 30_000
  const failed = (reason: string) => new ReferenceSourceError({ source: description, reason })

  const fetchPage = (cursor: string | undefined) => {
    const target = new URL(url)
    target.searchParams.set("limit", String(pageSize))
    if (cursor !== undefined) target.searchParams.set("cursor", cursor)
    return Effect.tryPromise({
      try: async (signal) => {
        const response = await fetch(target, {
          headers: { accept: "application/json", ...options.headers },
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
        })
        const body = await response.text()
        return { status: response.status, body }
      },
      catch: (cause) => new Transient({ reason: `request failed: ${String(cause)}` })
    }).pipe(
      Effect.flatMap(({ status, body }): Effect.Effect<unknown, Transient | ReferenceSourceError> => {
        if (status === 429 || status >= 500) return Effect.fail(new Transient({ reason: `HTTP ${status}` }))
        if (status !== 200) return Effect.fail(failed(`HTTP ${status}: ${body.slice(0, 200)}`))
        return Effect.try({ try: () => JSON.parse(body) as unknown, catch: () => failed("the answer is not JSON") })
      }),
      Effect.retry({
        while: (error: Transient | ReferenceSourceError) => error._tag === "Transient",
        schedule: Schedule.exponential("200 millis"),
        times: Math.max(0, (options.maxAttempts ?? 4) - 1)
      }),
      Effect.catchTag("Transient", (error) => Effect.fail(failed(error.reason))),
      Effect.flatMap((json) =>
        decodePage(json).pipe(
          Effect.mapError(() => failed(`a page must be { "keys": string[], "nextCursor"?: string | null }`))
        )
      )
    )
  }

  const keys = Stream.paginate(undefined as string | undefined, (cursor) =>
    Effect.flatMap(fetchPage(cursor), (page) => {
      const next = page.nextCursor ?? undefined
      // A cursor that does not move would page forever.
      if (next !== undefined && next === cursor)
        return Effect.fail(failed(`the endpoint returned cursor ${JSON.stringify(next)} twice`))
      return Effect.succeed([page.keys, next === undefined ? Option.none<string>() : Option.some(next)] as const)
    })
  )
  return { description, keys }
}
