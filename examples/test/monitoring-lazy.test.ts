// The monitoring service builds its CloudWatch client only when a CloudWatch method runs: with a
// CloudWatch setting that cannot work, statistics still work and only the CloudWatch call fails.
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { createMonitoringService, StorageConfigError } from "@localex/monitoring/promise"
import { createStorageService } from "@localex/storage-core/promise"
import { describe, expect, it } from "vitest"

// Read once per process, when a service first reads its settings: set before any test runs.
process.env.AWS_ENDPOINT_URL_CLOUDWATCH = "not a url"

const folder = () => fs.mkdtemp(path.join(os.tmpdir(), "localex-examples-"))

describe("CloudWatch is set up only when a CloudWatch method runs", () => {
  it("statistics work with a broken CloudWatch setting; a CloudWatch call rejects with StorageConfigError", async () => {
    const root = await folder()
    {
      await using storageService = createStorageService({ driver: "fs", root })
      await storageService.uploadFile("items/1/photo.jpg", new Uint8Array(1200))
    }
    await using monitoring = createMonitoringService({ driver: "fs", root })
    const stats = await monitoring.getStorageStats()
    expect([stats.totalSize, stats.objectCount]).toEqual([1200, 1])
    const refused = await monitoring.planAlarms({ bucket: "localex-storage" }).catch((e) => e)
    expect(refused).toBeInstanceOf(StorageConfigError)
    expect((refused as StorageConfigError).message).toContain("AWS_ENDPOINT_URL_CLOUDWATCH")
    // An fs store has no bucket: metrics need one named.
    const noBucket = await monitoring.getStorageMetrics().catch((e) => e)
    expect(noBucket).toBeInstanceOf(StorageConfigError)
  })
})
