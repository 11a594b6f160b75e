/**
 * Intelligent tiering as code: the bucket's S3 Intelligent-Tiering configurations, planned and
 * applied like lifecycle rules (LifecyclePolicy.ts); the policy is the whole set.
 *
 * Objects stored in the INTELLIGENT_TIERING class move between the frequent, infrequent and
 * archive-instant tiers on their own. These configurations opt such objects into the
 * asynchronous Archive Access (≥ 90 days unread) and Deep Archive Access (≥ 180 days) tiers,
 * from which a read needs a restore first. They do nothing for objects in other classes.
 *
 * Ceph RGW does not implement intelligent tiering: there, calls fail with
 * `NotImplementedByEndpoint` (on fs, `UnsupportedByDriver`).
 */

import { BucketAdmin, type BucketAdminError, TieringConfiguration } from "@localex/storage-core"
import { Context, Effect, Layer, Schema } from "effect"
import { type ConfigPlan, ConfigurationNotApplied, diffById, formatPlan } from "./internal/configDiff.js"
import type { ApplyResult } from "./LifecyclePolicy.js"
import { PolicyInvalid, readPolicyJson } from "./LifecyclePolicy.js"

export const TieringPolicy = Schema.Struct({ configurations: Schema.Array(TieringConfiguration) }).check(
  Schema.makeFilter((policy) => {
    const ids = policy.configurations.map((c) => c.id)
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i)
    return twice.length === 0 ? undefined : `configuration ids must be unique: ${[...new Set(twice)].join(", ")}`
  })
)
export type TieringPolicy = typeof TieringPolicy.Type
export type TieringPolicyInput = typeof TieringPolicy.Encoded

const decode = Schema.decodeUnknownEffect(TieringPolicy)

export const decodeTieringPolicy = (input: unknown, source = "given") =>
  decode(input).pipe(Effect.mapError((error) => new PolicyInvalid({ source, reason: error.message })))

/** Reads and checks a JSON tiering policy file. */
export const loadTieringPolicyFile = Effect.fn("Tiering.loadTieringPolicyFile")(function* (path: string) {
  return yield* decodeTieringPolicy(yield* readPolicyJson(path), path)
})

/**
 * LocalEx's default: photos nobody has read for 180 days go to the Archive Access tier (the
 * lifecycle policy moves photos older than a year to Glacier anyway; a photo a user still views
 * stays in the frequent tier).
 */
export const defaultTieringPolicy = (archiveAccessDays = 180): TieringPolicy => ({
  configurations: [
    { id: "archive-unread-item-photos", enabled: true, prefix: "items/", archiveAccessDays },
    { id: "archive-unread-profile-photos", enabled: true, prefix: "profiles/", archiveAccessDays }
  ]
})

const canonical = (c: TieringConfiguration): Record<string, unknown> => {
  return {
    enabled: c.enabled,
    prefix: c.prefix,
    tags:
      c.tags === undefined || Object.keys(c.tags).length === 0
        ? undefined
        : Object.fromEntries(Object.entries(c.tags).sort(([a], [b]) => (a < b ? -1 : 1))),
    archiveAccessDays: c.archiveAccessDays,
    deepArchiveAccessDays: c.deepArchiveAccessDays
  }
}

export const diff = (
  current: ReadonlyArray<TieringConfiguration>,
  policy: TieringPolicy
): ConfigPlan<TieringConfiguration> => diffById(current, policy.configurations, canonical)

export const formatTieringPlan = (plan: ConfigPlan<TieringConfiguration>): Array<string> =>
  formatPlan(plan, "intelligent-tiering configuration")

export class Tiering extends Context.Service<
  Tiering,
  {
    readonly plan: (policy: TieringPolicy) => Effect.Effect<ConfigPlan<TieringConfiguration>, BucketAdminError>
    readonly apply: (
      policy: TieringPolicy
    ) => Effect.Effect<ApplyResult<TieringConfiguration>, BucketAdminError | ConfigurationNotApplied>
  }
>()("@localex/storage-core/Tiering") {}

export const make = Effect.gen(function* () {
  const admin = yield* BucketAdmin

  const plan = Effect.fn("Tiering.plan")(function* (policy: TieringPolicy) {
    return diff(yield* admin.getTieringConfigurations(), policy)
  })

  const apply = Effect.fn("Tiering.apply")(function* (policy: TieringPolicy) {
    const before = yield* plan(policy)
    if (before.empty) return { plan: before, applied: false } satisfies ApplyResult<TieringConfiguration>
    // One request per configuration: S3 has no call that replaces them all.
    for (const change of before.changes) {
      if (change.after !== null) yield* admin.putTieringConfiguration(change.after)
      else yield* admin.deleteTieringConfiguration(change.id)
    }
    const after = yield* plan(policy)
    if (!after.empty)
      return yield* new ConfigurationNotApplied({
        what: "intelligent-tiering configurations",
        differences: after.changes.flatMap((c) => c.differences.map((d) => `${c.id}: ${d}`))
      })
    return { plan: before, applied: true } satisfies ApplyResult<TieringConfiguration>
  })

  return Tiering.of({ plan, apply })
})

export const layer: Layer.Layer<Tiering, never, BucketAdmin> = Layer.effect(Tiering, make)
