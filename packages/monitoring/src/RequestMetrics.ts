/**
 * S3's request metrics as code: S3 publishes AllRequests, 4xxErrors, FirstByteLatency, … to
 * CloudWatch only for the filters a bucket metrics configuration names (the `FilterId`
 * dimension). The guide's dashboard and alarms read `EntireBucket`; this plans and applies the
 * configurations like the alarms: a readable diff, apply, plan again.
 */
import type { BucketAdmin, BucketAdminError, MetricsConfiguration } from "@localex/storage-core"
import { Effect, Schema } from "effect"
import { formatItemsPlan, type Plan, planItems } from "./internal/jsonDiff.js"

type Admin = BucketAdmin["Service"]

/** The whole bucket, under the `FilterId` the guide's dashboard and alarms use. */
export const ENTIRE_BUCKET: MetricsConfiguration = { id: "EntireBucket" }

export type RequestMetricsPlan = Plan<MetricsConfiguration>

export interface PlanOptions {
  /** Remove the bucket's configurations that `desired` does not name (default: leave them). */
  readonly prune?: boolean
}

export class RequestMetricsInvalid extends Schema.TaggedError<RequestMetricsInvalid>()("RequestMetricsInvalid", {
  id: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Request metrics configuration "${this.id}": ${this.reason}`
  }
}

export class RequestMetricsNotApplied extends Schema.TaggedError<RequestMetricsNotApplied>()(
  "RequestMetricsNotApplied",
  { location: Schema.String, differences: Schema.Array(Schema.String) }
) {
  override get message() {
    return `The request metrics configurations of ${this.location} still differ after applying them (the endpoint accepted but did not keep them?): ${this.differences.join("; ")}`
  }
}

// S3: "up to 64 characters; letters, numbers, periods, dashes and underscores".
const ID = /^[A-Za-z0-9._-]{1,64}$/

/** What S3 would refuse half-way through an apply: bad or repeated ids. */
export const validate = (desired: ReadonlyArray<MetricsConfiguration>): Effect.Effect<void, RequestMetricsInvalid> =>
  Effect.gen(function* () {
    const seen = new Set<string>()
    for (const config of desired) {
      if (!ID.test(config.id))
        return yield* new RequestMetricsInvalid({
          id: config.id,
          reason: "an id is 1–64 letters, digits, '.', '-' or '_'"
        })
      if (seen.has(config.id)) return yield* new RequestMetricsInvalid({ id: config.id, reason: "named twice" })
      seen.add(config.id)
    }
  })

const canonical = (config: MetricsConfiguration) => ({ id: config.id, prefix: config.prefix ?? "" })
const byId = (configs: ReadonlyArray<MetricsConfiguration>) => new Map(configs.map((c) => [c.id, c]))

/** What applying `desired` would add, change and (with `prune`) remove. */
export const plan = Effect.fn("RequestMetrics.plan")(function* (
  admin: Admin,
  desired: ReadonlyArray<MetricsConfiguration> = [ENTIRE_BUCKET],
  options: PlanOptions = {}
) {
  const current = yield* admin.getMetricsConfigurations()
  const result: RequestMetricsPlan = planItems(byId(current), byId(desired), canonical, () => options.prune === true)
  return result
})

export const formatPlan = (result: RequestMetricsPlan): Array<string> =>
  formatItemsPlan(result, "request metrics configuration")

export interface RequestMetricsApplied {
  readonly plan: RequestMetricsPlan
  readonly written: ReadonlyArray<string>
  readonly deleted: ReadonlyArray<string>
}

/** Puts the configurations that differ, removes pruned ones, then plans again: anything left is an error. */
export const apply = Effect.fn("RequestMetrics.apply")(function* (
  admin: Admin,
  desired: ReadonlyArray<MetricsConfiguration> = [ENTIRE_BUCKET],
  options: PlanOptions = {}
) {
  yield* validate(desired)
  const before = yield* plan(admin, desired, options)
  const written: Array<string> = []
  const deleted: Array<string> = []
  for (const change of before.changes) {
    if (change.action === "remove") {
      yield* admin.deleteMetricsConfiguration(change.name)
      deleted.push(change.name)
    } else {
      yield* admin.putMetricsConfiguration(change.after as MetricsConfiguration)
      written.push(change.name)
    }
  }
  const after = yield* plan(admin, desired, options)
  if (!after.empty)
    return yield* new RequestMetricsNotApplied({
      location: admin.location,
      differences: after.changes.flatMap((c) => c.differences.map((d) => `${c.name}: ${d}`))
    })
  const result: RequestMetricsApplied = { plan: before, written, deleted }
  return result
}) as (
  admin: Admin,
  desired?: ReadonlyArray<MetricsConfiguration>,
  options?: PlanOptions
) => Effect.Effect<RequestMetricsApplied, RequestMetricsInvalid | RequestMetricsNotApplied | BucketAdminError>
