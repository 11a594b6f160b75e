// The guide's "restore a deleted file" and "restore from backup" on the backup Promise API, on a
// versioned bucket of the local Ceph RGW: versioning on, list versions, restore a version,
// undelete, and a point-in-time restore (dry run first) — checked by the bytes read back.
import { CreateBucketCommand } from "@aws-sdk/client-s3"
import { createBackupService, NotDeleted, UnsupportedByDriver } from "@localex/backup/promise"
import { testS3 } from "@localex/local-s3"
import { createStorageService } from "@localex/storage-core/promise"
import * as Testing from "@localex/storage-core/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const s3 = testS3()
const raw = s3 ? Testing.rawClient(s3) : undefined
const bucket = Testing.bucketName("examples-versions")
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf(!s3)("the guide's version restores on the backup Promise API (local Ceph RGW)", () => {
  const location = `s3://${bucket}/items/`
  const settings = () => ({ driver: "s3" as const, bucket, endpoint: s3!.endpoint, region: s3!.region })

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = s3!.accessKeyId
    process.env.AWS_SECRET_ACCESS_KEY = s3!.secretAccessKey
    process.env.LOCALEX_STORAGE_S3_CHECKSUMS = "when_required"
    await raw!.send(new CreateBucketCommand({ Bucket: bucket }))
  })
  afterAll(() => Testing.dropBucket(raw!, bucket))

  it("turns versioning on, restores a version, undeletes, and restores the prefix as it was", async () => {
    const overrides = { endpoint: s3!.endpoint, region: s3!.region }
    await using backup = createBackupService({
      source: location,
      destination: `s3://${bucket}/restored/`,
      sourceOverrides: overrides,
      destinationOverrides: overrides
    })
    expect((await backup.versioning()).status).toBe("Disabled")
    expect((await backup.setVersioning("Enabled", { dryRun: true })).changed).toBe(true)
    expect((await backup.versioning()).status).toBe("Disabled")
    expect((await backup.setVersioning("Enabled")).after.status).toBe("Enabled")

    await using storage = createStorageService(settings())
    const first = await storage.uploadFile("items/1/photo.jpg", new TextEncoder().encode("first"))
    await storage.uploadFile("items/1/photo.jpg", new TextEncoder().encode("second"))

    const versions = []
    for await (const version of backup.listVersions("1/")) versions.push(version)
    expect(versions.map((v) => [v.key, v.isLatest])).toEqual([
      ["items/1/photo.jpg", true],
      ["items/1/photo.jpg", false]
    ])

    // Restore a version: the first bytes are current again, as a new version.
    const restored = await backup.restoreVersion("1/photo.jpg", first.versionId as string)
    expect(restored.newVersionId).not.toBeNull()
    expect(text(await storage.readFile("items/1/photo.jpg"))).toBe("first")

    // Undelete: a deleted photo comes back; a photo that is not deleted is refused with the package's error.
    await expect(backup.undelete("1/photo.jpg")).rejects.toBeInstanceOf(NotDeleted)
    await storage.deleteFile("items/1/photo.jpg")
    await expect(storage.getFileInfo("items/1/photo.jpg")).rejects.toThrow()
    expect((await backup.undelete("1/photo.jpg")).removedMarkers).toHaveLength(1)
    expect(text(await storage.readFile("items/1/photo.jpg"))).toBe("first")

    // Point in time: after T, one photo is overwritten and one added; restoring to T undoes both.
    await pause(1500)
    const at = new Date()
    await pause(1500)
    await storage.uploadFile("items/1/photo.jpg", new TextEncoder().encode("vandalised"))
    await storage.uploadFile("items/2/new.jpg", new TextEncoder().encode("added later"))
    const plan = await backup.restoreToPointInTime({ at, dryRun: true })
    expect([plan.toRestore, plan.extra, plan.restored, plan.deleted]).toEqual([1, 1, 0, 0])
    expect(text(await storage.readFile("items/1/photo.jpg"))).toBe("vandalised")
    const done = await backup.restoreToPointInTime({ at })
    expect([done.restored, done.deleted, done.failed.length]).toEqual([1, 1, 0])
    expect(text(await storage.readFile("items/1/photo.jpg"))).toBe("first")
    await expect(storage.getFileInfo("items/2/new.jpg")).rejects.toThrow()
  }, 120_000)

  it("on a folder, versions are refused with UnsupportedByDriver", async () => {
    await using backup = createBackupService({ source: Testing.tempDir("examples-versions"), destination: "/tmp/x" })
    await expect(backup.versioning()).rejects.toBeInstanceOf(UnsupportedByDriver)
  })
})
