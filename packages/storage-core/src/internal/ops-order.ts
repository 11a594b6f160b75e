/**
 * Key order as S3 lists keys: by UTF-8 bytes, which is code point order. JavaScript compares
 * UTF-16 code units, which disagrees for characters above U+FFFF against U+E000–U+FFFF.
 */

// Maps a UTF-16 code unit so that unit order equals code point order: surrogates (astral
// characters) move above U+E000–U+FFFF.
const fix = (unit: number): number => (unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit)

/** Negative, zero or positive as `a` sorts before, equal to or after `b` in S3's key order. */
export const compareKeys = (a: string, b: string): number => {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return fix(x) - fix(y)
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
