/**
 * Translations between the ObjectStore's shapes and S3's: ObjectInfo from response headers,
 * user metadata (values a header cannot carry unchanged travel RFC 2047-encoded, as S3 itself
 * returns non-ASCII ones), tags, ETag quoting, Content-Range, and the UTF-8 byte order of listings.
 */
import type { HeadObjectCommandOutput } from "@aws-sdk/client-s3"
import { DEFAULT_CONTENT_TYPE, DEFAULT_STORAGE_CLASS, metadataName } from "../../internal/objectRules.js"
import * as Keys from "../../Keys.js"
import type { CommonPrefix, ListEntry, ObjectInfo, ObjectSummary, PutOptions } from "../../ObjectStore.js"
import type { ListPage } from "./listXml.js"

/** An ETag without its quotes (S3 sends `"…"`). */
export const unquote = (etag: string | undefined): string => (etag ?? "").replace(/^W\//, "").replace(/^"|"$/g, "")

/** The quoted form HTTP conditional headers compare (If-None-Match on GET). */
export const quote = (etag: string): string => (etag === "*" || etag.startsWith('"') ? etag : `"${etag}"`)

// Not printable ASCII; leading or trailing spaces (HTTP trims them); what would read as an encoded word.
const NEEDS_ENCODING = /[^\u0020-\u007e]|^ | $|^=\?/
const ENCODED_WORD = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/i

/**
 * A metadata value as an HTTP header carries it unchanged: plain printable ASCII as is, anything
 * else as an RFC 2047 word — also a value that merely looks like one, so that decoding only ever
 * undoes an encoding (this driver's, or S3's own for non-ASCII values).
 */
export const encodeMetadataValue = (value: string): string =>
  NEEDS_ENCODING.test(value) ? `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=` : value

export const decodeMetadataValue = (value: string): string => {
  const match = ENCODED_WORD.exec(value)
  return match === null ? value : Buffer.from(match[1] ?? "", "base64").toString("utf8")
}

/** Metadata to send: names as every driver stores them (lower-cased, "_" as "-"), values encoded when needed. */
export const encodeMetadata = (
  metadata: Readonly<Record<string, string>> | undefined
): Record<string, string> | undefined => {
  if (metadata === undefined) return undefined
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(metadata)) out[metadataName(name)] = encodeMetadataValue(value)
  return out
}

export const decodeMetadata = (metadata: Record<string, string> | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(metadata ?? {})) out[metadataName(name)] = decodeMetadataValue(value)
  return out
}

/** Tags as the `x-amz-tagging` header wants them: a URL query string. */
export const encodeTags = (tags: Readonly<Record<string, string>> | undefined): string | undefined => {
  if (tags === undefined) return undefined
  const pairs = Object.entries(tags).map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
  return pairs.length === 0 ? undefined : pairs.join("&")
}

/** The headers of a write (PutObject, CreateMultipartUpload) from PutOptions. */
export const writeHeaders = (
  options: Pick<PutOptions, "contentType" | "cacheControl" | "contentDisposition" | "metadata" | "tags">
) => {
  const metadata = encodeMetadata(options.metadata)
  const tagging = encodeTags(options.tags)
  return {
    ContentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
    ...(options.cacheControl === undefined ? {} : { CacheControl: options.cacheControl }),
    ...(options.contentDisposition === undefined ? {} : { ContentDisposition: options.contentDisposition }),
    ...(metadata === undefined ? {} : { Metadata: metadata }),
    ...(tagging === undefined ? {} : { Tagging: tagging })
  }
}

/** ObjectInfo from the headers of a HEAD or GET (for a GET of a range, pass the full size). */
export const objectInfo = (
  key: string,
  out: Pick<
    HeadObjectCommandOutput,
    | "ContentLength"
    | "ETag"
    | "LastModified"
    | "ContentType"
    | "CacheControl"
    | "ContentDisposition"
    | "Metadata"
    | "StorageClass"
    | "VersionId"
  >,
  size: number = out.ContentLength ?? 0
): ObjectInfo => ({
  key,
  size,
  etag: unquote(out.ETag),
  lastModified: out.LastModified ?? new Date(0),
  contentType: out.ContentType,
  cacheControl: out.CacheControl,
  contentDisposition: out.ContentDisposition,
  metadata: decodeMetadata(out.Metadata),
  // HEAD and GET omit the class of STANDARD objects; listings name it.
  storageClass: out.StorageClass ?? DEFAULT_STORAGE_CLASS,
  versionId: out.VersionId === "null" ? undefined : out.VersionId
})

/** `bytes 0-9/100` → { start: 0, end: 9, size: 100 }. */
export const parseContentRange = (
  header: string | undefined
): { readonly start: number; readonly end: number; readonly size: number } | undefined => {
  const match = header === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim())
  if (match === null) return undefined
  return { start: Number(match[1]), end: Number(match[2]), size: Number(match[3]) }
}

/** One ListObjectsV2 page as entries: objects and common prefixes merged in UTF-8 byte order. */
export const pageEntries = (page: ListPage): Array<ListEntry> => {
  const objects: Array<ObjectSummary> = page.objects.map((object) => ({
    _tag: "Object",
    key: object.key,
    size: object.size,
    etag: unquote(object.etag),
    // Whole seconds, as HEAD and GET give them (RGW lists milliseconds).
    lastModified: new Date(Math.floor(object.lastModified.getTime() / 1000) * 1000),
    storageClass: object.storageClass ?? DEFAULT_STORAGE_CLASS
  }))
  if (page.prefixes.length === 0) return objects
  const prefixes: Array<CommonPrefix> = page.prefixes.map((prefix) => ({ _tag: "Prefix", prefix }))
  if (objects.length === 0) return prefixes
  const name = (entry: ListEntry) => (entry._tag === "Object" ? entry.key : entry.prefix)
  return [...objects, ...prefixes].sort((a, b) => Keys.compare(name(a), name(b)))
}
