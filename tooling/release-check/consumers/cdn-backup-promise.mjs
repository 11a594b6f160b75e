// The Promise APIs of cdn and backup, as a team without Effect uses them: cache headers, a
// local-mode invalidation, a snapshot + verify between two folders.
import assert from "node:assert/strict"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createBackupService, LocationInvalid } from "@localex/backup/promise"
import { createCdnService } from "@localex/cdn/promise"
import { createStorageService } from "@localex/storage-core/promise"

delete process.env.LOCALEX_CDN_DISTRIBUTION_ID
const cdn = createCdnService()
assert.deepEqual(cdn.getCacheHeaders("items/photo.jpg", { minTTL: 0, maxTTL: 31536000, defaultTTL: 2592000 }), {
  "Cache-Control": "public, max-age=300"
})
const invalidation = await cdn.invalidateCache(["items/123/photo.jpg"])
assert.equal(invalidation.mode, "local")
assert.deepEqual(invalidation.invalidations, [])
await cdn.close()

const source = mkdtempSync(join(tmpdir(), "consumer-backup-src-"))
const destination = join(mkdtempSync(join(tmpdir(), "consumer-backup-dst-")), "copy")
const storage = createStorageService({ driver: "fs", root: source })
await storage.uploadFile("items/1/a.bin", new Uint8Array(1000))
await storage.close()
const backup = createBackupService({ source, destination })
assert.deepEqual((await backup.snapshot()).copied, { objects: 1, bytes: 1000 })
assert.equal((await backup.verify()).ok, true)
await backup.close()
const missing = createBackupService({ source: join(source, "none"), destination })
assert.ok((await missing.snapshot().catch((e) => e)) instanceof LocationInvalid)
await missing.close()
console.log("ok")
