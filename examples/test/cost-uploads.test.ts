// The guide's "incomplete multipart uploads" on the Promise API, against the local Ceph RGW: an
// upload left open by a plain SDK client is found, a younger one is kept by the age filter, the
// clean-up aborts the old one and a second look finds nothing. On fs: none, and the plan says why.
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client
} from "@aws-sdk/client-s3"
import { createCostService } from "@localex/cost/promise"
import { testS3 } from "@localex/local-s3"
import { afterAll, describe, expect, it } from "vitest"

const s3 = testS3()
if (s3) {
  // The Promise API reads credentials like the AWS SDK: from the environment.
  process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId
  process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey
  process.env.LOCALEX_STORAGE_S3_CHECKSUMS = "when_required"
}

describe("incomplete uploads on fs", () => {
  it("there are none: an empty plan that says why", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "localex-examples-"))
    await using cost = createCostService({ driver: "fs", root })
    const plan = await cost.planUploadCleanup({ olderThan: 0 })
    expect(plan.totals.uploads).toBe(0)
    expect(plan.warnings.join("\n")).toContain("no multipart uploads")
  })
})

describe.skipIf(!s3)("incomplete uploads on the local Ceph RGW", () => {
  const raw = new S3Client({
    endpoint: s3?.endpoint ?? "http://127.0.0.1:9",
    region: s3?.region ?? "us-east-1",
    credentials: { accessKeyId: s3?.accessKeyId ?? "-", secretAccessKey: s3?.secretAccessKey ?? "-" },
    forcePathStyle: true
  })
  const bucket = `examples-uploads-${Date.now().toString(36)}`
  afterAll(async () => {
    const open = await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket })).catch(() => undefined)
    for (const u of open?.Uploads ?? [])
      await raw.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }))
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined)
    const keys = (listed?.Contents ?? []).map((o) => ({ Key: o.Key! }))
    if (keys.length > 0) await raw.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }))
    await raw.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined)
    raw.destroy()
  })

  it("finds the open upload, keeps a younger one by age, aborts it; a second look finds nothing", async () => {
    await raw.send(new CreateBucketCommand({ Bucket: bucket }))
    await raw.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "items/1/photo.jpg" }))
    await using cost = createCostService({ driver: "s3", bucket, endpoint: s3!.endpoint, region: s3!.region })

    // The default age (24 hours) keeps an upload that may still be running.
    expect(await cost.findIncompleteUploads()).toEqual([])
    const found = await cost.findIncompleteUploads({ olderThan: 0 })
    expect(found.map((u) => u.key)).toEqual(["items/1/photo.jpg"])

    const dryRun = await cost.cleanupIncompleteUploads({ olderThan: "0 millis", dryRun: true })
    expect([dryRun.plan.totals.uploads, dryRun.report]).toEqual([1, null])
    const outcome = await cost.cleanupIncompleteUploads({ olderThan: 0 })
    expect(outcome.report?.aborted.uploads).toBe(1)
    expect(outcome.report?.failed).toEqual([])
    const left = await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
    expect(left.Uploads ?? []).toEqual([])
    expect((await cost.planUploadCleanup({ olderThan: 0 })).totals.uploads).toBe(0)
  })
})
