/**
 * HTTP request headers of downloads: Range (RFC 9110 §14.2) and If-None-Match.
 * Only single ranges are served; a multi-range or malformed Range is ignored (the whole
 * object is sent with 200), as the RFC allows.
 */

export type RangeSpec =
  | { readonly _tag: "From"; readonly start: number; readonly end: number | undefined }
  | { readonly _tag: "Suffix"; readonly length: number }

const RANGE = /^bytes=(\d*)-(\d*)$/

/** The one byte range asked for, or undefined to serve the whole object. */
export const parseRange = (header: string | undefined): RangeSpec | undefined => {
  if (header === undefined) return undefined
  const match = RANGE.exec(header.trim())
  if (match === null) return undefined
  const [, first = "", last = ""] = match
  if (first === "" && last === "") return undefined
  if (first === "") return { _tag: "Suffix", length: Number(last) }
  const start = Number(first)
  const end = last === "" ? undefined : Number(last)
  if (!Number.isSafeInteger(start) || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    return undefined
  }
  return { _tag: "From", start, end }
}

/** The entity tags of an If-None-Match header (`*`, or quoted tags, weak or not), without quotes. */
export const parseEtags = (header: string | undefined): ReadonlyArray<string> | undefined => {
  if (header === undefined || header.trim() === "") return undefined
  return header
    .split(",")
    .map((tag) =>
      tag
        .trim()
        .replace(/^W\//, "")
        .replace(/^"(.*)"$/, "$1")
    )
    .filter((tag) => tag !== "")
}

/** A quoted strong ETag header value. */
export const etagHeader = (etag: string): string => `"${etag}"`
