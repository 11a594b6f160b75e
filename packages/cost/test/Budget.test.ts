/**
 * Budgets as code on the local moto engine: plan, apply, plan again (nothing to do), apply
 * again (nothing sent), removing notifications. moto cannot list subscribers
 * (DescribeSubscribersForNotification answers 500): the plan says so, and the subscriber paths
 * are covered at the SDK boundary (Budget.sdk.test.ts).
 */
import { BudgetsClient, DescribeBudgetCommand, DescribeNotificationsForBudgetCommand } from "@aws-sdk/client-budgets"
import { awsClientConfig, createTestAccount, type TestAccount, testAws, uniqueName } from "@localex/local-aws"
import { AwsRetryDelay } from "@localex/storage-core/aws"
import { Duration, Effect } from "effect"
import { assert, beforeAll, describe, it } from "vitest"
import { Budget, decodeBudgetPolicy, defaultBudgetPolicy, formatBudgetPlan, layerConfig } from "../src/Budget.js"
import { S3_SERVICE } from "../src/CostReports.js"

const aws = testAws()

describe("budget policies", () => {
  it("the guide's budget: S3's monthly cost, e-mails at 80 % actual and 100 % forecast", () => {
    const policy = defaultBudgetPolicy({ limitUsd: 120, emails: ["ops@localex.test"] })
    assert.deepStrictEqual(policy.services, [S3_SERVICE])
    assert.deepStrictEqual(
      policy.notifications.map((n) => [n.type, n.thresholdPercent, n.subscribers]),
      [
        ["ACTUAL", 80, ["ops@localex.test"]],
        ["FORECASTED", 100, ["ops@localex.test"]]
      ]
    )
    assert.deepStrictEqual(defaultBudgetPolicy({ limitUsd: 5 }).notifications, [])
  })

  it("bad policies are refused with the reason", async () => {
    const refuse = (input: unknown) => Effect.runPromise(Effect.flip(decodeBudgetPolicy(input)))
    const base = { name: "b", limitUsd: 10, services: [S3_SERVICE], notifications: [] }
    assert.include((await refuse({ ...base, limitUsd: 0 })).message, "limitUsd")
    assert.include((await refuse({ ...base, name: "a:b" })).message, "name")
    const email = { type: "ACTUAL", thresholdPercent: 80, subscribers: ["not-an-address"] }
    assert.include((await refuse({ ...base, notifications: [email] })).message, "subscribers")
    const twice = { type: "ACTUAL", thresholdPercent: 80, subscribers: ["a@b.co"] }
    assert.include((await refuse({ ...base, notifications: [twice, twice] })).message, "actual > 80% twice")
  })
})

describe.skipIf(!aws)("budgets on moto", () => {
  let account: TestAccount
  beforeAll(async () => {
    account = await createTestAccount(aws!)
    process.env.AWS_ENDPOINT_URL = aws!.endpoint
    process.env.AWS_ACCESS_KEY_ID = account.accessKeyId
    process.env.AWS_SECRET_ACCESS_KEY = account.secretAccessKey
    process.env.AWS_REGION = aws!.region
  })

  const withBudget = <A, E>(body: Effect.Effect<A, E, Budget>) =>
    Effect.runPromise(
      body.pipe(
        Effect.provide(layerConfig()),
        Effect.scoped,
        Effect.provideService(AwsRetryDelay, Duration.millis(1)) // moto's 500s are retried: quickly
      )
    )

  it("plan → apply → plan again is empty → apply again sends nothing; dropping the e-mails removes the notifications", async () => {
    const name = uniqueName("storage")
    const policy = defaultBudgetPolicy({ limitUsd: 120, emails: ["ops@localex.test"], name })

    const first = await withBudget(
      Effect.gen(function* () {
        return yield* (yield* Budget).plan(policy)
      })
    )
    assert.strictEqual(first.accountId, account.accountId) // asked of STS
    assert.deepStrictEqual(
      first.changes.map((c) => [c.action, c.id]),
      [
        ["add", "budget"],
        ["add", "actual > 80%"],
        ["add", "forecasted > 100%"]
      ]
    )
    assert.include(formatBudgetPlan(first).join("\n"), "limitUsd: (none) → 120")

    const applied = await withBudget(
      Effect.gen(function* () {
        return yield* (yield* Budget).apply(policy)
      })
    )
    assert.strictEqual(applied.applied, true)

    // What AWS (moto) now holds, read with a client of the test's own.
    const budgets = new BudgetsClient(awsClientConfig(aws!, account))
    const stored = await budgets.send(new DescribeBudgetCommand({ AccountId: account.accountId, BudgetName: name }))
    assert.strictEqual(Number(stored.Budget?.BudgetLimit?.Amount), 120)
    assert.strictEqual(stored.Budget?.TimeUnit, "MONTHLY")
    assert.deepStrictEqual(stored.Budget?.CostFilters, { Service: [S3_SERVICE] })
    const notifications = await budgets.send(
      new DescribeNotificationsForBudgetCommand({ AccountId: account.accountId, BudgetName: name })
    )
    assert.deepStrictEqual(
      notifications.Notifications?.map((n) => [n.NotificationType, n.ComparisonOperator, n.Threshold, n.ThresholdType]),
      [
        ["ACTUAL", "GREATER_THAN", 80, "PERCENTAGE"],
        ["FORECASTED", "GREATER_THAN", 100, "PERCENTAGE"]
      ]
    )

    const again = await withBudget(
      Effect.gen(function* () {
        return yield* (yield* Budget).plan(policy)
      })
    )
    assert.strictEqual(again.empty, true)
    assert.strictEqual(again.warnings.length, 2) // moto cannot list subscribers: said, not guessed
    assert.include(again.warnings[0]!, "could not be read")
    const second = await withBudget(
      Effect.gen(function* () {
        return yield* (yield* Budget).apply(policy)
      })
    )
    assert.strictEqual(second.applied, false)

    const quiet = defaultBudgetPolicy({ limitUsd: 120, name })
    const removed = await withBudget(
      Effect.gen(function* () {
        return yield* (yield* Budget).apply(quiet)
      })
    )
    assert.deepStrictEqual(
      removed.plan.changes.map((c) => [c.action, c.id]),
      [
        ["remove", "actual > 80%"],
        ["remove", "forecasted > 100%"]
      ]
    )
    const left = await budgets.send(
      new DescribeNotificationsForBudgetCommand({ AccountId: account.accountId, BudgetName: name })
    )
    assert.deepStrictEqual(left.Notifications ?? [], [])
    budgets.destroy()
  }, 60_000)
})
