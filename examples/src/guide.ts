/**
 * The operations guide's snippets, on the Promise APIs: plain TypeScript, no Effect. Each function
 * is one snippet of the guide, written the way a service team would write it.
 */
import { createBackupService } from "@localex/backup/promise"
import { type CdnServiceSettings, createCdnService } from "@localex/cdn/promise"
import { createCostService } from "@localex/cost/promise"
import { createImageService, itemPhoto } from "@localex/image-processing/promise"
import { createMonitoringService } from "@localex/monitoring/promise"
import { createStorageService, type StorageOverrides } from "@localex/storage-core/promise"

/** One store, seen through each package's service object (each owns its runtime; close them all). */
export const services = (settings: StorageOverrides) => {
  const storageService = createStorageService(settings)
  const imageService = createImageService(settings)
  const monitoringService = createMonitoringService(settings)
  const costService = createCostService(settings)
  return {
    storageService,
    imageService,
    monitoringService,
    costService,
    close: () =>
      Promise.all([storageService.close(), imageService.close(), monitoringService.close(), costService.close()])
  }
}
type Services = ReturnType<typeof services>

/** "Upload a file": `await storageService.uploadFile(key, buffer)`. */
export const uploadFile = ({ storageService }: Services, key: string, buffer: Uint8Array) =>
  storageService.uploadFile(key, buffer)

/** "Storage statistics": `const stats = await storageService.getStorageStats(); stats.totalSize`. */
export const totalSize = async ({ monitoringService }: Services) => {
  const stats = await monitoringService.getStorageStats()
  return stats.totalSize
}

/** "Optimise images": `await imageService.optimizeImage(buffer)`. */
export const optimize = ({ imageService }: Services, buffer: Uint8Array) => imageService.optimizeImage(buffer)

/** "Process uploads in parallel": `await Promise.all(photos.map(p => imageService.processAndUpload(p.buffer, p.key)))`. */
export const processAll = ({ imageService }: Services, photos: ReadonlyArray<{ itemId: string; buffer: Uint8Array }>) =>
  Promise.all(photos.map((photo) => imageService.processAndUpload(photo.buffer, itemPhoto(photo.itemId))))

/**
 * "Clean up orphaned files": `const orphaned = await findOrphanedFiles()` then
 * `await storageService.deleteFiles(orphaned.map(f => f.key))`.
 */
export const deleteOrphans = async ({ costService, storageService }: Services, referenced: ReadonlyArray<string>) => {
  const orphaned = await costService.findOrphanedFiles(referenced, { gracePeriod: "0 seconds" })
  await storageService.deleteFiles(orphaned.map((file) => file.key))
  return orphaned.map((file) => file.key)
}

/** "Cache headers": `cdnService.getCacheHeaders('items/photo.jpg', { minTTL, maxTTL, defaultTTL })`: pure, synchronous. */
export const cacheHeaders = (settings: CdnServiceSettings = {}) => {
  const cdnService = createCdnService(settings)
  try {
    return cdnService.getCacheHeaders("items/photo.jpg", { minTTL: 0, maxTTL: 31536000, defaultTTL: 2592000 })
  } finally {
    void cdnService.close()
  }
}

/** "Invalidate the CDN cache": `await cdnService.invalidateCache(['items/123/photo.jpg', 'profiles/456/photo.jpg'])`. */
export const invalidatePhotos = async (settings: CdnServiceSettings = {}) => {
  await using cdnService = createCdnService(settings)
  return cdnService.invalidateCache(["items/123/photo.jpg", "profiles/456/photo.jpg"])
}

/** "Back up": a snapshot from the store to the backup location, then a verify of the copy. */
export const backUp = async (source: string, destination: string) => {
  await using backupService = createBackupService({ source, destination })
  const snapshot = await backupService.snapshot()
  const verify = await backupService.verify()
  return { snapshot, verify }
}
