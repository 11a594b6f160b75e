// Test files share one moto server; each works in an account of its own.
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { CreateUserCommand, IAMClient, ListUsersCommand } from "@aws-sdk/client-iam"
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3"
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts"
import {
  awsClientConfig,
  createTestAccount,
  DEFAULT_ACCOUNT_ID,
  s3ClientConfig,
  splitEnv,
  testAws,
  uniqueName
} from "@localex/local-aws"
import { testS3 } from "@localex/local-s3"
import { describe, expect, it } from "vitest"

const aws = testAws()
const s3 = testS3()
const run = promisify(execFile)

describe.skipIf(!aws)("per-file accounts", () => {
  it("two accounts do not see each other's buckets or users", async () => {
    const [a, b] = await Promise.all([createTestAccount(aws!), createTestAccount(aws!)])
    expect(a.accountId).not.toBe(b.accountId)
    const bucket = uniqueName("only-in-a")
    const user = uniqueName("only-in-a")
    await new S3Client(s3ClientConfig(aws!, a)).send(new CreateBucketCommand({ Bucket: bucket }))
    await new IAMClient(awsClientConfig(aws!, a)).send(new CreateUserCommand({ UserName: user }))

    const bucketsOf = async (account: typeof a) =>
      ((await new S3Client(s3ClientConfig(aws!, account)).send(new ListBucketsCommand({}))).Buckets ?? []).map(
        (entry) => entry.Name
      )
    const usersOf = async (account: typeof a) =>
      ((await new IAMClient(awsClientConfig(aws!, account)).send(new ListUsersCommand({}))).Users ?? []).map(
        (entry) => entry.UserName
      )
    expect(await bucketsOf(a)).toEqual([bucket])
    expect(await bucketsOf(b)).toEqual([])
    expect(await usersOf(a)).toContain(user)
    expect(await usersOf(b)).not.toContain(user)
  })

  it("without an account, requests land in moto's default account", async () => {
    const identity = await new STSClient(awsClientConfig(aws!)).send(new GetCallerIdentityCommand({}))
    expect(identity.Account).toBe(DEFAULT_ACCOUNT_ID)
  })

  // A spawned process (the CLI, an app) whose clients read their settings from the environment.
  it.skipIf(!s3?.dataDir)("splitEnv: control planes go to moto, S3 to the local RGW, with one key", async () => {
    const account = await createTestAccount(aws!)
    const env = await splitEnv(aws!, account, s3)
    expect(env.AWS_ENDPOINT_URL).toBe(aws!.endpoint)
    expect(env.AWS_ENDPOINT_URL_S3).toBe(s3!.endpoint)
    const bucket = uniqueName("split")
    const script = `
      import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts"
      import { S3Client, CreateBucketCommand, ListBucketsCommand } from "@aws-sdk/client-s3"
      const identity = await new STSClient({}).send(new GetCallerIdentityCommand({}))
      const s3 = new S3Client({ forcePathStyle: true })
      await s3.send(new CreateBucketCommand({ Bucket: ${JSON.stringify(bucket)} }))
      const listed = await s3.send(new ListBucketsCommand({}))
      console.log(JSON.stringify({ account: identity.Account, buckets: listed.Buckets.map((b) => b.Name) }))`
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      cwd: import.meta.dirname,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      timeout: 30_000
    })
    expect(JSON.parse(stdout)).toEqual({ account: account.accountId, buckets: [bucket] })
    // The bucket is on the RGW, not on moto.
    const onMoto = await new S3Client(s3ClientConfig(aws!, account)).send(new ListBucketsCommand({}))
    expect(onMoto.Buckets ?? []).toEqual([])
  })
})
