/** Byte counts and sizes as people read and write them. */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const

/** 1536 → "1.5 KiB". */
export const formatBytes = (bytes: number): string => {
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`
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

/** "24h", "7d", "90m", "30s", "2w" → milliseconds; undefined when it is not one. */
export const parseAge = (text: string): number | undefined => {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(text)
  if (match === null) return undefined
  return Math.round(Number(match[1]) * (DURATION_UNITS[(match[2] ?? "").toLowerCase()] as number))
}

/** 90000000 → "1d 1h". */
export const formatAge = (ms: number): string => {
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
