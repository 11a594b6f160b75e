// moto's known gaps, pinned: if one of these starts failing, moto changed and the README's list
// (and the SDK-boundary tests the packages keep for these operations) should be revisited.
import {
  BudgetsClient,
  CreateBudgetCommand,
  DescribeSubscribersForNotificationCommand,
  UpdateBudgetCommand
} from "@aws-sdk/client-budgets"
import { CloudFrontClient, CreateDistributionCommand, CreateInvalidationCommand } from "@aws-sdk/client-cloudfront"
import {
  CreateBucketCommand,
  GetBucketIntelligentTieringConfigurationCommand,
  GetBucketMetricsConfigurationCommand,
  PutBucketIntelligentTieringConfigurationCommand,
  PutBucketMetricsConfigurationCommand,
  S3Client
} from "@aws-sdk/client-s3"
import {
  awsClientConfig,
  createTestAccount,
  s3ClientConfig,
  type TestAccount,
  testAws,
  uniqueName
} from "@localex/local-aws"
import { signV4 } from "@localex/local-s3"
import { beforeAll, describe, expect, it } from "vitest"
import { distributionConfig } from "./support.js"

const aws = testAws()
/** The pruned bundle lacks CloudWatch Logs; a pip-installed moto_server has it. */
const bundle = Boolean(process.env.LOCALEX_MOTO_HOME)

/** The HTTP status of a failed SDK call (these clients make one attempt: no retries on 500). */
const statusOf = (call: Promise<unknown>) =>
  call.then(
    () => 200,
    (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode
  )

describe.skipIf(!aws)("moto's known gaps", () => {
  let account: TestAccount
  beforeAll(async () => {
    account = await createTestAccount(aws!)
  })
  const s3 = () => new S3Client({ ...s3ClientConfig(aws!, account), maxAttempts: 1 })

  it("S3 intelligent-tiering configuration: accepted, not stored", async () => {
    const Bucket = uniqueName("tiering")
    await s3().send(new CreateBucketCommand({ Bucket }))
    await s3().send(
      new PutBucketIntelligentTieringConfigurationCommand({
        Bucket,
        Id: "archive",
        IntelligentTieringConfiguration: {
          Id: "archive",
          Status: "Enabled",
          Tierings: [{ AccessTier: "ARCHIVE_ACCESS", Days: 90 }]
        }
      })
    )
    const read = await s3().send(new GetBucketIntelligentTieringConfigurationCommand({ Bucket, Id: "archive" }))
    expect(read.IntelligentTieringConfiguration).toEqual({}) // no Id, no Status, no Tierings
  })

  it("S3 bucket metrics configuration: accepted, not stored", async () => {
    const Bucket = uniqueName("metrics")
    await s3().send(new CreateBucketCommand({ Bucket }))
    await s3().send(
      new PutBucketMetricsConfigurationCommand({
        Bucket,
        Id: "all",
        MetricsConfiguration: { Id: "all" }
      })
    )
    const read = await s3().send(new GetBucketMetricsConfigurationCommand({ Bucket, Id: "all" }))
    expect(read.MetricsConfiguration).toEqual({}) // not even the Id
  })

  it("Budgets: UpdateBudget and the subscriber APIs answer HTTP 500", async () => {
    const budgets = new BudgetsClient({ ...awsClientConfig(aws!, account), maxAttempts: 1 })
    const Budget = {
      BudgetName: uniqueName("storage"),
      BudgetType: "COST" as const,
      TimeUnit: "MONTHLY" as const,
      BudgetLimit: { Amount: "100", Unit: "USD" }
    }
    await budgets.send(new CreateBudgetCommand({ AccountId: account.accountId, Budget }))
    const update = budgets.send(
      new UpdateBudgetCommand({
        AccountId: account.accountId,
        NewBudget: { ...Budget, BudgetLimit: { Amount: "200", Unit: "USD" } }
      })
    )
    expect(await statusOf(update)).toBe(500)
    const subscribers = budgets.send(
      new DescribeSubscribersForNotificationCommand({
        AccountId: account.accountId,
        BudgetName: Budget.BudgetName,
        Notification: { NotificationType: "ACTUAL", ComparisonOperator: "GREATER_THAN", Threshold: 80 }
      })
    )
    expect(await statusOf(subscribers)).toBe(500)
  })

  it("CloudFront: invalidations complete at once (status COMPLETED, AWS says Completed) and are never too many", async () => {
    const cloudfront = new CloudFrontClient({ ...awsClientConfig(aws!, account), maxAttempts: 1 })
    const created = await cloudfront.send(
      new CreateDistributionCommand({ DistributionConfig: distributionConfig(uniqueName("cdn")) })
    )
    // AWS allows 15 wildcard invalidation paths in progress per distribution; moto takes any number.
    const statuses = []
    for (let index = 0; index < 16; index++) {
      const answer = await cloudfront.send(
        new CreateInvalidationCommand({
          DistributionId: created.Distribution!.Id!,
          InvalidationBatch: { CallerReference: `ref-${index}`, Paths: { Quantity: 1, Items: [`/items/${index}/*`] } }
        })
      )
      statuses.push(answer.Invalidation?.Status)
    }
    expect(statuses).toEqual(Array(16).fill("COMPLETED"))
  })

  it.runIf(bundle)("CloudWatch Logs is not in the bundle: its requests answer HTTP 500", async () => {
    const url = `${aws!.endpoint}/`
    const body = "{}"
    const headers = signV4({
      method: "POST",
      url,
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Logs_20140328.DescribeLogGroups" },
      body,
      accessKeyId: account.accessKeyId,
      secretAccessKey: account.secretAccessKey,
      service: "logs"
    })
    const response = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(10_000) })
    await response.arrayBuffer()
    expect(response.status).toBe(500)
  })
})
