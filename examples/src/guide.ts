/**
 * The operations guide's snippets, on the Promise APIs: plain TypeScript, no Effect. Each function
 * is one snippet of the guide, written the way a service team would write it.
 */
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
