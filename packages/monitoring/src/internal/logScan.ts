/**
 * The byte-level reader of S3 server access logs: lines out of chunks, fields out of a line.
 *
 * A record is space-delimited; a field is either bare (up to the next space), quoted
 * (`"GET /k HTTP/1.1"`, `"-"`: up to the next unescaped `"`), or bracketed (the time,
 * `[06/Feb/2019:00:00:38 +0000]`). Field offsets go into one reused Int32Array and nothing is
 * decoded until a caller asks for a field: the analysis decodes only what it counts, so the hot
 * loop allocates little beyond the strings it keeps.
 */

/** Fields read per line; S3 appends new fields at the end over time (27 today), extra ones are kept. */
export const MAX_FIELDS = 48

const SPACE = 0x20
const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const NEWLINE = 0x0a
const CR = 0x0d

/** Why a line could not be split into fields (the analysis adds its own reasons). */
export type ScanFailure = "unterminated quote" | "unterminated bracket" | "too many fields"

/**
 * Splits `bytes[start, end)` into fields: `offsets[2i]`/`offsets[2i+1]` are field i's value
 * (without its quotes or brackets). Returns the field count, or a failure. With `limit`, stops
 * after that many fields (the analysis reads none after the user agent).
 */
export const scanFields = (
  bytes: Uint8Array,
  start: number,
  end: number,
  offsets: Int32Array,
  limit = MAX_FIELDS + 1
): number | ScanFailure => {
  let count = 0
  let i = start
  while (i < end) {
    const c = bytes[i]
    if (c === SPACE) {
      i++
      continue
    }
    if (count === limit) return count
    if (count === MAX_FIELDS) return "too many fields"
    if (c === QUOTE) {
      let j = i + 1
      while (j < end) {
        const d = bytes[j]
        if (d === QUOTE) break
        j += d === BACKSLASH ? 2 : 1
      }
      if (j >= end) return "unterminated quote"
      offsets[2 * count] = i + 1
      offsets[2 * count + 1] = j
      i = j + 1
    } else if (c === OPEN_BRACKET) {
      const j = bytes.indexOf(CLOSE_BRACKET, i + 1)
      if (j < 0 || j >= end) return "unterminated bracket"
      offsets[2 * count] = i + 1
      offsets[2 * count + 1] = j
      i = j + 1
    } else {
      let j = i + 1
      while (j < end && bytes[j] !== SPACE) j++
      offsets[2 * count] = i
      offsets[2 * count + 1] = j
      i = j
    }
    count++
  }
  return count
}

/**
 * Calls `onLine(bytes, start, end)` for every line of a byte stream given chunk by chunk
 * (LF or CRLF; a last line without a newline is flushed by `end()`). A line split across chunks
 * is joined in a buffer of its own; lines inside a chunk are passed without copying.
 */
/** Longer lines are cut at this length (an access-log record is well under 10 KiB). */
export const MAX_LINE_BYTES = 1 << 20

export class LineSplitter {
  private carry: Buffer | undefined

  constructor(private readonly onLine: (bytes: Buffer, start: number, end: number) => void) {}

  push(chunk: Buffer): void {
    let from = 0
    let newline = chunk.indexOf(NEWLINE)
    if (this.carry !== undefined) {
      if (newline < 0) {
        // A runaway "line" (a binary file, a missing newline) is cut, not held whole: memory stays flat.
        if (this.carry.length < MAX_LINE_BYTES) this.carry = Buffer.concat([this.carry, chunk])
        return
      }
      const joined = Buffer.concat([this.carry, chunk.subarray(0, newline)])
      this.carry = undefined
      this.emit(joined, 0, joined.length)
      from = newline + 1
      newline = chunk.indexOf(NEWLINE, from)
    }
    while (newline >= 0) {
      this.emit(chunk, from, newline)
      from = newline + 1
      newline = chunk.indexOf(NEWLINE, from)
    }
    if (from < chunk.length) this.carry = Buffer.from(chunk.subarray(from))
  }

  end(): void {
    if (this.carry !== undefined) {
      const last = this.carry
      this.carry = undefined
      this.emit(last, 0, last.length)
    }
  }

  private emit(bytes: Buffer, start: number, end: number): void {
    const stop = end > start && bytes[end - 1] === CR ? end - 1 : end
    this.onLine(bytes, start, stop)
  }
}

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11
}

const digits = (bytes: Uint8Array, start: number, length: number): number => {
  let value = 0
  for (let i = start; i < start + length; i++) {
    const d = bytes[i]! - 0x30
    if (d < 0 || d > 9) return Number.NaN
    value = value * 10 + d
  }
  return value
}

/** `06/Feb/2019:00:00:38 +0000` → epoch milliseconds (NaN when it is not that shape). */
export const parseLogTime = (bytes: Uint8Array, start: number, end: number): number => {
  if (end - start !== 26) return Number.NaN
  const month = MONTHS[String.fromCharCode(bytes[start + 3]!, bytes[start + 4]!, bytes[start + 5]!)]
  if (month === undefined) return Number.NaN
  const day = digits(bytes, start, 2)
  const year = digits(bytes, start + 7, 4)
  const hour = digits(bytes, start + 12, 2)
  const minute = digits(bytes, start + 15, 2)
  const second = digits(bytes, start + 18, 2)
  const sign = bytes[start + 21] === 0x2d ? -1 : 1
  const zone = sign * (digits(bytes, start + 22, 2) * 60 + digits(bytes, start + 24, 2))
  const ms = Date.UTC(year, month, day, hour, minute, second) - zone * 60_000
  return ms
}

/** A non-negative decimal field; `-` (S3's "zero" or "not applicable") is `dash`, anything else NaN. */
export const parseCount = (bytes: Uint8Array, start: number, end: number, dash: number): number => {
  if (end - start === 1 && bytes[start] === 0x2d) return dash
  if (end === start || end - start > 15) return Number.NaN
  return digits(bytes, start, end - start)
}

/** True when the field is exactly `-`. */
export const isDash = (bytes: Uint8Array, start: number, end: number): boolean =>
  end - start === 1 && bytes[start] === 0x2d

/** `a[0, length)` equals `b[start, start + length)` (a JS loop: cheaper than a native call for short runs). */
export const sameBytes = (a: Uint8Array, b: Uint8Array, start: number, length: number): boolean => {
  for (let i = 0; i < length; i++) if (a[i] !== b[start + i]) return false
  return true
}
