// The guide's CDN and backup snippets on the Promise APIs: cache headers, an invalidation in local
// mode (no distribution), and a snapshot + verify between two folders.
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { createBackupService, LocationInvalid } from "@localex/backup/promise"
import { CdnConfigError, createCdnService } from "@localex/cdn/promise"
import { createStorageService } from "@localex/storage-core/promise"
import { describe, expect, it } from "vitest"
import { backUp, cacheHeaders, invalidatePhotos } from "../src/guide.js"

const folder = () => fs.mkdtemp(path.join(os.tmpdir(), "localex-examples-"))

describe("the guide's CDN snippets", () => {
  it("getCacheHeaders is synchronous and gives the photo a Cache-Control within the bounds", () => {
    const headers = cacheHeaders()
    expect(headers).not.toBeInstanceOf(Promise)
    // A photo key outside the variant layout may change: the mutable rule's five minutes.
    expect(headers).toEqual({ "Cache-Control": "public, max-age=300" })
    // The bounds are applied: a minimum above the rule's TTL wins.
    const cdnService = createCdnService()
    const bounded = cdnService.getCacheHeaders("items/photo.jpg", {
      minTTL: 600,
      maxTTL: 31536000,
      defaultTTL: 2592000
    })
    expect(bounded).toEqual({ "Cache-Control": "public, max-age=600" })
    void cdnService.close()
  })

  it("invalidateCache in local mode plans the paths and sends nothing", async () => {
    const report = await invalidatePhotos()
    expect(report.mode).toBe("local")
    expect(report.invalidations).toEqual([])
    expect(report.plan.paths).toEqual(["/items/123/photo.jpg", "/profiles/456/photo.jpg"])
    expect(report.note).toMatch(/nothing to invalidate/)
  })

  it("bad settings throw the package's CdnConfigError when the service is created", () => {
    expect(() => createCdnService({ ttls: { minTTL: 10, defaultTTL: 5, maxTTL: 1 } })).toThrow(CdnConfigError)
  })

  it("an aborted signal rejects before anything runs", async () => {
    await using cdnService = createCdnService()
    const failure = await cdnService
      .invalidateCache(["items/1/photo.jpg"], { signal: AbortSignal.abort(new Error("cancelled")) })
      .catch((e: unknown) => e)
    expect((failure as Error).message).toBe("cancelled")
  })
})

describe("the guide's backup snippet", () => {
  it("snapshots one folder into another and verifies the copy", async () => {
    const source = await folder()
    const destination = path.join(await folder(), "backup")
    {
      await using storageService = createStorageService({ driver: "fs", root: source })
      await storageService.uploadFile("items/1/photo.jpg", new Uint8Array(3000).fill(1))
      await storageService.uploadFile("profiles/2/photo.jpg", new Uint8Array(500).fill(2))
    }
    const { snapshot, verify } = await backUp(source, destination)
    expect(snapshot.copied).toMatchObject({ objects: 2, bytes: 3500 })
    expect(snapshot.failed).toEqual([])
    expect(verify.ok).toBe(true)
    expect(verify.differences).toEqual([])

    await using copy = createStorageService({ driver: "fs", root: destination })
    expect(await copy.readFile("items/1/photo.jpg")).toEqual(new Uint8Array(3000).fill(1))

    // A change in the source shows in verify until the next snapshot.
    {
      await using storageService = createStorageService({ driver: "fs", root: source })
      await storageService.uploadFile("items/3/new.jpg", new Uint8Array(10))
    }
    await using backupService = createBackupService({ source, destination })
    const stale = await backupService.verify()
    expect(stale.ok).toBe(false)
    expect(stale.differences.map((d) => d.key)).toEqual(["items/3/new.jpg"])
  })

  it("a missing source folder is refused with LocationInvalid and nothing is created", async () => {
    const destination = path.join(await folder(), "backup")
    await using backupService = createBackupService({ source: path.join(os.tmpdir(), "no-such-folder-x"), destination })
    const failure = await backupService.snapshot().catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(LocationInvalid)
    await expect(fs.stat(destination)).rejects.toThrow()
  })
})
