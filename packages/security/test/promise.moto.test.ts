// `@localex/security/promise` on the local moto server: the four calls as a team without Effect
// makes them (clients from the environment, as in production), and typed rejections.
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3"
import { createTestAccount, s3ClientConfig, testAws, uniqueName } from "@localex/local-aws"
import { afterEach, assert, describe, it, vi } from "vitest"
import { AuditTargetMissing, BaselineError, createSecurityService } from "../src/promise/index.js"

const aws = testAws()

describe.skipIf(!aws)("createSecurityService on moto", () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it("audits, saves a baseline, finds no drift, reviews IAM; rejects with the package's errors", async () => {
    const account = await createTestAccount(aws!)
    // The SDK's credential chain and AWS_ENDPOINT_URL come from the environment, as in production.
    vi.stubEnv("AWS_ENDPOINT_URL", aws!.endpoint)
    vi.stubEnv("AWS_REGION", aws!.region)
    vi.stubEnv("AWS_ACCESS_KEY_ID", account.accessKeyId)
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", account.secretAccessKey)
    const bucket = uniqueName("promise")
    await new S3Client(s3ClientConfig(aws!, account)).send(new CreateBucketCommand({ Bucket: bucket }))
    await using security = createSecurityService({ bucket, endpoint: aws!.endpoint })
    const audit = await security.auditBucket()
    assert.strictEqual(audit.bucket, bucket)
    assert.strictEqual(audit.account, account.accountId)
    assert.strictEqual(audit.findings.find((f) => f.id === "S3.PublicAccessBlock.Bucket")?.status, "fail")
    const baseline = join(mkdtempSync(join(tmpdir(), "localex-promise-")), "baseline.json")
    const saved = await security.saveBaseline(baseline)
    assert.strictEqual(JSON.parse(readFileSync(baseline, "utf8")).savedAt, saved.savedAt)
    assert.strictEqual((await security.checkDrift(baseline)).drifted, false)
    const review = await security.reviewIam({ maxKeyAgeDays: 0 })
    assert.ok(review.keys.some((k) => k.accessKeyId === account.accessKeyId))
    assert.ok(
      review.findings.some(
        (f) => f.id === "IAM.AccessKey.Age" && f.status === "fail" && f.resource.endsWith(account.accessKeyId)
      )
    )
    assert.instanceOf(await security.checkDrift(join(baseline, "..", "none.json")).catch((e) => e), BaselineError)
    await using none = createSecurityService({})
    vi.stubEnv("LOCALEX_STORAGE_BUCKET", "")
    assert.instanceOf(await none.auditBucket().catch((e) => e), AuditTargetMissing)
  })
})
