/** Does `bytes` start with `prefix`? */
export const startsWith = (bytes: Uint8Array, prefix: Uint8Array): boolean => {
  if (prefix.length > bytes.length) return false
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false
  return true
}
