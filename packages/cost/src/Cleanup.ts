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

import {
  BucketAdmin,
  type BucketAdminError,
  DeletionPlan,
  type InvalidKey,
  Keys,
  Listing,
  ObjectStore,
  type ObjectSummary,
  type StoreError,
  Units
} from "@localex/storage-core"
import { Clock, Context, Duration, Effect, Layer, Stream } from "effect"

export interface ExpiryRule {
  readonly prefix: string
  /** Objects strictly older than this are expired: a Duration, "24 hours", or milliseconds. */
  readonly maxAge: Duration.Input
}

/** "24h", "7d", "90m" → milliseconds (undefined when not one); and back, "1d 1h". */

export const DEFAULT_RULES: ReadonlyArray<ExpiryRule> = [{ prefix: "temp/", maxAge: "24 hours" }]

/** The metadata (and tag) name of a per-object expiry. */
export const EXPIRES_AT = "expires-at"

/** "temp/=24h" or "uploads/=7d" (CLI form) → a rule; undefined when malformed. */
export const parseRule = (text: string): ExpiryRule | undefined => {
  const at = text.lastIndexOf("=")
  if (at === -1) return undefined
  const ms = Units.parseDuration(text.slice(at + 1))
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
  readonly safety?: Partial<DeletionPlan.SafetyLimits>
}

export type ExpiredPlanError = InvalidKey | StoreError | BucketAdminError

export class ExpiredCleanup extends Context.Service<
  ExpiredCleanup,
  {
    readonly plan: (options?: ExpiredPlanOptions) => Effect.Effect<DeletionPlan.DeletionPlan, ExpiredPlanError>
    readonly run: (
      options?: ExpiredPlanOptions & DeletionPlan.CleanupRunOptions
    ) => Effect.Effect<DeletionPlan.CleanupOutcome, ExpiredPlanError | DeletionPlan.ExecuteError>
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
    const concurrency = options.concurrency ?? Listing.DEFAULT_CONCURRENCY
    const population = { objects: 0, bytes: 0 }
    const candidates: Array<DeletionPlan.DeletionCandidate> = []
    const warnings: Array<string> = []

    const judge = (object: ObjectSummary): Effect.Effect<void, ExpiredPlanError> => {
      // The project's own objects (reports, manifests, leases) are never expired files.
      if (Keys.isReserved(object.key)) return Effect.void
      population.objects++
      population.bytes += object.size
      const age = now - object.lastModified.getTime()
      const rule = rules.find((r) => object.key.startsWith(r.prefix) && age > r.maxAgeMs)
      if (rule !== undefined) {
        candidates.push(
          DeletionPlan.candidateOf(
            object,
            `older than ${Units.formatDuration(rule.maxAgeMs)} under "${rule.prefix}" (age ${Units.formatDuration(age)})`
          )
        )
        return Effect.void
      }
      if (!metadataScope.some((prefix) => object.key.startsWith(prefix))) return Effect.void
      return Effect.map(expiresAt(object.key, withTags), (value) => {
        if (value === undefined) return
        const at = parseExpiresAt(value)
        if (at === undefined) warnings.push(`${object.key}: ${EXPIRES_AT} ${JSON.stringify(value)} is not a time; kept`)
        else if (at <= now)
          candidates.push(DeletionPlan.candidateOf(object, `${EXPIRES_AT} ${new Date(at).toISOString()} has passed`))
      })
    }

    const listing = Listing.listAll(store, {
      prefix: "",
      parallel: options.parallel ?? store.driver === "s3",
      concurrency
    })
    yield* listing.objects.pipe(Stream.mapEffect(judge, { concurrency, unordered: true }), Stream.runDrain)

    return DeletionPlan.makePlan({
      kind: "expired",
      location: store.location,
      now,
      criteria: {
        rules: rules.map((r) => ({ prefix: r.prefix, maxAge: Units.formatDuration(r.maxAgeMs) })),
        expiresAt: { prefixes: metadataScope, from: withTags ? "metadata, tags" : "metadata" }
      },
      population,
      candidates,
      warnings,
      safety: { ...DeletionPlan.DEFAULT_SAFETY, ...options.safety }
    })
  })

  const run = Effect.fn("ExpiredCleanup.run")(function* (
    options: ExpiredPlanOptions & DeletionPlan.CleanupRunOptions = {}
  ) {
    const planned = yield* plan(options)
    if (options.dryRun === true) return { plan: planned, report: null } satisfies DeletionPlan.CleanupOutcome
    const report = yield* DeletionPlan.execute(store, planned, options)
    return { plan: planned, report } satisfies DeletionPlan.CleanupOutcome
  })

  return ExpiredCleanup.of({ plan, run })
})

/** Needs ObjectStore and BucketAdmin (tags only; its fs layer is enough on fs). */
export const layer: Layer.Layer<ExpiredCleanup, never, ObjectStore | BucketAdmin> = Layer.effect(ExpiredCleanup, make)
