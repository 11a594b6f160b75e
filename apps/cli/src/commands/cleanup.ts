/**
 * `localex-storage cleanup expired|orphans|uploads`. Expired files and orphans are storage-core's
 * destructive cleanups. Both plan
 * first (`--dry-run` prints the plan), refuse plans over the safety limit unless `--force`
 * (exit 3), write the plan as a manifest under _localex/reports/cleanup/, delete in batches (a progress
 * bar on a terminal), and print what was done. `uploads` aborts incomplete multipart uploads
 * older than an age (@localex/cost's UploadCleanup): a dry run lists them, a real run reports.
 */

import { resolve } from "node:path"
import { Cleanup, Orphans, ReferenceSource, Uploads } from "@localex/cost"
import { Units } from "@localex/storage-core"
import { Duration, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { UsageError } from "../failure.js"
import { Output } from "../Output.js"
import { withOperations } from "../operations.js"
import { withCountProgress } from "../progress.js"
import { NAME } from "../root.js"
import { cleanupOutcome, uploadsOutcome } from "../views/operations.js"
import { dryRun, force, intFlag, optionalString, repeated, safetyFlags, safetyOf, sample, some } from "./flags.js"
import { summaries } from "./summaries.js"

const parseRule = (text: string) => {
  const rule = Cleanup.parseRule(text)
  if (rule === undefined) throw new Error(`"${text}" is not PREFIX=AGE, e.g. temp/=24h or uploads/=7d`)
  return rule
}

const parseAge = (text: string) => {
  const ms = Units.parseDuration(text)
  if (ms === undefined) throw new Error(`"${text}" is not an age like 30s, 90m, 24h, 7d, 2w`)
  return ms
}

const parseHeader = (text: string): readonly [string, string] => {
  const at = text.indexOf(":")
  if (at <= 0) throw new Error(`"${text}" is not NAME:VALUE`)
  return [text.slice(0, at).trim(), text.slice(at + 1).trim()]
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

const expired = Command.make(
  "expired",
  {
    dryRun,
    force,
    rules: Flag.String("rule").pipe(
      Flag.withDescription("PREFIX=AGE: objects under PREFIX older than AGE expire (repeatable; default temp/=24h)"),
      Flag.withMetavar("prefix=age"),
      Flag.mapTryCatch(parseRule, message),
      Flag.atLeast(0)
    ),
    expiryPrefixes: repeated(
      "expiry-prefix",
      "Read expires-at metadata only under this prefix (repeatable; default: the whole bucket)",
      "prefix"
    ),
    expiresAt: Flag.Boolean("expires-at").pipe(
      Flag.withDescription("Read each object's expires-at metadata (one HEAD per object); --no-expires-at: rules only"),
      Flag.withDefault(true)
    ),
    tags: Flag.Boolean("tags").pipe(
      Flag.withDescription("Also read expires-at from object tags (s3 only, one more request per object)"),
      Flag.withDefault(false)
    ),
    ...safetyFlags,
    batchSize: intFlag("batch-size", "Keys per delete request (default 1000)", 1, 1000).pipe(Flag.optional),
    sample
  },
  Effect.fn("cleanup.expired")(function* (input) {
    const output = yield* Output
    const cleanup = yield* Cleanup.ExpiredCleanup
    const outcome = yield* withCountProgress("cleanup expired", (onProgress) =>
      cleanup.run({
        rules: input.rules.length === 0 ? Cleanup.DEFAULT_RULES : input.rules,
        ...(input.expiresAt
          ? input.expiryPrefixes.length === 0
            ? {}
            : { expiresAtPrefixes: input.expiryPrefixes }
          : { expiresAtPrefixes: [] }),
        tags: input.tags,
        dryRun: input.dryRun,
        force: input.force,
        safety: safetyOf(input),
        ...some("batchSize", input.batchSize),
        onProgress
      })
    )
    yield* output.print(cleanupOutcome(outcome, input.sample))
  })
).pipe(
  Command.withDescription(
    "Delete expired files: objects older than a rule's age under its prefix (default temp/ older than 24h), and " +
      "objects whose expires-at (metadata; tags with --tags) has passed. Writes the plan to _localex/reports/cleanup/ first"
  ),
  Command.withExamples([
    { command: `${NAME} cleanup expired --dry-run`, description: "What would be deleted, and why" },
    { command: `${NAME} cleanup expired --rule temp/=24h --rule uploads/=7d`, description: "Own rules" },
    { command: `${NAME} --json cleanup expired --max-objects 50000`, description: "A bigger safety limit, as JSON" }
  ]),
  withOperations
)

const referenceSource = Effect.fn("cleanup.referenceSource")(function* (input: {
  readonly references: Option.Option<string>
  readonly referencesObject: Option.Option<string>
  readonly headers: ReadonlyArray<readonly [string, string]>
}) {
  if (Option.isSome(input.references) === Option.isSome(input.referencesObject)) {
    return yield* new UsageError({
      reason: "say where the references are: --references <file or http(s) URL> or --references-object <key> (one)"
    })
  }
  if (Option.isSome(input.referencesObject)) return yield* ReferenceSource.fromObject(input.referencesObject.value)
  const where = Option.getOrThrow(input.references)
  return /^https?:\/\//i.test(where)
    ? ReferenceSource.fromHttp(where, { headers: Object.fromEntries(input.headers) })
    : ReferenceSource.fromFile(resolve(where))
})

const orphans = Command.make(
  "orphans",
  {
    references: optionalString(
      "references",
      "The referenced keys: a file (one key a line, or NDJSON with key) or an http(s) URL that pages through them",
      "path|url"
    ),
    referencesObject: optionalString("references-object", "The referenced keys in a stored object", "key"),
    headers: Flag.String("header").pipe(
      Flag.withDescription("A header for the references URL, NAME:VALUE (repeatable)"),
      Flag.withMetavar("name:value"),
      Flag.mapTryCatch(parseHeader, message),
      Flag.atLeast(0)
    ),
    scope: repeated(
      "scope",
      "Prefixes whose objects may be orphans (repeatable; default items/ and profiles/)",
      "prefix"
    ),
    grace: Flag.String("grace").pipe(
      Flag.withDescription("Objects younger than this are never orphans (default 24h)"),
      Flag.withMetavar("age"),
      Flag.mapTryCatch(parseAge, message),
      Flag.withDefault(24 * 60 * 60 * 1000)
    ),
    dryRun,
    force,
    ...safetyFlags,
    sample
  },
  Effect.fn("cleanup.orphans")(function* (input) {
    const output = yield* Output
    const cleanup = yield* Orphans.OrphanCleanup
    const source = yield* referenceSource(input)
    const outcome = yield* withCountProgress("cleanup orphans", (onProgress) =>
      cleanup.run(source, {
        ...(input.scope.length === 0 ? {} : { scope: input.scope }),
        gracePeriod: Duration.millis(input.grace),
        dryRun: input.dryRun,
        force: input.force,
        safety: safetyOf(input),
        onProgress
      })
    )
    yield* output.print(cleanupOutcome(outcome, input.sample))
  })
).pipe(
  Command.withDescription(
    "Delete orphans: objects under the scope that no reference covers (a photo reference keeps all its variants " +
      "and manifest) and older than the grace period. Writes the plan to _localex/reports/cleanup/ first"
  ),
  Command.withExamples([
    { command: `${NAME} cleanup orphans --references keys.txt --dry-run`, description: "Orphans against a key list" },
    {
      command: `${NAME} cleanup orphans --references https://app.internal/photo-keys --header "authorization:Bearer …"`,
      description: "Against the application's endpoint"
    }
  ]),
  withOperations
)

const uploads = Command.make(
  "uploads",
  {
    olderThan: Flag.String("older-than").pipe(
      Flag.withDescription(
        "Only uploads started longer ago than this (default 24h: younger ones may still be running)"
      ),
      Flag.withMetavar("duration"),
      Flag.mapTryCatch(parseAge, message),
      Flag.withDefault(Duration.toMillis(Uploads.DEFAULT_OLDER_THAN))
    ),
    prefix: optionalString("prefix", "Only uploads of keys under this prefix", "prefix"),
    dryRun,
    sample
  },
  Effect.fn("cleanup.uploads")(function* (input) {
    const output = yield* Output
    const cleanup = yield* Uploads.UploadCleanup
    const outcome = yield* withCountProgress("cleanup uploads", (onProgress) =>
      cleanup.run({
        olderThan: Duration.millis(input.olderThan),
        ...(Option.isSome(input.prefix) ? { prefix: input.prefix.value } : {}),
        dryRun: input.dryRun,
        onProgress
      })
    )
    yield* output.print(uploadsOutcome(outcome, input.sample))
  })
).pipe(
  Command.withDescription(
    "Abort incomplete multipart uploads (left by failed or interrupted transfers; their parts are billed) older " +
      "than --older-than. The abort-incomplete-uploads lifecycle rule does the same on a schedule"
  ),
  Command.withExamples([
    { command: `${NAME} cleanup uploads --dry-run`, description: "Incomplete uploads older than a day" },
    { command: `${NAME} cleanup uploads --older-than 1h`, description: "Abort those older than an hour" }
  ]),
  withOperations
)

export const cleanup = Command.make("cleanup").pipe(
  Command.withDescription(summaries.cleanup),
  Command.withSubcommands([expired, orphans, uploads]),
  Command.withExamples([
    { command: `${NAME} cleanup expired --dry-run`, description: "Expired files" },
    { command: `${NAME} cleanup orphans --references keys.txt --dry-run`, description: "Orphans" },
    { command: `${NAME} cleanup uploads --older-than 1h`, description: "Incomplete multipart uploads" }
  ])
)
