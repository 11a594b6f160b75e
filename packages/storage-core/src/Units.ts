/**
 * Units as people read and write them, one implementation for every package and app: byte
 * sizes ("1.5 GiB"), durations ("30s", "24h", "7d"), and points in time ("2026-12-01" or "7d" ago).
 */
import { Schema } from "effect"

/** An amount of storage: objects and their bytes. */
export const Usage = Schema.Struct({ objects: Schema.Number, bytes: Schema.Number })
export type Usage = typeof Usage.Type

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const

/** 1536 → "1.5 KiB". */
export const formatBytes = (bytes: number): string => {
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`
}

const MULTIPLIERS: Record<string, number> = {
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50
}

/** "50GiB", "1.5 TB", "1048576" → bytes; undefined when it is not a size. */
export const parseBytes = (text: string): number | undefined => {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text)
  if (match === null) return undefined
  const multiplier = MULTIPLIERS[(match[2] ?? "").toLowerCase() || "b"]
  if (multiplier === undefined) return undefined
  return Math.round(Number(match[1]) * multiplier)
}

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/**
 * "24h", "7d", "90m", "30s", "2w", "500ms" → milliseconds; a bare number is seconds ("30" → 30000).
 * Undefined when it is not a duration.
 */
export const parseDuration = (text: string): number | undefined => {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|[smhdw])?\s*$/i.exec(text)
  if (match === null) return undefined
  const unit = (match[2] ?? "s").toLowerCase()
  return Math.round(Number(match[1]) * (unit === "ms" ? 1 : (DURATION_UNITS[unit] as number)))
}

/**
 * A point in time: an ISO date or time ("2026-12-01", "2026-12-01T10:00:00Z"), or a duration
 * back from `now` ("24h", "7d"). Undefined when it is neither.
 */
export const parseTime = (text: string, now: Date): Date | undefined => {
  const ago = /^\s*\d/.test(text) && !/^\s*\d{4}-/.test(text) ? parseDuration(text) : undefined
  if (ago !== undefined) return new Date(now.getTime() - ago)
  if (!/^\s*\d{4}-\d{2}-\d{2}/.test(text)) return undefined
  const time = new Date(text.trim())
  return Number.isNaN(time.getTime()) ? undefined : time
}

/** 90000000 → "1d 1h". */
export const formatDuration = (ms: number): string => {
  const parts: Array<string> = []
  let rest = Math.round(ms / 1000)
  for (const [unit, seconds] of [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1]
  ] as const) {
    if (rest >= seconds) {
      parts.push(`${Math.floor(rest / seconds)}${unit}`)
      rest %= seconds
    }
  }
  return parts.slice(0, 2).join(" ") || "0s"
}
