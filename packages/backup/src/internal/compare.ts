/**
 * Whether two copies of an object hold the same bytes, as cheaply as the evidence allows:
 *
 * 1. sizes differ → different;
 * 2. equal single-part ETags (an MD5 of the content on S3 and on the fs driver) → same, from the
 *    listing alone — a re-sync of an unchanged bucket reads no object;
 * 3. otherwise the `localex-sha256` both carry (HEAD of each side);
 * 4. without it on both sides: single-part ETags (MD5s) compared; with a multipart ETag (not a
 *    hash of the content) only size and time remain — the destination is not older than the
 *    source — and the report counts these weak comparisons.
 */
import { ContentChecksum, type ObjectInfo, type ObjectSummary } from "@localex/storage-core"

export type Method = "size" | "etag" | "sha256" | "size+mtime"

export interface Verdict {
  readonly same: boolean
  readonly method: Method
}

export const isMultipart = (etag: string) => /-\d+$/.test(etag)

/** A verdict from the two listings' entries, or undefined when the objects must be read (HEAD). */
export const fromListing = (source: ObjectSummary, destination: ObjectSummary): Verdict | undefined => {
  if (source.size !== destination.size) return { same: false, method: "size" }
  if (source.etag === destination.etag && !isMultipart(source.etag)) return { same: true, method: "etag" }
  return undefined
}

/** A verdict from both objects' HEADs. */
export const fromHeads = (source: ObjectInfo, destination: ObjectInfo): Verdict => {
  if (source.size !== destination.size) return { same: false, method: "size" }
  const a = ContentChecksum.of(source)
  const b = ContentChecksum.of(destination)
  if (a !== undefined && b !== undefined) return { same: a === b, method: "sha256" }
  if (!isMultipart(source.etag) && !isMultipart(destination.etag))
    return { same: source.etag === destination.etag, method: "etag" }
  return { same: destination.lastModified.getTime() >= source.lastModified.getTime(), method: "size+mtime" }
}

export type MethodCounts = Record<Method, number>

export const noMethods = (): MethodCounts => ({ size: 0, etag: 0, sha256: 0, "size+mtime": 0 })
