/**
 * `localex-storage cdn …`: the cache policy of a key, CloudFront invalidations, cache warming,
 * CDN statistics, the distribution review and signed CloudFront URLs — each a few lines over
 * @localex/cdn's Cdn service (settings: LOCALEX_CDN_*, AWS_*).
 */
import { readFile } from "node:fs/promises"
import type { Cdn as CdnService } from "@localex/cdn"
import { Units } from "@localex/storage-core"
import { Effect, Layer, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { LocalFileError, PartialFailure, UsageError } from "../failure.js"
import { storageOverrides } from "../GlobalFlags.js"
import { cdnPackage } from "../lazy.js"
import { Output } from "../Output.js"
import { NAME, root } from "../root.js"
import * as views from "../views/cdn.js"
import { dryRun, duration, intFlag, optionalString, some } from "./flags.js"
import { analyzeLocation } from "./monitor.js"
import { summaries } from "./summaries.js"

/** Output and the Cdn service (loaded on first use: the AWS SDK stays out of the other commands' start-up). */
const cdnServices = Layer.unwrap(
  Effect.gen(function* () {
    const options = yield* root
    const { Cdn } = yield* cdnPackage
    const { region, profile } = storageOverrides(options)
    return Layer.merge(
      Output.layer(options),
      Cdn.layerConfig(
        {},
        { ...(region === undefined ? {} : { region }), ...(profile === undefined ? {} : { profile }) }
      )
    )
  })
)

const withCdn = <const Name extends string, Input, ContextInput, E, R>(
  command: Command.Command<Name, Input, ContextInput, E, R>
) => Command.provide(command, cdnServices)

const useCdn: Effect.Effect<typeof CdnService.Service, never, CdnService> = Effect.gen(function* () {
  const { Cdn } = yield* cdnPackage
  return yield* Cdn
})

const durationFlag = (name: string, description: string, fallback: string) =>
  duration(name, description).pipe(Flag.withDefault(Units.parseDuration(fallback) as number))

const headers = Command.make(
  "headers",
  { key: Argument.String("key").pipe(Argument.withDescription("The key, e.g. items/123/photo.jpg")) },
  Effect.fn("cdn.headers")(function* (input) {
    const cdn = yield* useCdn
    yield* (yield* Output).print(views.cacheHeaders(cdn.decide(input.key)))
  })
).pipe(
  Command.withDescription(
    "The response headers the cache policy gives a key (Cache-Control, CDN-Cache-Control, Vary; ETag)"
  ),
  Command.withExamples([
    { command: `${NAME} cdn headers items/123/photo.jpg`, description: "A mutable key: short TTLs" }
  ]),
  withCdn
)

const invalidate = Command.make(
  "invalidate",
  {
    paths: Argument.String("path").pipe(
      Argument.withDescription("Keys or paths to invalidate (items/123/photo.jpg, /items/123/*)"),
      Argument.variadic({ min: 1 })
    ),
    wait: Flag.Boolean("wait").pipe(
      Flag.withDescription("Wait until CloudFront has completed every invalidation"),
      Flag.withDefault(false)
    ),
    dryRun,
    maxPaths: intFlag("max-paths", "Collapse into folder wildcards above this many paths (default 3000)", 0).pipe(
      Flag.optional
    ),
    usedThisMonth: intFlag("used-this-month", "Paths already invalidated this month, for the cost estimate", 0).pipe(
      Flag.optional
    )
  },
  Effect.fn("cdn.invalidate")(function* (input) {
    const cdn = yield* useCdn
    const report = yield* cdn.invalidateCache(input.paths, {
      wait: input.wait,
      dryRun: input.dryRun,
      ...some("maxPaths", input.maxPaths),
      ...some("usedThisMonth", input.usedThisMonth)
    })
    yield* (yield* Output).print(views.invalidation(report))
  })
).pipe(
  Command.withDescription(
    "Invalidate CloudFront's copies: paths normalised and de-duplicated, collapsed to wildcards over the budget, " +
      "sent in batches (retried while CloudFront has too many in progress); --dry-run prints the plan and its cost"
  ),
  Command.withExamples([
    { command: `${NAME} cdn invalidate items/123/photo.jpg profiles/456/photo.jpg`, description: "Two keys" },
    { command: `${NAME} cdn invalidate --dry-run '/items/123/*'`, description: "The plan and its cost" }
  ]),
  withCdn
)

const readTargets = (path: string) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (error) => new LocalFileError({ path, operation: "read", reason: (error as Error).message })
  }).pipe(
    Effect.map((text) =>
      text
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("#"))
    )
  )

const warm = Command.make(
  "warm",
  {
    keys: Argument.String("key").pipe(
      Argument.withDescription("Keys (or CDN URLs) to request"),
      Argument.variadic({ min: 0 })
    ),
    fromFile: optionalString("from-file", "Also request the keys (or URLs) listed in this file, one a line", "file"),
    fromLogs: optionalString(
      "from-logs",
      "Also request the most read keys of these S3 access logs (a file, a folder or s3://bucket/prefix)",
      "path|s3-url"
    ),
    top: intFlag("top", "With --from-logs: how many of the most read keys (default 100)", 1, 100_000).pipe(
      Flag.withDefault(100)
    ),
    concurrency: intFlag("concurrency", "Requests in flight at once (default 16)", 1, 256).pipe(Flag.withDefault(16)),
    passes: intFlag("passes", "1: warm only; 2 (default): warm, then measure the hit ratio reached", 1, 5).pipe(
      Flag.withDefault(2)
    ),
    timeout: durationFlag("timeout", "Deadline of each request (default 10s)", "10s")
  },
  Effect.fn("cdn.warm")(function* (input) {
    const cdn = yield* useCdn
    const listed = Option.isSome(input.fromFile) ? yield* readTargets(input.fromFile.value) : []
    const popular = Option.isSome(input.fromLogs)
      ? (yield* analyzeLocation(input.fromLogs.value, { top: input.top })).topKeys.map((k) => k.name)
      : []
    const targets = [...new Set([...input.keys, ...listed, ...popular])]
    if (targets.length === 0)
      return yield* new UsageError({
        reason: Option.isSome(input.fromLogs)
          ? `the access logs at ${input.fromLogs.value} show no object reads: nothing to warm`
          : "give keys to warm, --from-file FILE or --from-logs PATH"
      })
    const report = yield* cdn.warmCache(targets, {
      concurrency: input.concurrency,
      passes: input.passes,
      timeoutMs: input.timeout
    })
    yield* (yield* Output).print(views.warming(report))
    const last = report.passes.at(-1)?.summary
    if (last !== undefined && last.errors > 0)
      return yield* new PartialFailure({ operation: "cdn warm", failed: last.errors, total: last.requests })
  })
).pipe(
  Command.withDescription(
    "Request the CDN URLs of keys (given, listed in a file, or the most read in the access logs; only on " +
      "LOCALEX_CDN_DOMAINS) with bounded concurrency and deadlines; " +
      "per key hit/miss, status and latency; the second pass reports the hit ratio and p50/p95"
  ),
  Command.withExamples([
    { command: `${NAME} cdn warm items/123/photos/<id>/large.webp`, description: "One key" },
    { command: `${NAME} --json cdn warm --from-file popular.txt --concurrency 32`, description: "A list" },
    {
      command: `${NAME} cdn warm --from-logs s3://localex-logs/storage/ --top 500`,
      description: "The 500 most read keys of the access logs"
    }
  ]),
  withCdn
)

/** `--since`/`--until`: an ISO time, or a duration back from now (`24h`, `7d`). */
const timeFlag = (name: string, description: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.withMetavar("time"), Flag.optional)

const instant = (flag: string, value: Option.Option<string>, fallback: Date, now: Date) =>
  Option.match(value, {
    onNone: () => Effect.succeed(fallback),
    onSome: (text) => {
      const at = Units.parseTime(text, now)
      return at === undefined
        ? Effect.fail(
            new UsageError({
              reason: `--${flag} ${JSON.stringify(text)}: give an ISO time or a duration back from now (24h, 7d)`
            })
          )
        : Effect.succeed(at)
    }
  })

const stats = Command.make(
  "stats",
  {
    since: timeFlag("since", "Start of the window: an ISO time or a duration back from now (default 24h)"),
    until: timeFlag("until", "End of the window (default now)")
  },
  Effect.fn("cdn.stats")(function* (input) {
    const cdn = yield* useCdn
    const now = new Date()
    const until = yield* instant("until", input.until, now, now)
    const since = yield* instant("since", input.since, new Date(now.getTime() - 86_400_000), now)
    if (since.getTime() >= until.getTime()) return yield* new UsageError({ reason: "--since must be before --until" })
    yield* (yield* Output).print(views.cdnStats(yield* cdn.stats({ since, until })))
  })
).pipe(
  Command.withDescription(
    "The distribution's CloudWatch metrics (requests, bytes, 4xx/5xx error rates, cache hit rate) and the guide's daily check (pass/warn/fail)"
  ),
  Command.withExamples([{ command: `${NAME} cdn stats --since 24h`, description: "The daily check" }]),
  withCdn
)

const review = Command.make(
  "review",
  {},
  Effect.fn("cdn.review")(function* () {
    const cdn = yield* useCdn
    yield* (yield* Output).print(views.review(yield* cdn.review))
  })
).pipe(
  Command.withDescription(
    "Review the distribution's settings for the 'high CDN costs' list: compression, TTLs, price class"
  ),
  withCdn
)

const sign = Command.make(
  "sign",
  {
    url: Argument.String("url").pipe(Argument.withDescription("A CDN URL, or a key under LOCALEX_CDN_BASE_URL")),
    expires: durationFlag("expires", "How long the URL (or cookies) stay valid (default 1h)", "1h"),
    cookies: Flag.Boolean("cookies").pipe(
      Flag.withDescription("Print signed cookies for the URL instead (it may end in * to cover a folder)"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("cdn.sign")(function* (input) {
    const cdn = yield* useCdn
    const output = yield* Output
    const expiresAt = new Date(Date.now() + input.expires)
    if (input.cookies)
      return yield* output.print(views.cookies(yield* cdn.signCookies(input.url, expiresAt), input.url, expiresAt))
    yield* output.print(views.signed(yield* cdn.signUrl(input.url, expiresAt), expiresAt))
    yield* output.note(`valid until ${expiresAt.toISOString()}`)
  })
).pipe(
  Command.withDescription(
    "A signed CloudFront URL (or cookies) for private content (LOCALEX_CDN_KEY_PAIR_ID, LOCALEX_CDN_PRIVATE_KEY_FILE)"
  ),
  Command.withExamples([
    { command: `${NAME} cdn sign items/123/photo.jpg --expires 15m`, description: "A URL valid for 15 minutes" },
    { command: `${NAME} cdn sign --cookies 'https://cdn.example.com/items/123/*'`, description: "Cookies for a folder" }
  ]),
  withCdn
)

export const cdn = Command.make("cdn").pipe(
  Command.withDescription(summaries.cdn),
  Command.withSubcommands([headers, invalidate, warm, stats, review, sign])
)
