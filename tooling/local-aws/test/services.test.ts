// One real call per service the coming packages use, through the AWS SDK v3 clients they will
// use, on the run's moto server — in an account of this file's own.
import { BudgetsClient, CreateBudgetCommand, DescribeBudgetCommand } from "@aws-sdk/client-budgets"
import { CloudFrontClient, CreateDistributionCommand, CreateInvalidationCommand } from "@aws-sdk/client-cloudfront"
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand
} from "@aws-sdk/client-cloudwatch"
import { CostExplorerClient, GetCostAndUsageCommand } from "@aws-sdk/client-cost-explorer"
import { CreateUserCommand, IAMClient, ListUsersCommand } from "@aws-sdk/client-iam"
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetPublicAccessBlockCommand,
  PutBucketEncryptionCommand,
  PutPublicAccessBlockCommand,
  S3Client
} from "@aws-sdk/client-s3"
import { CreateTopicCommand, ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns"
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts"
import {
  awsClientConfig,
  createTestAccount,
  queueCostAndUsageResults,
  s3ClientConfig,
  type TestAccount,
  testAws,
  uniqueName
} from "@localex/local-aws"
import { beforeAll, describe, expect, it } from "vitest"
import { distributionConfig } from "./support.js"

const aws = testAws()

describe.skipIf(!aws)("AWS control planes on moto", () => {
  let account: TestAccount
  const config = () => awsClientConfig(aws!, account)
  beforeAll(async () => {
    account = await createTestAccount(aws!)
  })

  it("STS: GetCallerIdentity names this file's account", async () => {
    const identity = await new STSClient(config()).send(new GetCallerIdentityCommand({}))
    expect(identity.Account).toBe(account.accountId)
    expect(identity.Arn).toBe(`arn:aws:iam::${account.accountId}:user/localex-test`)
  })

  it("S3: bucket encryption and public access block are stored and read back", async () => {
    const s3 = new S3Client(s3ClientConfig(aws!, account))
    const Bucket = uniqueName("photos")
    await s3.send(new CreateBucketCommand({ Bucket }))
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/photos" } }]
        }
      })
    )
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket }))
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: "aws:kms",
      KMSMasterKeyID: "alias/photos"
    })

    const block = {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: false
    }
    await s3.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: block }))
    const read = await s3.send(new GetPublicAccessBlockCommand({ Bucket }))
    expect(read.PublicAccessBlockConfiguration).toEqual(block)
  })

  it("CloudFront: creates a distribution and an invalidation of it", async () => {
    const cloudfront = new CloudFrontClient(config())
    const created = await cloudfront.send(
      new CreateDistributionCommand({ DistributionConfig: distributionConfig(uniqueName("photos")) })
    )
    const id = created.Distribution!.Id!
    expect(created.Distribution?.DomainName).toMatch(/\.cloudfront\.net$/)
    const invalidation = await cloudfront.send(
      new CreateInvalidationCommand({
        DistributionId: id,
        InvalidationBatch: {
          CallerReference: uniqueName("inv"),
          Paths: { Quantity: 2, Items: ["/items/*", "/profiles/7.jpg"] }
        }
      })
    )
    expect(invalidation.Invalidation?.InvalidationBatch?.Paths?.Items).toEqual(["/items/*", "/profiles/7.jpg"])
  })

  it("CloudWatch: metric data is listed and summed; an alarm is described", async () => {
    const cloudwatch = new CloudWatchClient(config())
    const Namespace = uniqueName("LocalEx/Storage")
    const Dimensions = [{ Name: "Bucket", Value: "photos" }]
    const Timestamp = new Date(Date.now() - 60_000)
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace,
        MetricData: [
          { MetricName: "BytesStored", Dimensions, Value: 1000, Unit: "Bytes", Timestamp },
          { MetricName: "BytesStored", Dimensions, Value: 234, Unit: "Bytes", Timestamp }
        ]
      })
    )
    const listed = await cloudwatch.send(new ListMetricsCommand({ Namespace }))
    expect(listed.Metrics?.map((metric) => metric.MetricName)).toEqual(["BytesStored"])

    const data = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(Date.now() - 600_000),
        EndTime: new Date(Date.now() + 60_000),
        MetricDataQueries: [
          {
            Id: "bytes",
            MetricStat: { Metric: { Namespace, MetricName: "BytesStored", Dimensions }, Period: 3600, Stat: "Sum" }
          }
        ]
      })
    )
    expect(data.MetricDataResults?.[0]?.Values).toEqual([1234])

    const AlarmName = uniqueName("storage-growth")
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName,
        Namespace,
        MetricName: "BytesStored",
        Dimensions,
        Statistic: "Sum",
        Period: 3600,
        EvaluationPeriods: 1,
        Threshold: 5_000,
        ComparisonOperator: "GreaterThanThreshold"
      })
    )
    const alarms = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [AlarmName] }))
    expect(alarms.MetricAlarms?.map((alarm) => [alarm.AlarmName, alarm.Threshold])).toEqual([[AlarmName, 5000]])
  })

  it("Budgets: a budget is created and described in the account", async () => {
    const budgets = new BudgetsClient(config())
    const BudgetName = uniqueName("storage")
    await budgets.send(
      new CreateBudgetCommand({
        AccountId: account.accountId,
        Budget: { BudgetName, BudgetType: "COST", TimeUnit: "MONTHLY", BudgetLimit: { Amount: "120", Unit: "USD" } }
      })
    )
    const { Budget } = await budgets.send(new DescribeBudgetCommand({ AccountId: account.accountId, BudgetName }))
    expect(Budget?.BudgetLimit).toEqual({ Amount: "120", Unit: "USD" })
  })

  it("Cost Explorer: GetCostAndUsage answers the results queued for this account", async () => {
    const result = {
      ResultsByTime: [
        {
          TimePeriod: { Start: "2026-11-01", End: "2026-12-01" },
          Total: { UnblendedCost: { Amount: "42.17", Unit: "USD" } },
          Groups: [],
          Estimated: false
        }
      ],
      GroupDefinitions: [],
      DimensionValueAttributes: []
    }
    await queueCostAndUsageResults(aws!, account.accountId, [result])
    const ce = new CostExplorerClient(config())
    const request = {
      TimePeriod: { Start: "2026-11-01", End: "2026-12-01" },
      Granularity: "MONTHLY" as const,
      Metrics: ["UnblendedCost"]
    }
    const answer = await ce.send(new GetCostAndUsageCommand(request))
    expect(answer.ResultsByTime?.[0]?.Total?.UnblendedCost).toEqual({ Amount: "42.17", Unit: "USD" })
    // The same request body gets the same result again (moto keys results by the body).
    const again = await ce.send(new GetCostAndUsageCommand(request))
    expect(again.ResultsByTime).toEqual(answer.ResultsByTime)
  })

  it("IAM: a created user is listed", async () => {
    const iam = new IAMClient(config())
    const UserName = uniqueName("uploader")
    await iam.send(new CreateUserCommand({ UserName }))
    const { Users } = await iam.send(new ListUsersCommand({}))
    expect(Users?.map((user) => user.UserName).sort()).toEqual(["localex-test", UserName].sort())
  })

  it("SNS: a topic is created in the account", async () => {
    const sns = new SNSClient(config())
    const Name = uniqueName("storage-alarms")
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name }))
    expect(TopicArn).toBe(`arn:aws:sns:us-east-1:${account.accountId}:${Name}`)
    const { Topics } = await sns.send(new ListTopicsCommand({}))
    expect(Topics?.map((topic) => topic.TopicArn)).toEqual([TopicArn])
  })
})
