/**
 * `localex-storage lifecycle plan|apply` and `tiering plan|apply`: the bucket's lifecycle rules
 * and intelligent-tiering configurations as code (storage-core's Lifecycle and Tiering). `plan`
 * prints how the bucket differs from the policy, `apply` makes it equal. On the fs driver they
 * fail with "the fs driver has no lifecycle" (exit 1).
 */

import { LifecyclePolicy, Tiering } from "@localex/cost"
import type { BucketAdminError } from "@localex/storage-core"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { UsageError } from "../failure.js"
import { Output } from "../Output.js"
import { withOperations } from "../operations.js"
import { NAME } from "../root.js"
import { configPlan } from "../views/operations.js"
import { intFlag, optionalString } from "./flags.js"
import { summaries } from "./summaries.js"

/** What the bucket may answer besides a plan: on fs, UnsupportedByDriver (named here for declaration emit). */
export type BucketAdminFailure = BucketAdminError

const lifecycleFlags = {
  policy: optionalString("policy", "The policy, a JSON file (default: the operations guide's policy)", "file"),
  archiveClass: optionalString(
    "archive-class",
    "Default policy: the storage class photos move to after 365 days (default GLACIER)",
    "class"
  ),
  noncurrentDays: intFlag("noncurrent-days", "Default policy: days noncurrent versions are kept (default 30)", 1).pipe(
    Flag.optional
  )
} as const

const lifecyclePolicy = Effect.fn("lifecycle.policy")(function* (input: {
  readonly policy: Option.Option<string>
  readonly archiveClass: Option.Option<string>
  readonly noncurrentDays: Option.Option<number>
}) {
  if (Option.isNone(input.policy)) {
    return LifecyclePolicy.defaultPolicy({
      ...Option.match(input.archiveClass, { onNone: () => ({}), onSome: (c) => ({ archiveStorageClass: c }) }),
      ...Option.match(input.noncurrentDays, { onNone: () => ({}), onSome: (d) => ({ noncurrentVersionDays: d }) })
    })
  }
  if (Option.isSome(input.archiveClass) || Option.isSome(input.noncurrentDays)) {
    return yield* new UsageError({
      reason: "--archive-class and --noncurrent-days change the default policy, not --policy"
    })
  }
  return yield* LifecyclePolicy.loadPolicyFile(input.policy.value)
})

const lifecyclePlan = Command.make(
  "plan",
  lifecycleFlags,
  Effect.fn("lifecycle.plan")(function* (input) {
    const lifecycle = yield* LifecyclePolicy.Lifecycle
    const plan = yield* lifecycle.plan(yield* lifecyclePolicy(input))
    yield* (yield* Output).print(configPlan(plan, LifecyclePolicy.formatLifecyclePlan(plan)))
  })
).pipe(
  Command.withDescription(
    "Show how the bucket's lifecycle rules differ from the policy (rules to add, change, remove)"
  ),
  Command.withExamples([
    { command: `${NAME} lifecycle plan`, description: "Against the guide's default policy" },
    { command: `${NAME} lifecycle plan --policy lifecycle.json`, description: "Against a policy file" }
  ]),
  withOperations
)

const lifecycleApply = Command.make(
  "apply",
  lifecycleFlags,
  Effect.fn("lifecycle.apply")(function* (input) {
    const lifecycle = yield* LifecyclePolicy.Lifecycle
    const result = yield* lifecycle.apply(yield* lifecyclePolicy(input))
    yield* (yield* Output).print(
      configPlan(result.plan, LifecyclePolicy.formatLifecyclePlan(result.plan), result.applied)
    )
  })
).pipe(
  Command.withDescription("Make the bucket's lifecycle rules equal to the policy (rules it does not name are removed)"),
  Command.withExamples([
    { command: `${NAME} lifecycle apply --archive-class COLD`, description: "The default policy, archiving to COLD" }
  ]),
  withOperations
)

export const lifecycle = Command.make("lifecycle").pipe(
  Command.withDescription(summaries.lifecycle),
  Command.withSubcommands([lifecyclePlan, lifecycleApply]),
  Command.withExamples([{ command: `${NAME} lifecycle plan`, description: "What apply would change" }])
)

const tieringFlags = {
  policy: optionalString(
    "policy",
    "The policy, a JSON file (default: photos unread 180 days to Archive Access)",
    "file"
  )
} as const

const tieringPolicy = (policy: Option.Option<string>) =>
  Option.match(policy, {
    onNone: () => Effect.succeed(Tiering.defaultTieringPolicy()),
    onSome: Tiering.loadTieringPolicyFile
  })

const tieringPlan = Command.make(
  "plan",
  tieringFlags,
  Effect.fn("tiering.plan")(function* (input) {
    const tiering = yield* Tiering.Tiering
    const plan = yield* tiering.plan(yield* tieringPolicy(input.policy))
    yield* (yield* Output).print(configPlan(plan, Tiering.formatTieringPlan(plan)))
  })
).pipe(
  Command.withDescription("Show how the bucket's intelligent-tiering configurations differ from the policy"),
  Command.withExamples([{ command: `${NAME} tiering plan`, description: "Against the default policy" }]),
  withOperations
)

const tieringApply = Command.make(
  "apply",
  tieringFlags,
  Effect.fn("tiering.apply")(function* (input) {
    const tiering = yield* Tiering.Tiering
    const result = yield* tiering.apply(yield* tieringPolicy(input.policy))
    yield* (yield* Output).print(configPlan(result.plan, Tiering.formatTieringPlan(result.plan), result.applied))
  })
).pipe(
  Command.withDescription("Make the bucket's intelligent-tiering configurations equal to the policy"),
  Command.withExamples([
    { command: `${NAME} tiering apply --policy tiering.json`, description: "Apply a policy file" }
  ]),
  withOperations
)

export const tiering = Command.make("tiering").pipe(
  Command.withDescription(summaries.tiering),
  Command.withSubcommands([tieringPlan, tieringApply]),
  Command.withExamples([{ command: `${NAME} tiering plan`, description: "What apply would change" }])
)
