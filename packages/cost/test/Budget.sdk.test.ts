/**
 * At the SDK boundary, what moto cannot answer (local-aws README, "Known moto gaps"): updating
 * a budget, listing, adding and removing subscribers, and how AWS's NotFoundException /
 * DuplicateRecordException / AccessDeniedException are handled. The mock is a small stateful
 * fake of AWS Budgets, so "apply, then plan" reads what apply wrote. Also the exact
 * GetCostAndUsage requests of the guide's two reports.
 */
import {
  BudgetsClient,
  BudgetsServiceException,
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
import {
  CostExplorerClient,
  GetCostAndUsageCommand,
  type GetCostAndUsageCommandInput
} from "@aws-sdk/client-cost-explorer"
import { AwsRetryDelay } from "@localex/storage-core/aws"
import { mockClient } from "aws-sdk-client-mock"
import { Duration, Effect } from "effect"
import { afterEach, assert, beforeEach, describe, it } from "vitest"
import { defaultBudgetPolicy, make } from "../src/Budget.js"
import * as CostExplorer from "../src/CostExplorer.js"
import { queryFor, S3_SERVICE } from "../src/CostReports.js"
import { budgetsApi } from "../src/internal/budgetsApi.js"

const ACCOUNT = "111122223333"
const NAME = "localex-storage-s3-monthly"
const budgetsMock = mockClient(BudgetsClient)
const ceMock = mockClient(CostExplorerClient)

const awsError = (name: string, status: number) =>
  new BudgetsServiceException({
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
    message: name
  })

/** AWS Budgets for one account: one budget, its notifications and their e-mail subscribers. */
interface FakeBudget {
  limit: string
  notifications: Array<{ notification: Notification; subscribers: Array<string> }>
}
let fake: FakeBudget | undefined
let subscribersReadable: boolean

const sameNotification = (a: Notification | undefined, b: Notification | undefined) =>
  a?.NotificationType === b?.NotificationType &&
  a?.Threshold === b?.Threshold &&
  a?.ComparisonOperator === b?.ComparisonOperator
const find = (n: Notification | undefined) => fake?.notifications.find((x) => sameNotification(x.notification, n))

beforeEach(() => {
  fake = undefined
  subscribersReadable = true
  budgetsMock.reset()
  budgetsMock.on(DescribeBudgetCommand).callsFake(async () => {
    if (fake === undefined) throw awsError("NotFoundException", 400)
    return {
      Budget: {
        BudgetName: NAME,
        BudgetType: "COST",
        TimeUnit: "MONTHLY",
        BudgetLimit: { Amount: fake.limit, Unit: "USD" },
        CostFilters: { Service: [S3_SERVICE] }
      }
    }
  })
  budgetsMock.on(DescribeNotificationsForBudgetCommand).callsFake(async () => ({
    Notifications: fake?.notifications.map((n) => n.notification) ?? []
  }))
  budgetsMock.on(DescribeSubscribersForNotificationCommand).callsFake(async (input) => {
    if (!subscribersReadable) throw awsError("InternalFailure", 500)
    return {
      Subscribers:
        find(input.Notification)?.subscribers.map((Address) => ({ SubscriptionType: "EMAIL", Address })) ?? []
    }
  })
  budgetsMock.on(CreateBudgetCommand).callsFake(async (input) => {
    if (fake !== undefined) throw awsError("DuplicateRecordException", 400)
    fake = {
      limit: input.Budget.BudgetLimit.Amount,
      notifications: (input.NotificationsWithSubscribers ?? []).map(
        (n: { Notification: Notification; Subscribers: Array<{ Address: string }> }) => ({
          notification: n.Notification,
          subscribers: n.Subscribers.map((s) => s.Address)
        })
      )
    }
    return {}
  })
  budgetsMock.on(UpdateBudgetCommand).callsFake(async (input) => {
    fake!.limit = input.NewBudget.BudgetLimit.Amount
    return {}
  })
  budgetsMock.on(CreateNotificationCommand).callsFake(async (input) => {
    fake!.notifications.push({
      notification: input.Notification,
      subscribers: input.Subscribers.map((s: { Address: string }) => s.Address)
    })
    return {}
  })
  budgetsMock.on(DeleteNotificationCommand).callsFake(async (input) => {
    if (find(input.Notification) === undefined) throw awsError("NotFoundException", 400)
    fake!.notifications = fake!.notifications.filter((n) => !sameNotification(n.notification, input.Notification))
    return {}
  })
  budgetsMock.on(CreateSubscriberCommand).callsFake(async (input) => {
    const n = find(input.Notification)!
    if (n.subscribers.includes(input.Subscriber.Address)) throw awsError("DuplicateRecordException", 400)
    n.subscribers.push(input.Subscriber.Address)
    return {}
  })
  budgetsMock.on(DeleteSubscriberCommand).callsFake(async (input) => {
    const n = find(input.Notification)!
    n.subscribers = n.subscribers.filter((a) => a !== input.Subscriber.Address)
    return {}
  })
})
afterEach(() => budgetsMock.reset())

/** "Actual spend above 80 %" and "forecast above 100 %", as AWS holds them. */
const actual = {
  NotificationType: "ACTUAL" as const,
  ComparisonOperator: "GREATER_THAN" as const,
  Threshold: 80,
  ThresholdType: "PERCENTAGE" as const
}
const forecast = { ...actual, NotificationType: "FORECASTED" as const, Threshold: 100 }

const client = () =>
  new BudgetsClient({
    region: "us-east-1",
    credentials: { accessKeyId: "AKID", secretAccessKey: "secret" },
    maxAttempts: 1
  })
const run = <A, E>(f: (budget: ReturnType<typeof make>) => Effect.Effect<A, E>) =>
  Effect.runPromise(
    f(make(budgetsApi(client(), ACCOUNT))).pipe(Effect.provideService(AwsRetryDelay, Duration.millis(1)))
  )
const calls = (command: Parameters<typeof budgetsMock.commandCalls>[0]) =>
  budgetsMock.commandCalls(command).map((c) => c.args[0].input)

describe("budgets at the SDK boundary", () => {
  it("creates the budget with its notifications in one CreateBudget; a second apply sends nothing", async () => {
    const policy = defaultBudgetPolicy({ limitUsd: 120, emails: ["ops@localex.test"] })
    const result = await run((b) => b.apply(policy))
    assert.strictEqual(result.applied, true)
    assert.deepStrictEqual(calls(CreateBudgetCommand), [
      {
        AccountId: ACCOUNT,
        Budget: {
          BudgetName: NAME,
          BudgetType: "COST",
          TimeUnit: "MONTHLY",
          BudgetLimit: { Amount: "120", Unit: "USD" },
          CostFilters: { Service: [S3_SERVICE] }
        },
        NotificationsWithSubscribers: [
          {
            Notification: {
              NotificationType: "ACTUAL",
              ComparisonOperator: "GREATER_THAN",
              Threshold: 80,
              ThresholdType: "PERCENTAGE"
            },
            Subscribers: [{ SubscriptionType: "EMAIL", Address: "ops@localex.test" }]
          },
          {
            Notification: {
              NotificationType: "FORECASTED",
              ComparisonOperator: "GREATER_THAN",
              Threshold: 100,
              ThresholdType: "PERCENTAGE"
            },
            Subscribers: [{ SubscriptionType: "EMAIL", Address: "ops@localex.test" }]
          }
        ]
      }
    ])
    assert.strictEqual(calls(CreateNotificationCommand).length, 0) // sent with the budget
    budgetsMock.resetHistory()
    const again = await run((b) => b.apply(policy))
    assert.strictEqual(again.applied, false)
    for (const write of [
      CreateBudgetCommand,
      UpdateBudgetCommand,
      CreateNotificationCommand,
      CreateSubscriberCommand,
      DeleteSubscriberCommand,
      DeleteNotificationCommand
    ])
      assert.strictEqual(calls(write).length, 0)
  })

  it("a new limit is an UpdateBudget (amounts compared as numbers: AWS answers 120.0)", async () => {
    fake = { limit: "120.0", notifications: [] }
    const same = await run((b) => b.plan(defaultBudgetPolicy({ limitUsd: 120 })))
    assert.strictEqual(same.empty, true)
    const result = await run((b) => b.apply(defaultBudgetPolicy({ limitUsd: 150 })))
    assert.deepStrictEqual(result.plan.changes[0]?.differences, ["limitUsd: 120 → 150"])
    assert.deepStrictEqual(calls(UpdateBudgetCommand)[0]?.NewBudget?.BudgetLimit, { Amount: "150", Unit: "USD" })
    assert.strictEqual(fake.limit, "150")
  })

  it("subscribers are added and removed one by one, with the notification they belong to", async () => {
    fake = {
      limit: "120",
      notifications: [
        { notification: actual, subscribers: ["old@localex.test", "ops@localex.test"] },
        { notification: forecast, subscribers: ["ops@localex.test"] }
      ]
    }
    const policy = defaultBudgetPolicy({ limitUsd: 120, emails: ["ops@localex.test", "new@localex.test"] })
    const plan = await run((b) => b.plan(policy))
    assert.deepStrictEqual(
      plan.changes.map((c) => [c.id, c.differences]),
      [
        [
          "actual > 80%",
          ['subscribers: ["old@localex.test","ops@localex.test"] → ["new@localex.test","ops@localex.test"]']
        ],
        ["forecasted > 100%", ['subscribers: ["ops@localex.test"] → ["new@localex.test","ops@localex.test"]']]
      ]
    )
    await run((b) => b.apply(policy))
    assert.deepStrictEqual(
      calls(CreateSubscriberCommand).map((i) => [i.Notification?.NotificationType, i.Subscriber?.Address]),
      [
        ["ACTUAL", "new@localex.test"],
        ["FORECASTED", "new@localex.test"]
      ]
    )
    assert.deepStrictEqual(calls(DeleteSubscriberCommand)[0], {
      AccountId: ACCOUNT,
      BudgetName: NAME,
      Notification: actual,
      Subscriber: { SubscriptionType: "EMAIL", Address: "old@localex.test" }
    })
    assert.deepStrictEqual(fake.notifications[0]?.subscribers.sort(), ["new@localex.test", "ops@localex.test"])
  })

  it("a notification the policy does not name is deleted; already gone (NotFoundException) is fine", async () => {
    const other = { ...actual, Threshold: 50 }
    fake = { limit: "120", notifications: [{ notification: other, subscribers: ["ops@localex.test"] }] }
    budgetsMock.on(DeleteNotificationCommand).callsFakeOnce(async () => {
      fake!.notifications = [] // someone else removed it first
      throw awsError("NotFoundException", 400)
    })
    const result = await run((b) => b.apply(defaultBudgetPolicy({ limitUsd: 120 })))
    assert.deepStrictEqual(
      result.plan.changes.map((c) => [c.action, c.id]),
      [["remove", "actual > 50%"]]
    )
    assert.deepStrictEqual(calls(DeleteNotificationCommand)[0]?.Notification, other)
  })

  it("a budget created meanwhile (DuplicateRecordException) is read again and brought to the policy", async () => {
    budgetsMock.on(CreateBudgetCommand).callsFakeOnce(async () => {
      fake = { limit: "99", notifications: [] } // another runner won the race, with another limit
      throw awsError("DuplicateRecordException", 400)
    })
    const result = await run((b) => b.apply(defaultBudgetPolicy({ limitUsd: 120 })))
    assert.strictEqual(result.applied, true)
    assert.deepStrictEqual(calls(UpdateBudgetCommand)[0]?.NewBudget?.BudgetLimit, { Amount: "120", Unit: "USD" })
    assert.strictEqual(fake?.limit, "120")
  })

  it("subscribers that cannot be read are not compared and left alone; access denied is a typed error", async () => {
    fake = { limit: "120", notifications: [{ notification: actual, subscribers: ["someone@localex.test"] }] }
    subscribersReadable = false
    const policy = defaultBudgetPolicy({ limitUsd: 120, emails: ["ops@localex.test"] })
    const plan = await run((b) => b.plan(policy))
    assert.deepStrictEqual(
      plan.changes.map((c) => [c.action, c.id]),
      [["add", "forecasted > 100%"]]
    )
    assert.strictEqual(plan.warnings.length, 1)
    assert.strictEqual(calls(DescribeSubscribersForNotificationCommand).length, 4) // 500s are retried 3 times
    await run((b) => b.apply(policy))
    assert.strictEqual(calls(CreateSubscriberCommand).length + calls(DeleteSubscriberCommand).length, 0)

    budgetsMock.on(DescribeBudgetCommand).rejects(awsError("AccessDeniedException", 403))
    const denied = await run((b) => b.plan(policy)).catch((e: Error & { _tag: string; code: string }) => e)
    assert.strictEqual((denied as { _tag: string })._tag, "BudgetsError")
    assert.include((denied as Error).message, "budgets:ViewBudget")
  })
})

describe("Cost Explorer requests at the SDK boundary", () => {
  beforeEach(() => ceMock.reset())

  it("the guide's two reports, exactly; pages followed with their token", async () => {
    ceMock
      .on(GetCostAndUsageCommand)
      .resolvesOnce({ ResultsByTime: [], NextPageToken: "t2" })
      .resolvesOnce({ ResultsByTime: [] })
      .resolves({ ResultsByTime: [] })
    const explorer = CostExplorer.make(
      new CostExplorerClient({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } }),
      "aws"
    )
    const now = new Date("2026-12-02T10:00:00Z")
    await Effect.runPromise(
      Effect.gen(function* () {
        const daily = yield* explorer.getCostAndUsage(yield* queryFor({ kind: "daily" }, now))
        assert.strictEqual(daily.requests, 2)
        yield* explorer.getCostAndUsage(yield* queryFor({ kind: "monthly" }, now))
      })
    )
    const inputs = ceMock.commandCalls(GetCostAndUsageCommand).map((c) => c.args[0].input)
    const daily: GetCostAndUsageCommandInput = {
      TimePeriod: { Start: "2026-11-25", End: "2026-12-02" },
      Granularity: "DAILY",
      Metrics: ["BlendedCost"],
      GroupBy: [{ Type: "DIMENSION", Key: "SERVICE" }]
    }
    assert.deepStrictEqual(inputs, [
      daily,
      { ...daily, NextPageToken: "t2" },
      {
        TimePeriod: { Start: "2026-11-01", End: "2026-12-01" },
        Granularity: "MONTHLY",
        Metrics: ["BlendedCost"],
        Filter: { Dimensions: { Key: "SERVICE", Values: [S3_SERVICE] } }
      }
    ])
  })

  it("a token that does not move stops with an error instead of looping", async () => {
    ceMock.on(GetCostAndUsageCommand).resolves({ ResultsByTime: [], NextPageToken: "same" })
    const explorer = CostExplorer.make(
      new CostExplorerClient({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } }),
      "aws"
    )
    const error = await Effect.runPromise(
      Effect.flip(
        Effect.flatMap(queryFor({ kind: "daily" }, new Date("2026-12-02")), (q) => explorer.getCostAndUsage(q))
      )
    )
    assert.strictEqual(error._tag === "CostExplorerError" && error.code, "PagingStuck")
    assert.strictEqual(ceMock.commandCalls(GetCostAndUsageCommand).length, 2)
  })
})
