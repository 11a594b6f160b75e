/**
 * The AWS Budgets requests budgets-as-code sends, as Effects over plain data; the SDK stays in
 * this file. Notifications here are always "above a percentage of the limit".
 */
import {
  type BudgetsClient,
  CreateBudgetCommand,
  CreateNotificationCommand,
  CreateSubscriberCommand,
  DeleteNotificationCommand,
  DeleteSubscriberCommand,
  DescribeBudgetCommand,
  DescribeNotificationsForBudgetCommand,
  DescribeSubscribersForNotificationCommand,
  type Notification,
  UpdateBudgetCommand
} from "@aws-sdk/client-budgets"
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts"
import { type AwsFailure, awsCall } from "@localex/storage-core/aws"
import { Effect, Schema } from "effect"

/** AWS Budgets refused or failed (the code says which: AccessDeniedException, InvalidParameterException, …). */
export class BudgetsError extends Schema.TaggedError<BudgetsError>()("BudgetsError", {
  operation: Schema.String,
  code: Schema.String,
  status: Schema.optionalKey(Schema.Number),
  reason: Schema.String
}) {
  override get message() {
    const hint =
      this.code === "AccessDeniedException" ? " — the credentials need budgets:ViewBudget and budgets:ModifyBudget" : ""
    return `AWS Budgets ${this.operation} answered ${this.code}: ${this.reason}${hint}`
  }
}

export interface BudgetState {
  readonly limitUsd: number
  readonly timeUnit: string
  readonly budgetType: string
  readonly services: ReadonlyArray<string>
}

export interface NotificationKey {
  readonly type: "ACTUAL" | "FORECASTED"
  readonly thresholdPercent: number
}

export interface NotificationState extends NotificationKey {
  /** Other comparisons than "above a percentage" are kept as read, so the plan removes them. */
  readonly comparison: string
  readonly thresholdType: string
}

const call =
  (operation: string) =>
  <A>(send: (signal: AbortSignal) => Promise<A>) =>
    awsCall(send, (failure: AwsFailure) => {
      const { code, status, detail } = failure
      return new BudgetsError({ operation, code, reason: detail, ...(status === undefined ? {} : { status }) })
    })

const notification = (key: NotificationKey): Notification => ({
  NotificationType: key.type,
  ComparisonOperator: "GREATER_THAN",
  Threshold: key.thresholdPercent,
  ThresholdType: "PERCENTAGE"
})

const rawNotification = (state: NotificationState): Notification => ({
  NotificationType: state.type,
  ComparisonOperator: state.comparison as Notification["ComparisonOperator"],
  Threshold: state.thresholdPercent,
  ThresholdType: state.thresholdType as Notification["ThresholdType"]
})

const subscriber = (address: string) => ({ SubscriptionType: "EMAIL" as const, Address: address })

const budget = (name: string, desired: BudgetState) => ({
  BudgetName: name,
  BudgetType: "COST" as const,
  TimeUnit: "MONTHLY" as const,
  BudgetLimit: { Amount: String(desired.limitUsd), Unit: "USD" },
  CostFilters: { Service: [...desired.services] }
})

export const budgetsApi = (client: BudgetsClient, accountId: string) => ({
  accountId,
  /** The budget, or undefined when there is none by that name. */
  describeBudget: (name: string) =>
    call("DescribeBudget")((abortSignal) =>
      client.send(new DescribeBudgetCommand({ AccountId: accountId, BudgetName: name }), { abortSignal })
    ).pipe(
      Effect.map((answer): BudgetState | undefined => {
        const b = answer.Budget
        if (b === undefined) return undefined
        return {
          limitUsd: Number(b.BudgetLimit?.Amount ?? Number.NaN),
          timeUnit: b.TimeUnit ?? "",
          budgetType: b.BudgetType ?? "",
          services: [...(b.CostFilters?.Service ?? [])]
        }
      }),
      Effect.catchIf(
        (error) => error.code === "NotFoundException",
        () => Effect.succeed(undefined)
      )
    ),
  describeNotifications: Effect.fn("Budgets.describeNotifications")(function* (name: string) {
    const all: Array<NotificationState> = []
    let token: string | undefined
    do {
      const answer = yield* call("DescribeNotificationsForBudget")((abortSignal) =>
        client.send(
          new DescribeNotificationsForBudgetCommand({
            AccountId: accountId,
            BudgetName: name,
            ...(token === undefined ? {} : { NextToken: token })
          }),
          { abortSignal }
        )
      )
      for (const n of answer.Notifications ?? [])
        all.push({
          type: n.NotificationType === "FORECASTED" ? "FORECASTED" : "ACTUAL",
          thresholdPercent: n.Threshold ?? 0,
          comparison: n.ComparisonOperator ?? "GREATER_THAN",
          thresholdType: n.ThresholdType ?? "PERCENTAGE"
        })
      token = answer.NextToken === token ? undefined : answer.NextToken
    } while (token !== undefined && token !== "")
    return all
  }),
  /** The e-mail addresses of a notification (SNS topics are not managed here and left alone). */
  describeSubscribers: Effect.fn("Budgets.describeSubscribers")(function* (name: string, state: NotificationState) {
    const addresses: Array<string> = []
    let token: string | undefined
    do {
      const answer = yield* call("DescribeSubscribersForNotification")((abortSignal) =>
        client.send(
          new DescribeSubscribersForNotificationCommand({
            AccountId: accountId,
            BudgetName: name,
            Notification: rawNotification(state),
            ...(token === undefined ? {} : { NextToken: token })
          }),
          { abortSignal }
        )
      )
      for (const s of answer.Subscribers ?? [])
        if (s.SubscriptionType === "EMAIL" && s.Address !== undefined) addresses.push(s.Address)
      token = answer.NextToken === token ? undefined : answer.NextToken
    } while (token !== undefined && token !== "")
    return addresses
  }),
  createBudget: (
    name: string,
    desired: BudgetState,
    notifications: ReadonlyArray<NotificationKey & { readonly subscribers: ReadonlyArray<string> }>
  ) =>
    call("CreateBudget")((abortSignal) =>
      client.send(
        new CreateBudgetCommand({
          AccountId: accountId,
          Budget: budget(name, desired),
          NotificationsWithSubscribers: notifications.map((n) => ({
            Notification: notification(n),
            Subscribers: n.subscribers.map(subscriber)
          }))
        }),
        { abortSignal }
      )
    ),
  updateBudget: (name: string, desired: BudgetState) =>
    call("UpdateBudget")((abortSignal) =>
      client.send(new UpdateBudgetCommand({ AccountId: accountId, NewBudget: budget(name, desired) }), { abortSignal })
    ),
  createNotification: (name: string, key: NotificationKey, subscribers: ReadonlyArray<string>) =>
    call("CreateNotification")((abortSignal) =>
      client.send(
        new CreateNotificationCommand({
          AccountId: accountId,
          BudgetName: name,
          Notification: notification(key),
          Subscribers: subscribers.map(subscriber)
        }),
        { abortSignal }
      )
    ),
  deleteNotification: (name: string, state: NotificationState) =>
    call("DeleteNotification")((abortSignal) =>
      client.send(
        new DeleteNotificationCommand({ AccountId: accountId, BudgetName: name, Notification: rawNotification(state) }),
        { abortSignal }
      )
    ),
  createSubscriber: (name: string, key: NotificationKey, address: string) =>
    call("CreateSubscriber")((abortSignal) =>
      client.send(
        new CreateSubscriberCommand({
          AccountId: accountId,
          BudgetName: name,
          Notification: notification(key),
          Subscriber: subscriber(address)
        }),
        { abortSignal }
      )
    ),
  deleteSubscriber: (name: string, key: NotificationKey, address: string) =>
    call("DeleteSubscriber")((abortSignal) =>
      client.send(
        new DeleteSubscriberCommand({
          AccountId: accountId,
          BudgetName: name,
          Notification: notification(key),
          Subscriber: subscriber(address)
        }),
        { abortSignal }
      )
    )
})

export type BudgetsApi = ReturnType<typeof budgetsApi>

/** The account of the credentials (Budgets needs it in every request). */
export const callerAccount = (sts: STSClient) =>
  call("GetCallerIdentity")((abortSignal) => sts.send(new GetCallerIdentityCommand({}), { abortSignal })).pipe(
    Effect.map((answer) => answer.Account ?? "")
  )
