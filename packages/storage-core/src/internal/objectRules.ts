/**
 * What every driver accepts and reports besides keys (Keys.ts), so that a program that works on
 * one driver works on every S3 engine. Both drivers check a write with these rules before any I/O.
 *
 * - Metadata names: 1 or more HTTP token characters (ASCII letters, digits, ! # $ % & ' * + - . ^
 *   _ ` | ~), stored lower-cased with "_" as "-" (S3 engines rewrite "_" so; fs does the same).
 *   Two names that become one are refused.
 * - Metadata values: any string without lone surrogates (the s3 driver encodes what a header
 *   cannot carry, so values round-trip unchanged).
 * - Tags: S3's rules — at most 10; keys of 1–128 and values of 0–256 characters among letters,
 *   digits, spaces and `_ . : / = + - @`; no key starting with "aws:".
 *
 * And, for the stores that answer reads themselves (fs, memory), HTTP's rules for conditional and
 * ranged gets.
 */
import { Effect } from "effect"
import { InvalidCopy, InvalidMetadata, NotModified, RangeNotSatisfiable } from "../Errors.js"
import type { GetOptions, GetResult, ObjectInfo } from "../ObjectStore.js"

/** The content type of an object written without one (S3's default). */
export const DEFAULT_CONTENT_TYPE = "application/octet-stream"
/** The storage class of an object written without one: S3 omits it from HEAD and GET for this class. */
export const DEFAULT_STORAGE_CLASS = "STANDARD"

export const MAX_TAGS = 10
export const MAX_TAG_KEY_CHARS = 128
export const MAX_TAG_VALUE_CHARS = 256

// RFC 9110 `token`: the characters an HTTP header name may hold.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const LONE_SURROGATE = /[\uD800-\uDFFF]/u
// S3's documented pattern for tag keys and values.
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u

/** A metadata name as every driver stores and returns it: lower-cased, "_" as "-". */
export const metadataName = (name: string): string => name.toLowerCase().replaceAll("_", "-")

const characters = (text: string): number => [...text].length

/** Why metadata entry `name` is not storable, or undefined. */
const metadataProblem = (name: string, value: string): string | undefined => {
  if (name.length === 0) return "a metadata name cannot be empty"
  if (!TOKEN.test(name)) {
    return "a metadata name may only hold ASCII letters, digits and ! # $ % & ' * + - . ^ _ ` | ~ (no spaces, no ':', nothing non-ASCII): put such text in the value"
  }
  if (LONE_SURROGATE.test(value)) return "the value must be valid Unicode (it has a lone surrogate)"
  return undefined
}

/** The metadata as stored (names normalised), or `InvalidMetadata` saying what to change. */
export const checkMetadata = (
  key: string,
  metadata: Readonly<Record<string, string>> | undefined
): Effect.Effect<Record<string, string>, InvalidMetadata> => {
  const stored: Record<string, string> = {}
  const givenAs = new Map<string, string>()
  for (const [name, value] of Object.entries(metadata ?? {})) {
    const reason = metadataProblem(name, value)
    if (reason !== undefined) return Effect.fail(new InvalidMetadata({ key, field: "metadata", name, reason }))
    const normal = metadataName(name)
    const earlier = givenAs.get(normal)
    if (earlier !== undefined) {
      return Effect.fail(
        new InvalidMetadata({
          key,
          field: "metadata",
          name,
          reason: `it is stored as "${normal}", like ${JSON.stringify(earlier)} (names are lower-cased and "_" becomes "-"): keep one of them`
        })
      )
    }
    givenAs.set(normal, name)
    stored[normal] = value
  }
  return Effect.succeed(stored)
}

/** Why tag `name` = `value` breaks S3's rules, or undefined. */
const tagProblem = (name: string, value: string): string | undefined => {
  if (name.length === 0) return "a tag key cannot be empty"
  if (characters(name) > MAX_TAG_KEY_CHARS) return `a tag key is at most ${MAX_TAG_KEY_CHARS} characters`
  if (characters(value) > MAX_TAG_VALUE_CHARS) return `a tag value is at most ${MAX_TAG_VALUE_CHARS} characters`
  if (!TAG_TEXT.test(name) || !TAG_TEXT.test(value)) {
    return "tag keys and values may only hold letters, digits, spaces and _ . : / = + - @"
  }
  if (name.toLowerCase().startsWith("aws:")) return 'tag keys starting with "aws:" are reserved for AWS'
  return undefined
}

/** Fails with `InvalidMetadata` when `tags` break S3's tag rules. */
export const checkTags = (
  key: string,
  tags: Readonly<Record<string, string>> | undefined
): Effect.Effect<void, InvalidMetadata> => {
  const entries = Object.entries(tags ?? {})
  if (entries.length > MAX_TAGS) {
    return Effect.fail(
      new InvalidMetadata({
        key,
        field: "tag",
        name: entries
          .slice(MAX_TAGS)
          .map(([name]) => name)
          .join(", "),
        reason: `an object has at most ${MAX_TAGS} tags (${entries.length} given)`
      })
    )
  }
  for (const [name, value] of entries) {
    const reason = tagProblem(name, value)
    if (reason !== undefined) return Effect.fail(new InvalidMetadata({ key, field: "tag", name, reason }))
  }
  return Effect.void
}

/**
 * The checks of a write (put, or copy with `replace`): its metadata as stored, after the tags
 * pass S3's rules.
 */
export const checkWrite = (
  key: string,
  options: { readonly metadata?: Readonly<Record<string, string>>; readonly tags?: Readonly<Record<string, string>> }
): Effect.Effect<Record<string, string>, InvalidMetadata> =>
  Effect.flatMap(checkTags(key, options.tags), () => checkMetadata(key, options.metadata))

/** S3 refuses to copy an object onto itself without changing it; every driver does. */
export const checkCopy = (from: string, to: string, replace: unknown): Effect.Effect<void, InvalidCopy> =>
  from === to && replace === undefined
    ? Effect.fail(
        new InvalidCopy({
          from,
          to,
          reason:
            "copying an object onto itself changes nothing: pass `replace` with its new content headers and metadata"
        })
      )
    : Effect.void

// --- reads, for the stores that answer them themselves (fs, memory) ---------------------------

/** `"abc"`, `W/"abc"` and `abc` name the same ETag. */
export const bareEtag = (etag: string): string =>
  etag
    .trim()
    .replace(/^W\//, "")
    .replace(/^"(.*)"$/, "$1")

/** Which bytes a get serves, after its conditions (304 before 416, as HTTP orders them). */
export const servedBytes = (
  info: ObjectInfo,
  options: GetOptions
): Effect.Effect<
  { readonly start: number; readonly end: number; readonly range: GetResult["range"] },
  NotModified | RangeNotSatisfiable
> => {
  if (options.ifNoneMatch !== undefined) {
    // Weak comparison; "*" matches any object.
    const wanted = bareEtag(options.ifNoneMatch)
    if (wanted === "*" || wanted === info.etag) return Effect.fail(new NotModified({ key: info.key, etag: info.etag }))
  } else if (options.ifModifiedSince !== undefined) {
    // HTTP dates have whole seconds.
    const since = Math.floor(options.ifModifiedSince.getTime() / 1000) * 1000
    if (info.lastModified.getTime() <= since) return Effect.fail(new NotModified({ key: info.key, etag: info.etag }))
  }
  const range = options.range
  if (range === undefined) return Effect.succeed({ start: 0, end: info.size - 1, range: undefined })
  const last = Math.min(range.end ?? info.size - 1, info.size - 1)
  if (!Number.isSafeInteger(range.start) || range.start < 0 || range.start >= info.size || last < range.start) {
    return Effect.fail(new RangeNotSatisfiable({ key: info.key, size: info.size }))
  }
  return Effect.succeed({ start: range.start, end: last, range: { start: range.start, end: last, size: info.size } })
}
