/**
 * Expired files: objects older than a rule's maximum age under its prefix (default `temp/`
 * older than 24 hours), and objects whose own `expires-at` has passed.
 *
 * `expires-at` is read from user metadata (ObjectStore.head: one HEAD per object not already
 * expired by a rule, under `expiresAtPrefixes`) and, when `tags` is set, from object tags
 * (BucketAdmin.getObjectTags: one more request per object, s3 only — ObjectStore does not read
 * tags). Its value is an ISO 8601 time or Unix seconds.
 *
 * Deleting goes through DeletionPlan: dry run → plan; real run → safety limit, manifest,
 * re-checked batched deletes, report. A second run finds nothing left to delete.
 */
import { Clock, Context, Duration, Effect, Layer, Stream } from "effect"
import { BucketAdmin, type BucketAdminError } from "./BucketAdmin.js"
import {
  type CleanupOutcome,
  type CleanupRunOptions,
  candidateOf,
  DEFAULT_SAFETY,
  type DeletionCandidate,
  type DeletionPlan,
  type ExecuteError,
  execute,
  makePlan,
  type SafetyLimits
} from "./DeletionPlan.js"
import type { InvalidKey, StoreError } from "./Errors.js"
import { DEFAULTS } from "./internal/ops-accumulator.js"
import { formatAge, parseAge } from "./internal/ops-format.js"
import { listAll } from "./internal/ops-listing.js"
import { ObjectStore, type ObjectSummary } from "./ObjectStore.js"

export interface ExpiryRule {
  readonly prefix: string
  /** Objects strictly older than this are expired: a Duration, "24 hours", or milliseconds. */
  readonly maxAge: Duration.Input
}

/** "24h", "7d", "90m" → milliseconds (undefined when not one); and back, "1d 1h". */
export { formatAge, parseAge } from "./internal/ops-format.js"

export const DEFAULT_RULES: ReadonlyArray<ExpiryRule> = [{ prefix: "temp/", maxAge: "24 hours" }]

/** The metadata (and tag) name of a per-object expiry. */
export const EXPIRES_AT = "expires-at"

/** "temp/=24h" or "uploads/=7d" (CLI form) → a rule; undefined when malformed. */
export const parseRule = (text: string): ExpiryRule | undefined => {
  const at = text.lastIndexOf("=")
  if (at === -1) return undefined
  const ms = parseAge(text.slice(at + 1))
  return ms === undefined ? undefined : { prefix: text.slice(0, at), maxAge: Duration.millis(ms) }
}

/** An `expires-at` value as epoch milliseconds: ISO 8601, or Unix seconds; undefined when unreadable. */
export const parseExpiresAt = (value: string): number | undefined => {
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms
}

export interface ExpiredPlanOptions {
  /** Default `DEFAULT_RULES` (temp/ older than 24 hours). */
  readonly rules?: ReadonlyArray<ExpiryRule>
  /** Where to read `expires-at` (a HEAD per object). Default [""]: the whole bucket; [] turns it off. */
  readonly expiresAtPrefixes?: ReadonlyArray<string>
  /** Also read `expires-at` from tags (s3 only, one request per object). Default false. */
  readonly tags?: boolean
  /** The time ages are measured from. Default: the Clock. */
  readonly now?: Date
  /** List key ranges concurrently. Default: on for s3. */
  readonly parallel?: boolean
  /** Listing shards and HEADs in flight. Default 16. */
  readonly concurrency?: number
  readonly safety?: Partial<SafetyLimits>
}

export type ExpiredPlanError = InvalidKey | StoreError | BucketAdminError

export class ExpiredCleanup extends Context.Service<
  ExpiredCleanup,
  {
    readonly plan: (options?: ExpiredPlanOptions) => Effect.Effect<DeletionPlan, ExpiredPlanError>
    readonly run: (
      options?: ExpiredPlanOptions & CleanupRunOptions
    ) => Effect.Effect<CleanupOutcome, ExpiredPlanError | ExecuteError>
  }
>()("@localex/storage-core/ExpiredCleanup") {}

export const make = Effect.gen(function* () {
  const store = yield* ObjectStore
  const admin = yield* BucketAdmin

  const expiresAt = (key: string, withTags: boolean) =>
    Effect.gen(function* () {
      const info = yield* store.head(key)
      const fromMetadata = info.metadata[EXPIRES_AT]
      if (fromMetadata !== undefined || !withTags) return fromMetadata
      const tags = yield* admin.getObjectTags(key)
      return tags[EXPIRES_AT]
    }).pipe(
      // Deleted between listing and HEAD: nothing to expire.
      Effect.catchTag("ObjectNotFound", () => Effect.succeed(undefined))
    )

  const plan = Effect.fn("ExpiredCleanup.plan")(function* (options: ExpiredPlanOptions = {}) {
    const now = options.now?.getTime() ?? (yield* Clock.currentTimeMillis)
    const rules = (options.rules ?? DEFAULT_RULES).map((rule) => ({
      prefix: rule.prefix,
      maxAgeMs: Duration.toMillis(Duration.fromInputUnsafe(rule.maxAge))
    }))
    const metadataScope = options.expiresAtPrefixes ?? [""]
    const withTags = options.tags === true
    const concurrency = options.concurrency ?? DEFAULTS.concurrency
    const population = { objects: 0, bytes: 0 }
    const candidates: Array<DeletionCandidate> = []
    const warnings: Array<string> = []

    const judge = (object: ObjectSummary): Effect.Effect<void, ExpiredPlanError> => {
      population.objects++
      population.bytes += object.size
      const age = now - object.lastModified.getTime()
      const rule = rules.find((r) => object.key.startsWith(r.prefix) && age > r.maxAgeMs)
      if (rule !== undefined) {
        candidates.push(
          candidateOf(object, `older than ${formatAge(rule.maxAgeMs)} under "${rule.prefix}" (age ${formatAge(age)})`)
        )
        return Effect.void
      }
      if (!metadataScope.some((prefix) => object.key.startsWith(prefix))) return Effect.void
      return Effect.map(expiresAt(object.key, withTags), (value) => {
        if (value === undefined) return
        const at = parseExpiresAt(value)
        if (at === undefined) warnings.push(`${object.key}: ${EXPIRES_AT} ${JSON.stringify(value)} is not a time; kept`)
        else if (at <= now)
          candidates.push(candidateOf(object, `${EXPIRES_AT} ${new Date(at).toISOString()} has passed`))
      })
    }

    const listing = listAll(store, {
      prefix: "",
      parallel: options.parallel ?? store.driver === "s3",
      concurrency
    })
    yield* listing.objects.pipe(Stream.mapEffect(judge, { concurrency, unordered: true }), Stream.runDrain)

    return makePlan({
      kind: "expired",
      location: store.location,
      now,
      criteria: {
        rules: rules.map((r) => ({ prefix: r.prefix, maxAge: formatAge(r.maxAgeMs) })),
        expiresAt: { prefixes: metadataScope, from: withTags ? "metadata, tags" : "metadata" }
      },
      population,
      candidates,
      warnings,
      safety: { ...DEFAULT_SAFETY, ...options.safety }
    })
  })

  const run = Effect.fn("ExpiredCleanup.run")(function* (options: ExpiredPlanOptions & CleanupRunOptions = {}) {
    const planned = yield* plan(options)
    if (options.dryRun === true) return { plan: planned, report: null } satisfies CleanupOutcome
    const report = yield* execute(store, planned, options)
    return { plan: planned, report } satisfies CleanupOutcome
  })

  return ExpiredCleanup.of({ plan, run })
})

/** Needs ObjectStore and BucketAdmin (tags only; its fs layer is enough on fs). */
export const layer: Layer.Layer<ExpiredCleanup, never, ObjectStore | BucketAdmin> = Layer.effect(ExpiredCleanup, make)
