/**
 * Lifecycle rules as code. A policy (a TypeScript object or a JSON file, checked by Schema)
 * says which rules the bucket should have; `plan` shows how the bucket differs (rules to add,
 * change, remove), `apply` makes it equal — and reads it back to confirm — so applying twice
 * changes nothing the second time. Rules the policy does not name are removed: the policy is
 * the whole configuration.
 *
 * The guide's defaults (`defaultPolicy()`): expire `temp/` after 1 day; move `items/` and
 * `profiles/` to GLACIER after 365 days; abort incomplete multipart uploads after 7 days;
 * expire noncurrent versions after 30 days (configurable).
 */
import { readFile } from "node:fs/promises"
import { BucketAdmin, type BucketAdminError, LifecycleRule } from "@localex/storage-core"
import { Context, Effect, Layer, Schema } from "effect"
import { type ConfigPlan, ConfigurationNotApplied, diffById, formatPlan } from "./internal/configDiff.js"

export { type ConfigChange, type ConfigPlan, ConfigurationNotApplied } from "./internal/configDiff.js"

export const LifecyclePolicy = Schema.Struct({ rules: Schema.Array(LifecycleRule) }).check(
  Schema.makeFilter((policy) => {
    const ids = policy.rules.map((rule) => rule.id)
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i)
    return twice.length === 0
      ? undefined
      : `rule ids must be unique: ${[...new Set(twice)].join(", ")} appear more than once`
  })
)
export type LifecyclePolicy = typeof LifecyclePolicy.Type
/** A policy as written in JSON or TypeScript (`enabled` and `prefix` may be left out). */
export type LifecyclePolicyInput = typeof LifecyclePolicy.Encoded

/** The policy is not valid: what is wrong, where. */
export class PolicyInvalid extends Schema.TaggedError<PolicyInvalid>()("PolicyInvalid", {
  source: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `The policy ${this.source} is not valid: ${this.reason}`
  }
}

const decode = Schema.decodeUnknownEffect(LifecyclePolicy)

/** Checks a policy given as data (a parsed JSON document, a TypeScript object). */
export const decodePolicy = (input: unknown, source = "given") =>
  decode(input).pipe(Effect.mapError((error) => new PolicyInvalid({ source, reason: error.message })))

/** The parsed JSON of a policy file (`PolicyInvalid` when unreadable or not JSON). */
export const readPolicyJson = Effect.fn("LifecyclePolicy.readPolicyJson")(function* (path: string) {
  const text = yield* Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) => new PolicyInvalid({ source: path, reason: `cannot read it (${String(cause)})` })
  })
  return yield* Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (cause) => new PolicyInvalid({ source: path, reason: `not JSON (${String(cause)})` })
  })
})

/** Reads and checks a JSON policy file. */
export const loadPolicyFile = Effect.fn("LifecyclePolicy.loadPolicyFile")(function* (path: string) {
  return yield* decodePolicy(yield* readPolicyJson(path), path)
})

export interface DefaultPolicyOptions {
  /** Days before `temp/` objects expire. Default 1. */
  readonly tempDays?: number
  /** Days before photos move to `archiveStorageClass`. Default 365. */
  readonly archiveAfterDays?: number
  /** Default GLACIER (on Ceph RGW, a class the zone defines, e.g. COLD). */
  readonly archiveStorageClass?: string
  /** Days before an incomplete multipart upload is aborted. Default 7. */
  readonly abortMultipartAfterDays?: number
  /** Days a version stays after becoming noncurrent. Default 30. */
  readonly noncurrentVersionDays?: number
}

/** The operations guide's lifecycle policy. */
export const defaultPolicy = (options: DefaultPolicyOptions = {}): LifecyclePolicy => {
  const archive = [{ days: options.archiveAfterDays ?? 365, storageClass: options.archiveStorageClass ?? "GLACIER" }]
  return {
    rules: [
      { id: "expire-temp", enabled: true, prefix: "temp/", expirationDays: options.tempDays ?? 1 },
      { id: "archive-item-photos", enabled: true, prefix: "items/", transitions: archive },
      { id: "archive-profile-photos", enabled: true, prefix: "profiles/", transitions: archive },
      {
        id: "abort-incomplete-uploads",
        enabled: true,
        prefix: "",
        abortIncompleteMultipartUploadDays: options.abortMultipartAfterDays ?? 7
      },
      {
        id: "expire-noncurrent-versions",
        enabled: true,
        prefix: "",
        noncurrentVersionExpirationDays: options.noncurrentVersionDays ?? 30
      }
    ]
  }
}

/** A rule in a form where equal meaning means equal JSON (sorted tags and transitions, no empty parts). */
const canonical = (rule: LifecycleRule): Record<string, unknown> => {
  const sortTransitions = (ts: ReadonlyArray<{ days: number; storageClass: string }> | undefined) =>
    ts === undefined || ts.length === 0 ? undefined : [...ts].sort((a, b) => a.days - b.days)
  const tags =
    rule.tags === undefined || Object.keys(rule.tags).length === 0
      ? undefined
      : Object.fromEntries(Object.entries(rule.tags).sort(([a], [b]) => (a < b ? -1 : 1)))
  return {
    enabled: rule.enabled,
    prefix: rule.prefix,
    tags,
    expirationDays: rule.expirationDays,
    expiredObjectDeleteMarker: rule.expiredObjectDeleteMarker === true ? true : undefined,
    transitions: sortTransitions(rule.transitions),
    noncurrentVersionExpirationDays: rule.noncurrentVersionExpirationDays,
    noncurrentVersionTransitions: sortTransitions(rule.noncurrentVersionTransitions),
    abortIncompleteMultipartUploadDays: rule.abortIncompleteMultipartUploadDays,
    unsupported: rule.unsupported
  }
}

/** What to change in `current` to match `policy` (pure). */
export const diff = (current: ReadonlyArray<LifecycleRule>, policy: LifecyclePolicy): ConfigPlan<LifecycleRule> =>
  diffById(current, policy.rules, canonical)

/** The plan as lines to print. */
export const formatLifecyclePlan = (plan: ConfigPlan<LifecycleRule>): Array<string> =>
  formatPlan(plan, "lifecycle rule")

export interface ApplyResult<T> {
  /** What differed before applying. */
  readonly plan: ConfigPlan<T>
  /** False when there was nothing to change (no request was sent). */
  readonly applied: boolean
}

export class Lifecycle extends Context.Service<
  Lifecycle,
  {
    readonly plan: (policy: LifecyclePolicy) => Effect.Effect<ConfigPlan<LifecycleRule>, BucketAdminError>
    readonly apply: (
      policy: LifecyclePolicy
    ) => Effect.Effect<ApplyResult<LifecycleRule>, BucketAdminError | ConfigurationNotApplied>
  }
>()("@localex/storage-core/Lifecycle") {}

export const make = Effect.gen(function* () {
  const admin = yield* BucketAdmin

  const plan = Effect.fn("Lifecycle.plan")(function* (policy: LifecyclePolicy) {
    return diff(yield* admin.getLifecycleRules(), policy)
  })

  const apply = Effect.fn("Lifecycle.apply")(function* (policy: LifecyclePolicy) {
    const before = yield* plan(policy)
    if (before.empty) return { plan: before, applied: false } satisfies ApplyResult<LifecycleRule>
    yield* admin.putLifecycleRules(policy.rules)
    const after = yield* plan(policy)
    if (!after.empty)
      return yield* new ConfigurationNotApplied({
        what: "lifecycle rules",
        differences: after.changes.flatMap((c) => c.differences.map((d) => `${c.id}: ${d}`))
      })
    return { plan: before, applied: true } satisfies ApplyResult<LifecycleRule>
  })

  return Lifecycle.of({ plan, apply })
})

export const layer: Layer.Layer<Lifecycle, never, BucketAdmin> = Layer.effect(Lifecycle, make)
