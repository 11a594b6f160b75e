/**
 * S3 orders keys by their UTF-8 bytes. JavaScript compares strings by UTF-16 code units,
 * which disagrees for characters above U+FFFF (emoji sort before U+E000–U+FFFF in JS, after
 * them in UTF-8). Comparing code points gives the UTF-8 byte order without encoding.
 */

/** Compares two strings in UTF-8 byte order (negative, zero or positive). */
export const compareUtf8 = (a: string, b: string): number => {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!
    const y = b.codePointAt(j)!
    if (x !== y) return x < y ? -1 : 1
    i += x > 0xffff ? 2 : 1
    j += y > 0xffff ? 2 : 1
  }
  return i < a.length ? 1 : j < b.length ? -1 : 0
}

/** Does `bytes` start with `prefix`? */
export const startsWith = (bytes: Uint8Array, prefix: Uint8Array): boolean => {
  if (prefix.length > bytes.length) return false
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false
  return true
}
