/**
 * Replication as code, like the lifecycle policy: a JSON policy says where S3 copies the bucket's
 * objects (destination bucket and its region, storage class, delete markers, Replication Time
 * Control, the IAM role S3 assumes); `plan` shows how the bucket differs, `apply` makes it equal
 * and reads it back, so applying twice changes nothing. The policy is the whole configuration:
 * rules it does not name are removed. S3 needs versioning enabled on the bucket (and on the
 * destination): `apply` refuses with `VersioningRequired` otherwise.
 *
 * Ceph RGW has no replication API (`NotImplementedByEndpoint`); tests run on the local moto engine.
 */
import { readFile } from "node:fs/promises"
import { type BucketAdmin, ReplicationConfiguration, type ReplicationRule } from "@localex/storage-core"
import { Effect, Schema } from "effect"
import { ConfigurationNotApplied, PolicyInvalid, VersioningRequired } from "./Errors.js"

/** The policy: the bucket's replication configuration, plus the destination's region for people reading it. */
export const ReplicationPolicy = Schema.Struct({
  role: ReplicationConfiguration.fields.role,
  /** Where the destination bucket lives (S3 takes it from the bucket; said here so the plan shows it). */
  destinationRegion: Schema.optionalKey(Schema.NonEmptyString),
  rules: ReplicationConfiguration.fields.rules
}).check(
  Schema.makeFilter((policy) => {
    const ids = policy.rules.map((rule) => rule.id)
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i)
    return twice.length === 0 ? undefined : `rule ids must be unique: ${[...new Set(twice)].join(", ")}`
  })
)
export type ReplicationPolicy = typeof ReplicationPolicy.Type

const decode = Schema.decodeUnknownEffect(ReplicationPolicy)

export const decodePolicy = (input: unknown, source = "given") =>
  decode(input).pipe(Effect.mapError((error) => new PolicyInvalid({ source, reason: error.message })))

export const loadPolicyFile = Effect.fn("Replication.loadPolicyFile")(function* (path: string) {
  const text = yield* Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) => new PolicyInvalid({ source: path, reason: `cannot read it (${String(cause)})` })
  })
  const json = yield* Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (cause) => new PolicyInvalid({ source: path, reason: `not JSON (${String(cause)})` })
  })
  return yield* decodePolicy(json, path)
})

export interface ReplicationChange {
  readonly action: "add" | "change" | "remove"
  /** A rule id, or "role". */
  readonly id: string
  /** "field: before → after". */
  readonly differences: ReadonlyArray<string>
}

export interface ReplicationPlan {
  readonly location: string
  readonly versioning: "Enabled" | "Suspended" | "Disabled"
  readonly destinationRegion: string | null
  readonly changes: ReadonlyArray<ReplicationChange>
  readonly unchanged: ReadonlyArray<string>
  readonly empty: boolean
}

const show = (value: unknown) => (value === undefined ? "(none)" : JSON.stringify(value))

const bucketName = (bucket: string) => bucket.replace(/^arn:aws[a-z-]*:s3:::/, "")

/** A rule where equal meaning is equal JSON (the priority S3 would be given, the bucket's plain name). */
const canonical = (rule: ReplicationRule, index: number, count: number): Record<string, unknown> => ({
  enabled: rule.enabled,
  priority: rule.priority ?? count - index,
  prefix: rule.prefix,
  destinationBucket: bucketName(rule.destinationBucket),
  storageClass: rule.storageClass,
  destinationAccount: rule.destinationAccount,
  deleteMarkerReplication: rule.deleteMarkerReplication,
  replicationTimeControl: rule.replicationTimeControl,
  unsupported: rule.unsupported
})

const differences = (before: Record<string, unknown>, after: Record<string, unknown>) =>
  [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]))
    .map((field) => `${field}: ${show(before[field])} → ${show(after[field])}`)

const diff = (current: ReplicationConfiguration | undefined, desired: ReplicationPolicy) => {
  const changes: Array<ReplicationChange> = []
  const unchanged: Array<string> = []
  if (current === undefined || current.role !== desired.role)
    changes.push({
      action: current === undefined ? "add" : "change",
      id: "role",
      differences: [`role: ${show(current?.role)} → ${show(desired.role)}`]
    })
  else unchanged.push("role")
  const before = new Map((current?.rules ?? []).map((rule, i, all) => [rule.id, canonical(rule, i, all.length)]))
  desired.rules.forEach((rule, i) => {
    const after = canonical(rule, i, desired.rules.length)
    const was = before.get(rule.id)
    const fields = differences(was ?? {}, after)
    if (was !== undefined && fields.length === 0) unchanged.push(rule.id)
    else changes.push({ action: was === undefined ? "add" : "change", id: rule.id, differences: fields })
  })
  const wanted = new Set(desired.rules.map((rule) => rule.id))
  for (const [id, was] of before)
    if (!wanted.has(id)) changes.push({ action: "remove", id, differences: differences(was, {}) })
  return { changes, unchanged }
}

type Admin = BucketAdmin["Service"]

export const plan = Effect.fn("Replication.plan")(function* (admin: Admin, policy: ReplicationPolicy) {
  const versioning = yield* admin.getVersioning()
  const { changes, unchanged } = diff(yield* admin.getReplication(), policy)
  const result: ReplicationPlan = {
    location: admin.location,
    versioning,
    destinationRegion: policy.destinationRegion ?? null,
    changes,
    unchanged,
    empty: changes.length === 0
  }
  return result
})

export interface ReplicationApplied {
  readonly plan: ReplicationPlan
  readonly applied: boolean
}

/** Makes the bucket's replication equal to the policy, then reads it back to confirm. */
export const apply = Effect.fn("Replication.apply")(function* (
  admin: Admin,
  policy: ReplicationPolicy,
  options: { readonly dryRun?: boolean } = {}
) {
  const planned = yield* plan(admin, policy)
  if (planned.empty || options.dryRun === true) return { plan: planned, applied: false } as ReplicationApplied
  if (planned.versioning !== "Enabled")
    return yield* new VersioningRequired({
      location: admin.location,
      status: planned.versioning,
      operation: "Replication"
    })
  yield* admin.putReplication({ role: policy.role, rules: policy.rules })
  const after = diff(yield* admin.getReplication(), policy)
  if (after.changes.length > 0)
    return yield* new ConfigurationNotApplied({
      location: admin.location,
      detail: after.changes.map((c) => `${c.id}: ${c.differences.join("; ")}`).join(" | ")
    })
  return { plan: planned, applied: true } as ReplicationApplied
})

export const formatPlan = (plan: ReplicationPlan, applied?: boolean): ReadonlyArray<string> => [
  `replication of ${plan.location} (versioning ${plan.versioning}${plan.destinationRegion === null ? "" : `, destination region ${plan.destinationRegion}`})`,
  ...(plan.empty
    ? ["no changes: the bucket's replication is as the policy says"]
    : plan.changes.flatMap((change) => [
        `${change.action === "add" ? "+" : change.action === "remove" ? "-" : "~"} ${change.id}`,
        ...change.differences.map((d) => `    ${d}`)
      ])),
  ...(plan.versioning === "Enabled" || plan.empty
    ? []
    : ["! versioning must be enabled first: backup versioning enable"]),
  ...(applied === undefined ? [] : [applied ? "applied" : "nothing applied"])
]
