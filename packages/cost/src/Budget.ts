/**
 * Budgets as code: the operations guide's monthly S3 budget (`aws budgets create-budget`) with
 * notifications when actual or forecast spend passes a share of the limit, e-mailed to
 * subscribers. `plan` shows how the account's budget differs from the policy (the budget, each
 * notification, each notification's subscribers), `apply` makes it equal and reads it back, so
 * applying twice changes nothing — as lifecycle rules as code (internal/configDiff.ts).
 *
 * The policy names one budget: notifications it does not list are removed from that budget;
 * other budgets of the account are never touched. Subscribers are e-mail addresses; SNS
 * subscribers are left as they are.
 *
 * An endpoint that cannot list a notification's subscribers (moto lacks
 * `DescribeSubscribersForNotification`; a 5xx that outlasts the retries) does not stop the
 * plan: those subscribers are not compared, the plan's `warnings` say so, and apply leaves them.
 */
import { BudgetsClient } from "@aws-sdk/client-budgets"
import { STSClient } from "@aws-sdk/client-sts"
import { loadAwsSettings, type StorageConfigError, type StorageOverrides } from "@localex/storage-core"
import { clientConfig } from "@localex/storage-core/aws"
import { Context, Effect, Layer, Schema } from "effect"
import { S3_SERVICE } from "./CostReports.js"
import {
  type BudgetState,
  type BudgetsApi,
  type BudgetsError,
  budgetsApi,
  callerAccount,
  type NotificationState
} from "./internal/budgetsApi.js"
import { type ConfigPlan, ConfigurationNotApplied, diffById, formatPlan } from "./internal/configDiff.js"
import { PolicyInvalid } from "./LifecyclePolicy.js"

export { BudgetsError } from "./internal/budgetsApi.js"

const Email = Schema.String.check(
  Schema.isPattern(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: "subscribers must be e-mail addresses (name@example.com)" })
)

export const BudgetNotification = Schema.Struct({
  type: Schema.Literals(["ACTUAL", "FORECASTED"]),
  /** Notify when spend passes this percentage of the limit. */
  thresholdPercent: Schema.Finite.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1000)),
  /** E-mail addresses, 1–10 (AWS's limits). */
  subscribers: Schema.Array(Email).check(Schema.isMinLength(1), Schema.isMaxLength(10))
})
export type BudgetNotification = typeof BudgetNotification.Type

export const BudgetPolicy = Schema.Struct({
  /** AWS: unique in the account, no ":" or "\". */
  name: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100), Schema.isPattern(/^[^:\\]+$/)),
  /** The monthly limit in USD. */
  limitUsd: Schema.Finite.check(Schema.isGreaterThan(0)),
  /** The services whose cost counts (Cost Explorer's SERVICE names). */
  services: Schema.Array(Schema.String).check(Schema.isMinLength(1)),
  notifications: Schema.Array(BudgetNotification)
}).check(
  Schema.makeFilter((policy) => {
    const ids = policy.notifications.map((n) => notificationId(n))
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i)
    return twice.length === 0 ? undefined : `notifications must differ: ${[...new Set(twice)].join(", ")} twice`
  })
)
export type BudgetPolicy = typeof BudgetPolicy.Type

export const DEFAULT_BUDGET_NAME = "localex-storage-s3-monthly"

export interface DefaultBudgetOptions {
  readonly limitUsd: number
  /** Subscribers of both notifications; none: a budget without notifications. */
  readonly emails?: ReadonlyArray<string>
  readonly name?: string
}

/** The guide's budget: S3's monthly cost, e-mails at 80 % actual and 100 % forecast. */
export const defaultBudgetPolicy = (options: DefaultBudgetOptions): BudgetPolicy => {
  const emails = options.emails ?? []
  return {
    name: options.name ?? DEFAULT_BUDGET_NAME,
    limitUsd: options.limitUsd,
    services: [S3_SERVICE],
    notifications:
      emails.length === 0
        ? []
        : [
            { type: "ACTUAL", thresholdPercent: 80, subscribers: emails },
            { type: "FORECASTED", thresholdPercent: 100, subscribers: emails }
          ]
  }
}

const decode = Schema.decodeUnknownEffect(BudgetPolicy)

/** Checks a budget policy given as data (`PolicyInvalid` with the reason). */
export const decodeBudgetPolicy = (input: unknown, source = "given") =>
  decode(input).pipe(Effect.mapError((error) => new PolicyInvalid({ source, reason: error.message })))

/** One thing the plan compares: the budget itself, or one notification with its subscribers. */
export type BudgetItem =
  | { readonly id: "budget"; readonly kind: "budget"; readonly state: BudgetState }
  | {
      readonly id: string
      readonly kind: "notification"
      readonly state: NotificationState
      /** null: the endpoint could not list them. */
      readonly subscribers: ReadonlyArray<string> | null
    }

export interface BudgetPlan extends ConfigPlan<BudgetItem> {
  readonly accountId: string
  readonly name: string
  readonly warnings: ReadonlyArray<string>
}

function notificationId(
  n: { readonly type: string; readonly thresholdPercent: number },
  comparison = "GREATER_THAN",
  thresholdType = "PERCENTAGE"
) {
  const above = comparison === "GREATER_THAN" ? ">" : comparison === "LESS_THAN" ? "<" : "="
  return `${n.type.toLowerCase()} ${above} ${n.thresholdPercent}${thresholdType === "PERCENTAGE" ? "%" : " USD"}`
}

const sorted = (values: ReadonlyArray<string>) => [...values].map((v) => v.toLowerCase()).sort()

/** Budget items in a comparable form: amounts as numbers, lists sorted, addresses lower-cased. */
const canonical = (item: BudgetItem): Record<string, unknown> =>
  item.kind === "budget"
    ? {
        limitUsd: item.state.limitUsd,
        timeUnit: item.state.timeUnit,
        budgetType: item.state.budgetType,
        services: [...item.state.services].sort()
      }
    : { subscribers: item.subscribers === null ? "(not readable)" : sorted(item.subscribers) }

const desiredItems = (policy: BudgetPolicy): Array<BudgetItem> => [
  {
    id: "budget",
    kind: "budget",
    state: { limitUsd: policy.limitUsd, timeUnit: "MONTHLY", budgetType: "COST", services: policy.services }
  },
  ...policy.notifications.map(
    (n): BudgetItem => ({
      id: notificationId(n),
      kind: "notification",
      state: {
        type: n.type,
        thresholdPercent: n.thresholdPercent,
        comparison: "GREATER_THAN",
        thresholdType: "PERCENTAGE"
      },
      subscribers: n.subscribers
    })
  )
]

/** The plan from what the account has (pure). Unreadable subscribers are taken as wanted, with a warning. */
export const diff = (
  current: ReadonlyArray<BudgetItem>,
  policy: BudgetPolicy
): { plan: ConfigPlan<BudgetItem>; warnings: Array<string> } => {
  const desired = desiredItems(policy)
  const warnings: Array<string> = []
  const wanted = new Map(desired.map((item) => [item.id, item]))
  const known = current.map((item): BudgetItem => {
    if (item.kind !== "notification" || item.subscribers !== null) return item
    const want = wanted.get(item.id)
    warnings.push(
      `the subscribers of notification "${item.id}" could not be read (the endpoint does not list them): not compared, left as they are`
    )
    return want?.kind === "notification" ? { ...item, subscribers: want.subscribers } : item
  })
  return { plan: diffById(known, desired, canonical), warnings }
}

export const formatBudgetPlan = (plan: BudgetPlan): Array<string> => [
  `Budget "${plan.name}" in account ${plan.accountId}:`,
  ...formatPlan(plan, "budget item"),
  ...plan.warnings.map((w) => `warning: ${w}`)
]

export interface BudgetApplyResult {
  readonly plan: BudgetPlan
  readonly applied: boolean
}

export class Budget extends Context.Service<
  Budget,
  {
    readonly plan: (policy: BudgetPolicy) => Effect.Effect<BudgetPlan, BudgetsError>
    readonly apply: (policy: BudgetPolicy) => Effect.Effect<BudgetApplyResult, BudgetsError | ConfigurationNotApplied>
  }
>()("@localex/cost/Budget") {}

const ignoreCode = (code: string) => (error: BudgetsError) => (error.code === code ? Effect.void : Effect.fail(error))

export const make = (api: BudgetsApi): Budget["Service"] => {
  const read = Effect.fn("Budget.read")(function* (name: string) {
    const budget = yield* api.describeBudget(name)
    if (budget === undefined) return []
    const items: Array<BudgetItem> = [{ id: "budget", kind: "budget", state: budget }]
    for (const state of yield* api.describeNotifications(name)) {
      const subscribers = yield* api.describeSubscribers(name, state).pipe(
        Effect.catchIf(
          (error) => error.status !== undefined && error.status >= 500,
          () => Effect.succeed(null)
        )
      )
      items.push({
        id: notificationId(state, state.comparison, state.thresholdType),
        kind: "notification",
        state,
        subscribers
      })
    }
    return items
  })

  const plan = Effect.fn("Budget.plan")(function* (policy: BudgetPolicy) {
    const { plan, warnings } = diff(yield* read(policy.name), policy)
    return { ...plan, accountId: api.accountId, name: policy.name, warnings } satisfies BudgetPlan
  })

  const change = Effect.fn("Budget.change")(function* (policy: BudgetPolicy, c: BudgetPlan["changes"][number]) {
    const name = policy.name
    const after = c.after
    const before = c.before
    if (c.id === "budget") {
      if (after?.kind !== "budget") return
      if (c.action === "add") {
        // Created meanwhile by another runner: apply plans again against what is there now.
        return yield* api.createBudget(name, after.state, policy.notifications).pipe(
          Effect.as("created" as const),
          Effect.catchIf(
            (error) => error.code === "DuplicateRecordException",
            () => Effect.succeed("exists" as const)
          )
        )
      }
      yield* api.updateBudget(name, after.state)
      return
    }
    if (c.action === "remove" && before?.kind === "notification") {
      yield* api.deleteNotification(name, before.state).pipe(Effect.catch(ignoreCode("NotFoundException")))
    } else if (c.action === "add" && after?.kind === "notification") {
      yield* api
        .createNotification(name, after.state, after.subscribers ?? [])
        .pipe(Effect.catch(ignoreCode("DuplicateRecordException")))
    } else if (after?.kind === "notification" && before?.kind === "notification") {
      const had = new Set(sorted(before.subscribers ?? []))
      const want = new Set(sorted(after.subscribers ?? []))
      for (const address of want)
        if (!had.has(address))
          yield* api
            .createSubscriber(name, after.state, address)
            .pipe(Effect.catch(ignoreCode("DuplicateRecordException")))
      for (const address of had)
        if (!want.has(address))
          yield* api.deleteSubscriber(name, after.state, address).pipe(Effect.catch(ignoreCode("NotFoundException")))
    }
  })

  /** The changes of one plan; "raced" when the budget appeared between the plan and its creation. */
  const write = Effect.fn("Budget.write")(function* (policy: BudgetPolicy, current: BudgetPlan) {
    for (const c of current.changes) {
      const outcome = yield* change(policy, c)
      if (outcome === "exists") return "raced" as const
      if (outcome === "created") break // CreateBudget sent the notifications with it
    }
    return "done" as const
  })

  const apply = Effect.fn("Budget.apply")(function* (policy: BudgetPolicy) {
    const before = yield* plan(policy)
    if (before.empty) return { plan: before, applied: false } satisfies BudgetApplyResult
    if ((yield* write(policy, before)) === "raced") yield* write(policy, yield* plan(policy))
    const after = yield* plan(policy)
    if (!after.empty)
      return yield* new ConfigurationNotApplied({
        what: `budget "${policy.name}"`,
        differences: after.changes.flatMap((c) => c.differences.map((d) => `${c.id}: ${d}`))
      })
    return { plan: before, applied: true } satisfies BudgetApplyResult
  })

  return Budget.of({ plan, apply })
}

/**
 * Budgets and STS clients from the environment (`loadAwsSettings("BUDGETS")`, `("STS")`); the
 * account is `accountId` when given (LOCALEX_COST_ACCOUNT_ID), else the credentials' own.
 */
export const layerConfig = (
  options: { readonly accountId?: string | undefined } & Pick<StorageOverrides, "region" | "profile"> = {}
): Layer.Layer<Budget, StorageConfigError | BudgetsError> =>
  Layer.effect(
    Budget,
    Effect.gen(function* () {
      const overrides = {
        ...(options.region ? { region: options.region } : {}),
        ...(options.profile ? { profile: options.profile } : {})
      }
      const settings = yield* loadAwsSettings("BUDGETS", overrides)
      const client = yield* Effect.acquireRelease(
        Effect.sync(() => new BudgetsClient(clientConfig(settings))),
        (c) => Effect.sync(() => c.destroy())
      )
      let accountId = options.accountId
      if (accountId === undefined) {
        const sts = new STSClient(clientConfig(yield* loadAwsSettings("STS", overrides)))
        accountId = yield* callerAccount(sts).pipe(Effect.ensuring(Effect.sync(() => sts.destroy())))
      }
      return make(budgetsApi(client, accountId))
    })
  )
