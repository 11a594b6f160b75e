/**
 * How the fs driver maps object keys to paths under its root.
 *
 * A key's segments ("/"-separated) become nested directories and its last segment becomes a
 * file named `<segment>@`; the empty last segment of a folder marker ("a/b/") is the file `@`.
 * So `a` (file `a@`) and `a/b` (directory `a`, file `b@`) live side by side, as S3 allows.
 *
 * Each segment is escaped byte by byte: `a–z 0–9 . _ -` stay, every other byte becomes `%XX`
 * (uppercase hex), as does a leading ".". Names are then ASCII whose only uppercase letters are
 * escape digits, which keeps keys apart on case-insensitive or normalising filesystems
 * (macOS). A name never starts with "." (so `<root>/.localex` cannot collide with a key) and
 * never contains "@" or "~" (so the object suffix and hashed names are unambiguous). A segment whose escaped form is longer
 * than 200 bytes (filenames stop at 255) is stored under `~<sha256 of the segment>`; its real
 * name is read from the object's metadata when listing.
 */
import { createHash } from "node:crypto"
import * as path from "node:path"

export const OBJECT_SUFFIX = "@"
export const HASHED_PREFIX = "~"
const MAX_NAME = 200

const isPlain = (byte: number, index: number): boolean =>
  (byte >= 0x61 && byte <= 0x7a) || // a–z
  (byte >= 0x30 && byte <= 0x39) || // 0–9
  byte === 0x5f || // _
  byte === 0x2d || // -
  (byte === 0x2e && index > 0) // . (not leading)

const hex = (byte: number): string => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`

/** The on-disk name of one key segment (without the object suffix). */
export const encodeSegment = (segment: string): string => {
  const bytes = Buffer.from(segment, "utf8")
  let name = ""
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!
    name += isPlain(byte, i) ? String.fromCharCode(byte) : hex(byte)
  }
  return name.length <= MAX_NAME ? name : HASHED_PREFIX + createHash("sha256").update(bytes).digest("hex")
}

/**
 * The segment bytes of an on-disk name made by `encodeSegment`; undefined for hashed names
 * (look inside) and for names this driver did not write (they are not objects).
 */
export const decodeName = (name: string): Buffer | undefined => {
  if (name.startsWith(HASHED_PREFIX)) return undefined
  const bytes: Array<number> = []
  for (let i = 0; i < name.length; i++) {
    if (name[i] === "%") {
      bytes.push(Number.parseInt(name.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      bytes.push(name.charCodeAt(i))
    }
  }
  const decoded = Buffer.from(bytes)
  // Only the canonical spelling counts: anything else was put there by hand.
  return encodeSegment(decoded.toString("utf8")) === name ? decoded : undefined
}

/** Is this on-disk name a hashed (long) segment? */
export const isHashed = (name: string): boolean => name.startsWith(HASHED_PREFIX)

/** The directories and the file name of a (valid) key, relative to the root. */
export const relativeParts = (key: string): { readonly dirs: ReadonlyArray<string>; readonly file: string } => {
  const segments = key.split("/")
  const last = segments.pop()!
  return { dirs: segments.map(encodeSegment), file: encodeSegment(last) + OBJECT_SUFFIX }
}

/** The absolute path of a (valid) key's object file, or undefined if it would leave the root. */
export const objectPath = (root: string, key: string): string | undefined => {
  const { dirs, file } = relativeParts(key)
  const resolved = path.resolve(root, ...dirs, file)
  // Escaping already rules this out; the check keeps it true whatever changes above.
  return resolved.startsWith(root + path.sep) ? resolved : undefined
}

/** The directory holding the keys that start with `prefix`'s complete segments, and those segments as a key prefix. */
export const prefixDirectory = (root: string, prefix: string): { readonly dir: string; readonly keyPrefix: string } => {
  const segments = prefix.split("/").slice(0, -1)
  return {
    dir: path.resolve(root, ...segments.map(encodeSegment)),
    keyPrefix: segments.map((segment) => `${segment}/`).join("")
  }
}
