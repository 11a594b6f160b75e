/**
 * One line of simple quoted CSV (RFC 4180 without line breaks inside fields, which S3
 * Inventory never writes: it URL-encodes keys). Returns undefined for a malformed line.
 */
export const parseCsvLine = (line: string): Array<string> | undefined => {
  const fields: Array<string> = []
  const n = line.length
  let i = 0
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let value = ""
      let from = i + 1
      for (;;) {
        const quote = line.indexOf('"', from)
        if (quote === -1) return undefined
        value += line.slice(from, quote)
        if (line.charCodeAt(quote + 1) === 34) {
          value += '"'
          from = quote + 2
          continue
        }
        i = quote + 1
        break
      }
      fields.push(value)
    } else {
      const comma = line.indexOf(",", i)
      const end = comma === -1 ? n : comma
      const value = line.slice(i, end)
      if (value.includes('"')) return undefined
      fields.push(value)
      i = end
    }
    if (i >= n) return fields
    if (line.charCodeAt(i) !== 44 /* , */) return undefined
    i++
    if (i === n) {
      fields.push("")
      return fields
    }
  }
}

/** A key as S3 Inventory's CSV writes it: form-URL-encoded ("+" for a space, "%2B" for "+"). */
export const decodeInventoryKey = (encoded: string): string =>
  encoded.includes("%") || encoded.includes("+") ? decodeURIComponent(encoded.replace(/\+/g, " ")) : encoded
