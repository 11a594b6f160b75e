/** JSON views of storage-core values, as the API's schemas describe them. */

import type { PresignedUrl, ObjectInfo as StoreObjectInfo } from "@localex/storage-core"
import type { ObjectInfo, SignedUrl } from "./Api.js"

export const objectInfo = (info: StoreObjectInfo): typeof ObjectInfo.Type => ({
  key: info.key,
  size: info.size,
  etag: info.etag,
  lastModified: info.lastModified.toISOString(),
  contentType: info.contentType ?? null,
  cacheControl: info.cacheControl ?? null,
  contentDisposition: info.contentDisposition ?? null,
  metadata: info.metadata,
  storageClass: info.storageClass ?? null,
  versionId: info.versionId ?? null
})

export const signedUrl = (url: PresignedUrl): typeof SignedUrl.Type => ({
  url: url.url,
  method: url.method,
  expiresAt: url.expiresAt.toISOString(),
  headers: url.headers
})
