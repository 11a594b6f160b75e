/**
 * Object keys: one place that says what a valid key is and how LocalEx lays keys out.
 *
 * A valid key is 1–1,024 UTF-8 bytes, has no leading "/", no empty, "." or ".." segment
 * (a trailing "/" is allowed: S3 "folder" markers), no control characters, no U+FFFE/U+FFFF.
 * Every ObjectStore entry point validates, so a bad key fails before any I/O on every driver.
 */
import { type Brand, Effect, Result } from "effect"
import { InvalidKey } from "./Errors.js"

export type Key = string & Brand.Brand<"@localex/storage-core/Key">

export const MAX_KEY_BYTES = 1024

// C0 and C1 control characters and DEL.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
// With the u flag a surrogate pair is one code point, so this matches lone surrogates only.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u
// Not characters in XML 1.0: S3's XML APIs (DeleteObjects, listings) cannot carry them.
const NON_CHARACTER = /[\uFFFE\uFFFF]/

/** Why `key` is not valid, or undefined when it is. */
export const problem = (key: string): string | undefined => {
  if (key.length === 0) return "a key cannot be empty"
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short keys need no count.
  const bytes = key.length * 3 <= MAX_KEY_BYTES ? key.length : Buffer.byteLength(key, "utf8")
  if (bytes > MAX_KEY_BYTES) return `a key is at most ${MAX_KEY_BYTES} bytes (this one is ${bytes})`
  if (key.startsWith("/")) return 'a key cannot start with "/"'
  if (CONTROL.test(key)) return "a key cannot contain control characters"
  // They all encode to the same UTF-8 (U+FFFD), so distinct keys would name one object.
  if (LONE_SURROGATE.test(key)) return "a key must be valid Unicode (it has a lone surrogate)"
  if (NON_CHARACTER.test(key)) return "a key cannot contain U+FFFE or U+FFFF (S3's XML requests cannot carry them)"
  if (key.includes("\\")) return 'a key cannot contain "\\"'
  const segments = key.split("/")
  if (segments.at(-1) === "") segments.pop() // "a/b/" is a folder marker
  for (const segment of segments) {
    if (segment === "") return 'a key cannot contain an empty segment ("//")'
    if (segment === "." || segment === "..") return `a key cannot contain a "${segment}" segment`
  }
  return undefined
}

/** The key as a `Key`, or `InvalidKey` saying why not. */
export const validate = (key: string): Result.Result<Key, InvalidKey> => {
  const reason = problem(key)
  return reason === undefined ? Result.succeed(key as Key) : Result.fail(new InvalidKey({ key, reason }))
}

/** Validates inside an Effect (fails with `InvalidKey`). */
export const make = (key: string): Effect.Effect<Key, InvalidKey> => Effect.fromResult(validate(key))

/**
 * A key prefix: empty, or the start of some valid key. Its last segment may be partial, so
 * "photos/." (matching "photos/.hidden") is a valid prefix though "." is not a valid segment.
 */
export const validatePrefix = (prefix: string): Result.Result<string, InvalidKey> => {
  if (prefix === "" || problem(prefix) === undefined) return Result.succeed(prefix)
  const reason = problem(`${prefix}x`)
  return reason === undefined ? Result.succeed(prefix) : Result.fail(new InvalidKey({ key: prefix, reason }))
}

/** Is `key` a valid key? */
export const isKey = (key: string): key is Key => problem(key) === undefined

// --- Key order ------------------------------------------------------------------------
// S3 lists keys by their UTF-8 bytes, which is code point order. JavaScript compares UTF-16
// code units, which disagrees for characters above U+FFFF against U+E000–U+FFFF.

// Maps a UTF-16 code unit so that unit order equals code point order: surrogates (astral
// characters) move above U+E000–U+FFFF.
const orderUnit = (unit: number): number => (unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit)

/** Negative, zero or positive as `a` sorts before, equal to or after `b` in S3's key order (UTF-8 bytes). */
export const compare = (a: string, b: string): number => {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return orderUnit(x) - orderUnit(y)
  }
  return a.length - b.length
}

/**
 * The smallest string above every key under `prefix` (which ends in "/"): "items/ab/" → "items/ab0".
 * Every key that starts with the prefix sorts before it, and nothing between them starts with it.
 */
export const prefixEnd = (prefix: string): string => `${prefix.slice(0, -1)}0`

/** The folder of `key` `depth` levels below `scope` ("" when the key sits directly in `scope`). */
export const prefixAtDepth = (key: string, scope: string, depth: number): string => {
  let end = scope.length
  for (let level = 0; level < depth; level++) {
    const slash = key.indexOf("/", end)
    if (slash === -1) break
    end = slash + 1
  }
  return end === scope.length ? scope : key.slice(0, end)
}

// --- LocalEx's key layout -------------------------------------------------------------

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

const segment = (kind: string, value: string): Result.Result<string, InvalidKey> =>
  SEGMENT.test(value) && value !== "." && value !== ".."
    ? Result.succeed(value)
    : Result.fail(
        new InvalidKey({
          key: value,
          reason: `${kind} must be 1–128 of A–Z a–z 0–9 . _ - and start with a letter or digit`
        })
      )

const join = (...parts: ReadonlyArray<string>): Result.Result<Key, InvalidKey> => validate(parts.join("/"))

const under =
  (top: string, idKind: string) =>
  (id: string, ...rest: ReadonlyArray<string>): Result.Result<Key, InvalidKey> =>
    Result.flatMap(segment(idKind, id), (safe) => join(top, safe, ...rest))

/** `items/{itemId}/…` — an item's photos and their variants. */
export const item = under("items", "an item id")
/** `profiles/{userId}/…` — a user's profile photo and its variants. */
export const profile = under("profiles", "a user id")
/** `temp/…` — short-lived uploads; expired by the cleanup rules after 24 h by default. */
export const temp = (...rest: ReadonlyArray<string>): Result.Result<Key, InvalidKey> => join("temp", ...rest)
/**
 * The reserved prefix of the project's own objects: reports, clean-up manifests, backup
 * checkpoints, cron leases. Clean-up, statistics, backup and verify skip it unless asked.
 */
export const RESERVED_PREFIX = "_localex/"

/** Where clean-up manifests and reports were kept before `_localex/`; still recognised as the project's own. */
export const LEGACY_REPORTS_PREFIX = "reports/cleanup/"

/** Is `key` one of the project's own objects (under `_localex/`, or a clean-up report in its old place)? */
export const isReserved = (key: string): boolean =>
  key.startsWith(RESERVED_PREFIX) || key.startsWith(LEGACY_REPORTS_PREFIX)

/** `_localex/reports/…` — reports and manifests written by maintenance jobs. */
export const report = (...rest: ReadonlyArray<string>): Result.Result<Key, InvalidKey> =>
  join("_localex", "reports", ...rest)

/** The top-level prefixes of LocalEx's layout. */
export const prefixes = {
  items: "items/",
  profiles: "profiles/",
  temp: "temp/",
  reserved: RESERVED_PREFIX,
  reports: `${RESERVED_PREFIX}reports/`
} as const
