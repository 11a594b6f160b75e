// `localex-storage audit …` spawned as a user runs it, against bucket configurations and IAM on the
// local moto server (and, for what it cannot answer, the local Ceph RGW).
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from "@aws-sdk/client-iam"
import {
  CreateBucketCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client
} from "@aws-sdk/client-s3"
import { assert } from "@effect/vitest"
import {
  awsClientConfig,
  createTestAccount,
  s3ClientConfig,
  splitEnv,
  type TestAccount,
  testAws,
  uniqueName
} from "@localex/local-aws"
import { testS3 } from "@localex/local-s3"
import { beforeAll, describe, it } from "vitest"
import { assertOneLineError, run, tempDir } from "./helpers.js"

const aws = testAws()
const engine = testS3()
// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON documents, checked field by field below
type Doc = Record<string, any>
const json = (text: string) => JSON.parse(text) as Doc

// Each test spawns the CLI a few times; on a loaded machine one start takes seconds.
const SPAWNS = { timeout: 240_000 }

describe.skipIf(!aws)("audit (moto)", SPAWNS, () => {
  let account: TestAccount
  let s3: S3Client
  let env: Record<string, string>
  const bucket = uniqueName("audit")

  const policy = (statements: ReadonlyArray<Record<string, unknown>>) =>
    s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({ Version: "2012-10-17", Statement: statements })
      })
    )
  const publicRead = {
    Sid: "Public",
    Effect: "Allow",
    Principal: "*",
    Action: "s3:GetObject",
    Resource: `arn:aws:s3:::${bucket}/*`
  }
  const tlsDeny = {
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } }
  }

  beforeAll(async () => {
    account = await createTestAccount(aws!)
    s3 = new S3Client(s3ClientConfig(aws!, account))
    env = {
      AWS_ENDPOINT_URL: aws!.endpoint,
      AWS_ENDPOINT_URL_S3: aws!.endpoint,
      AWS_REGION: aws!.region,
      AWS_ACCESS_KEY_ID: account.accessKeyId,
      AWS_SECRET_ACCESS_KEY: account.secretAccessKey,
      LOCALEX_STORAGE_BUCKET: bucket
    }
    await s3.send(new CreateBucketCommand({ Bucket: bucket }))
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }))
    await policy([publicRead, tlsDeny])
  })

  it("audit bucket: a table of findings, exit 14 for a public policy; JSON and SARIF say the same", async () => {
    await using dir = await tempDir()
    const table = await run(["audit", "bucket"], { env, cwd: dir.path })
    assert.strictEqual(table.code, 14, table.stderr)
    assert.match(table.text, /FAIL\s+critical\s+S3\.BucketPolicy\.PublicPrincipal\s+1 statement\(s\) allow everyone/)
    assert.match(table.text, /ok\s+S3\.BucketPolicy\.TlsOnly/)
    assert.match(table.text, /ok\s+S3\.Versioning /)
    assert.match(table.text, /to do\n/)
    assert.match(table.stderr, /the worst finding is critical/)

    const report = await run(["audit", "bucket", "--format", "json"], { env, cwd: dir.path })
    assert.strictEqual(report.code, 14)
    const doc = json(report.text)
    assert.strictEqual(doc.bucket, bucket)
    assert.strictEqual(doc.account, account.accountId)
    assert.strictEqual(doc.findings.length, 12)
    assert.strictEqual(doc.summary.worst, "critical")

    const sarif = await run(["audit", "bucket", "--format", "sarif"], { env, cwd: dir.path })
    assert.strictEqual(sarif.code, 14)
    const log = json(sarif.text)
    assert.strictEqual(log.version, "2.1.0")
    const driver = log.runs[0].tool.driver
    assert.strictEqual(driver.name, "localex-security")
    const results = log.runs[0].results as Array<Doc>
    assert.strictEqual(results.length, 12)
    for (const r of results) {
      assert.strictEqual(driver.rules[r.ruleIndex].id, r.ruleId)
      assert.ok(typeof r.message.text === "string" && r.message.text !== "")
      assert.strictEqual(r.locations[0].physicalLocation.artifactLocation.uri.length > 0, true)
    }
    assert.strictEqual(results.find((r) => r.ruleId === "S3.BucketPolicy.PublicPrincipal")?.level, "error")
  })

  it("audit drift: saves a baseline, no drift for a re-ordered equal policy, exit 5 and the lines for a change", async () => {
    await using dir = await tempDir()
    const baseline = join(dir.path, "baseline.json")
    const saved = await run(["audit", "drift", "--baseline", baseline, "--save-baseline"], { env, cwd: dir.path })
    assert.strictEqual(saved.code, 0, saved.stderr)
    assert.strictEqual(json(readFileSync(baseline, "utf8")).bucket, bucket)

    await policy([
      { ...tlsDeny, Resource: [...tlsDeny.Resource].reverse(), Sid: "Tls" },
      { ...publicRead, Action: ["s3:GetObject"] }
    ])
    const same = await run(["--json", "audit", "drift", "--baseline", baseline], { env, cwd: dir.path })
    assert.strictEqual(same.code, 0, same.stderr)
    assert.strictEqual(json(same.text).drifted, false)

    await policy([tlsDeny])
    const changed = await run(["audit", "drift", "--baseline", baseline], { env, cwd: dir.path })
    assert.strictEqual(changed.code, 5, changed.stderr)
    assert.match(changed.text, /verdict\s+DRIFTED/)
    assert.match(changed.text, /policy:\n {2}- Statement: \{.*"s3:getobject"/)
    assert.match(changed.stderr, /drifted from the baseline: policy changed/)

    const missing = await run(["audit", "drift", "--baseline", join(dir.path, "none.json")], { env, cwd: dir.path })
    assertOneLineError(missing, 1, "cannot be read")
    assert.strictEqual(existsSync(join(dir.path, "none.json")), false)
    await policy([publicRead, tlsDeny])
  })

  it("audit iam: the users with S3 access and old keys; a negative age is a usage error", async () => {
    await using dir = await tempDir()
    const iam = new IAMClient(awsClientConfig(aws!, account))
    const user = uniqueName("ops")
    await iam.send(new CreateUserCommand({ UserName: user }))
    await iam.send(
      new PutUserPolicyCommand({
        UserName: user,
        PolicyName: "all-s3",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }]
        })
      })
    )
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: user }))
    const review = await run(["audit", "iam"], { env, cwd: dir.path })
    assert.strictEqual(review.code, 13, review.stderr)
    assert.match(review.text, new RegExp(`user\\s+${user}\\s+full\\s+inline:all-s3`))
    assert.notMatch(review.text, /IAM\.AccessKey\.Age/)

    const strict = await run(["--json", "audit", "iam", "--max-key-age", "0"], { env, cwd: dir.path })
    assert.strictEqual(strict.code, 13)
    const old = json(strict.text).findings.filter((f: Doc) => f.id === "IAM.AccessKey.Age" && f.status === "fail")
    assert.ok(old.some((f: Doc) => f.resource === `${user}/${key.AccessKey!.AccessKeyId}`))

    assertOneLineError(await run(["audit", "iam", "--max-key-age", "-1"], { env, cwd: dir.path }), 2, "max-key-age")
  })

  it("exit 12 when the worst left is medium, 2 when no bucket is named", async () => {
    await using dir = await tempDir()
    const other = uniqueName("audit-none")
    await s3.send(new CreateBucketCommand({ Bucket: other }))
    const none = await run(["audit", "bucket"], { env: { ...env, LOCALEX_STORAGE_BUCKET: "" }, cwd: dir.path })
    assertOneLineError(none, 2, "Nothing to audit")
    // With public access blocked, the worst left on a bare bucket is medium (no encryption, logging, …).
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: other,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true
        }
      })
    )
    const medium = await run(["--bucket", other, "audit", "bucket"], { env, cwd: dir.path })
    assert.strictEqual(medium.code, 12, medium.stderr)
  })
})

describe.skipIf(!aws || !engine?.dataDir)("audit (the Ceph RGW for S3, moto for the rest)", SPAWNS, () => {
  it("reports what the RGW cannot answer as could-not-check, never as ok", async () => {
    await using dir = await tempDir()
    const account = await createTestAccount(aws!)
    const env = { ...(await splitEnv(aws!, account, engine)) } as Record<string, string>
    const bucket = uniqueName("audit-rgw")
    const rgw = new S3Client({
      endpoint: engine!.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey }
    })
    await rgw.send(new CreateBucketCommand({ Bucket: bucket }))
    // S3 Control aimed at the RGW, as on a deployment without AWS: it has no such API.
    const result = await run(["--json", "--bucket", bucket, "audit", "bucket"], {
      env: { ...env, AWS_ENDPOINT_URL_S3_CONTROL: engine!.endpoint },
      cwd: dir.path
    })
    const report = json(result.text)
    const account_ = report.findings.find((f: Doc) => f.id === "S3.PublicAccessBlock.Account")
    assert.strictEqual(account_.status, "unchecked")
    assert.match(account_.message, /no S3 Control/)
    assert.strictEqual(report.summary.unchecked, 1)
    assert.strictEqual(result.code, 13) // the bucket's own block is off: high
  })
})
