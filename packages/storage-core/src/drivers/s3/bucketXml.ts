/**
 * Narrow, strict readers of the bucket answers `stats` needs besides the listing:
 * GetBucketVersioning's `VersioningConfiguration` and ListMultipartUploads'
 * `ListMultipartUploadsResult`. Same scanner and rules as listXml.ts (a malformed document, a
 * missing Key / UploadId / Initiated or an unknown versioning status throws `MalformedXml`), so
 * a fresh process that only lists and counts never loads the SDK's deserialisers.
 */
import type { VersioningStatus } from "../../BucketModel.js"
import { dateOf, MalformedXml, urlDecode, walk } from "./listXml.js"

export interface VersioningConfiguration {
  readonly status: VersioningStatus
  readonly mfaDelete: "Enabled" | "Disabled"
}

/**
 * S3 and RGW answer `<VersioningConfiguration>` and `<ListMultipartUploadsResult>`; moto (the
 * local AWS engine) wraps the same fields in `<{Operation}Response>`, which the SDK's reader
 * also took.
 */
const VERSIONING_ROOTS: ReadonlyArray<string> = ["VersioningConfiguration", "GetBucketVersioningResponse"]
const UPLOADS_ROOTS: ReadonlyArray<string> = ["ListMultipartUploadsResult", "ListMultipartUploadsResponse"]

/** A bucket never versioned answers an empty configuration: Disabled. */
export const parseVersioning = (xml: string): VersioningConfiguration => {
  let status: VersioningStatus = "Disabled"
  let mfaDelete: VersioningConfiguration["mfaDelete"] = "Disabled"
  walk(
    xml,
    VERSIONING_ROOTS,
    (parent, name, text) => {
      if (!VERSIONING_ROOTS.includes(parent)) return
      if (name === "Status") {
        if (text !== "Enabled" && text !== "Suspended") throw new MalformedXml(`bad Status ${JSON.stringify(text)}`)
        status = text
      } else if (name === "MfaDelete" || name === "MFADelete") {
        if (text !== "Enabled" && text !== "Disabled") throw new MalformedXml(`bad MfaDelete ${JSON.stringify(text)}`)
        mfaDelete = text
      }
    },
    () => {}
  )
  return { status, mfaDelete }
}

export interface ListedUpload {
  readonly key: string
  readonly uploadId: string
  readonly initiated: Date
}

export interface UploadsPage {
  readonly uploads: Array<ListedUpload>
  /** Where the next page starts; both set exactly when the page is truncated. */
  readonly next: { readonly keyMarker: string; readonly uploadIdMarker: string } | undefined
}

/** A `ListMultipartUploadsResult` document as a page; keys URL-decoded when it says `EncodingType: url`. */
export const parseUploadsPage = (xml: string): UploadsPage => {
  const uploads: Array<ListedUpload> = []
  let isTruncated = false
  let nextKeyMarker: string | undefined
  let nextUploadIdMarker: string | undefined
  let encoding: string | undefined
  let upload: { key?: string; uploadId?: string; initiated?: Date } = {}
  walk(
    xml,
    UPLOADS_ROOTS,
    (parent, name, text) => {
      if (parent === "Upload") {
        if (name === "Key") upload.key = text
        else if (name === "UploadId") upload.uploadId = text
        else if (name === "Initiated") upload.initiated = dateOf(text, "Initiated")
      } else if (UPLOADS_ROOTS.includes(parent)) {
        if (name === "IsTruncated") isTruncated = text === "true"
        else if (name === "NextKeyMarker") nextKeyMarker = text
        else if (name === "NextUploadIdMarker") nextUploadIdMarker = text
        else if (name === "EncodingType") encoding = text
      }
    },
    (name, depth) => {
      if (depth !== 1 || name !== "Upload") return
      const { key, uploadId, initiated } = upload
      if (key === undefined || uploadId === undefined || uploadId === "" || initiated === undefined)
        throw new MalformedXml("an <Upload> without Key, UploadId or Initiated")
      uploads.push({ key, uploadId, initiated })
      upload = {}
    }
  )
  const decode = encoding === "url" ? urlDecode : (text: string) => text
  if (isTruncated && (nextKeyMarker === undefined || nextKeyMarker === ""))
    throw new MalformedXml("a truncated page without NextKeyMarker")
  return {
    uploads: uploads.map((u) => ({ ...u, key: decode(u.key) })),
    next:
      isTruncated && nextKeyMarker !== undefined
        ? { keyMarker: decode(nextKeyMarker), uploadIdMarker: nextUploadIdMarker ?? "" }
        : undefined
  }
}
