/**
 * The project's time flags: `--since` / `--until` take an ISO date or time (`2026-12-01`,
 * `2026-12-01T10:00:00Z`; a date alone is midnight UTC) or a duration back from now (`30m`,
 * `24h`, `7d`, `90s`).
 */
import { Schema } from "effect"

export class InvalidTime extends Schema.TaggedError<InvalidTime>()("InvalidTime", {
  flag: Schema.String,
  value: Schema.String,
  /** Set when the value parsed but the window is empty. */
  reason: Schema.optionalKey(Schema.String)
}) {
  override get message() {
    return this.reason !== undefined
      ? `${this.flag} "${this.value}": ${this.reason}`
      : `${this.flag} "${this.value}" is neither an ISO date or time (2026-12-01, 2026-12-01T10:00:00Z) nor a duration back from now (30m, 24h, 7d)`
  }
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** Epoch ms of a time flag's value, or undefined when it is neither form. */
export const parseInstant = (value: string, now: number): number | undefined => {
  const duration = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(value.trim())
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2]!]!
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value)
  return Number.isNaN(ms) ? undefined : ms
}

/** A validated window from optional flags (`until` defaults to now); `since` must come first. */
export const parseWindow = (
  since: string | undefined,
  until: string | undefined,
  now: number,
  defaultSince?: string
): { readonly since: number | undefined; readonly until: number | undefined } | InvalidTime => {
  const sinceText = since ?? defaultSince
  const from = sinceText === undefined ? undefined : parseInstant(sinceText, now)
  if (sinceText !== undefined && from === undefined) return new InvalidTime({ flag: "--since", value: sinceText })
  const to = until === undefined ? undefined : parseInstant(until, now)
  if (until !== undefined && to === undefined) return new InvalidTime({ flag: "--until", value: until })
  if (from !== undefined && to !== undefined && from >= to)
    return new InvalidTime({ flag: "--until", value: until ?? "", reason: `must be after --since ${sinceText}` })
  return { since: from, until: to }
}
