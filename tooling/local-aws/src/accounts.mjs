// Per-test-file AWS accounts on one shared moto server, and the environment that sends the control
// planes to moto while S3 stays on the local Ceph RGW.
import { randomBytes, randomInt } from "node:crypto"
import { radosgwAdmin, signV4 } from "@localex/local-s3"

/** The IAM user that owns a test account's access key. */
export const TEST_USER = "localex-test"

/**
 * A fresh account on the engine: a random 12-digit id with an IAM user and an access key of its
 * own. moto maps every request signed with that key to the account (moto/core/responses.py,
 * get_current_account → iam get_account_id_from), in every service, so test files running in
 * parallel never see each other's resources and never need a global reset.
 * @param {{ endpoint: string, region?: string }} aws
 */
export async function createTestAccount(aws) {
  const accountId = String(randomInt(100_000_000_000, 1_000_000_000_000))
  // x-moto-account-id picks the account for these two bootstrap calls only.
  const iam = (params) => iamCall(aws, params, { "x-moto-account-id": accountId })
  await iam({ Action: "CreateUser", UserName: TEST_USER })
  const created = await iam({ Action: "CreateAccessKey", UserName: TEST_USER })
  const accessKeyId = xmlValue(created, "AccessKeyId")
  const secretAccessKey = xmlValue(created, "SecretAccessKey")
  return { accountId, accessKeyId, secretAccessKey }
}

/** One IAM Query-protocol call, signed with the dummy key (moto checks no signature). */
async function iamCall(aws, params, headers) {
  const body = new URLSearchParams({ ...params, Version: "2010-05-08" }).toString()
  const url = `${aws.endpoint.replace(/\/$/, "")}/`
  const contentType = { "content-type": "application/x-www-form-urlencoded; charset=utf-8", ...headers }
  const signed = signV4({
    method: "POST",
    url,
    headers: contentType,
    body,
    accessKeyId: "testing",
    secretAccessKey: "testing",
    region: "us-east-1",
    service: "iam"
  })
  const response = await fetch(url, { method: "POST", headers: signed, body, signal: AbortSignal.timeout(10_000) })
  const text = await response.text()
  if (response.status !== 200)
    throw new Error(`local-aws: IAM ${params.Action} answered HTTP ${response.status}: ${text.slice(0, 300)}`)
  return text
}

const xmlValue = (xml, tag) => {
  const value = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1]
  if (!value) throw new Error(`local-aws: no <${tag}> in moto's answer: ${xml.slice(0, 300)}`)
  return value
}

/**
 * Settings for an AWS SDK v3 client of any control plane (CloudWatch, CloudFront, IAM, …) on the
 * engine, as the account (or moto's default account when none is given).
 */
export function awsClientConfig(aws, account) {
  const credentials = account
    ? { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey }
    : { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey }
  return { endpoint: aws.endpoint, region: aws.region, credentials }
}

/** The same for an S3Client on moto (bucket configuration APIs RGW lacks): path-style addressing. */
export const s3ClientConfig = (aws, account) => ({ ...awsClientConfig(aws, account), forcePathStyle: true })

/**
 * Environment variables for a process (a spawned CLI, an app) whose AWS SDK clients take their
 * settings from the environment: AWS_ENDPOINT_URL sends every control plane to moto,
 * AWS_ENDPOINT_URL_S3 keeps S3 on the local Ceph RGW, and one key pair works on both — the
 * account's moto key is also registered as an RGW user (`localex-<accountId>`), since the SDK
 * cannot take per-service credentials from the environment. Without an S3 engine, S3 goes to moto.
 * @param {{ endpoint: string, region: string }} aws
 * @param {{ accountId: string, accessKeyId: string, secretAccessKey: string }} account
 * @param {{ endpoint: string, dataDir: string | undefined } | undefined} s3 testS3()
 */
export async function splitEnv(aws, account, s3) {
  const env = {
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_REGION: aws.region,
    AWS_ACCESS_KEY_ID: account.accessKeyId,
    AWS_SECRET_ACCESS_KEY: account.secretAccessKey
  }
  if (!s3) return env
  if (!s3.dataDir)
    throw new Error(
      "local-aws: splitEnv needs the RGW's data folder to add the account's key (a reused S3 engine has none)"
    )
  await radosgwAdmin(
    s3.dataDir,
    ...[
      "user",
      "create",
      "--uid",
      `localex-${account.accountId}`,
      "--display-name",
      `test account ${account.accountId}`
    ],
    ...["--access-key", account.accessKeyId, "--secret-key", account.secretAccessKey]
  )
  return { ...env, AWS_ENDPOINT_URL_S3: s3.endpoint }
}

/**
 * Queues Cost Explorer results for an account: each GetCostAndUsage request with a request body
 * moto has not seen takes the next queued result; the same body later gets the same result again;
 * with nothing queued the answer is `ResultsByTime: []`.
 * @param {{ endpoint: string }} aws
 * @param {string} accountId
 * @param {ReadonlyArray<object>} results GetCostAndUsage responses ({ ResultsByTime, GroupDefinitions, … })
 */
export async function queueCostAndUsageResults(aws, accountId, results) {
  const response = await fetch(`${aws.endpoint.replace(/\/$/, "")}/moto-api/static/ce/cost-and-usage-results`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ account_id: accountId, results }),
    signal: AbortSignal.timeout(10_000)
  })
  if (response.status !== 201)
    throw new Error(
      `local-aws: queueing Cost Explorer results answered HTTP ${response.status}: ${await response.text()}`
    )
}

/** A name no other test file uses: prefix + 8 random hex characters (valid for buckets, users, topics). */
export const uniqueName = (prefix) => `${prefix}-${randomBytes(4).toString("hex")}`
