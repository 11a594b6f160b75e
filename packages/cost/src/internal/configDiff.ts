/**
 * Configuration as code: the difference between what a policy wants and what the bucket has,
 * item by item (rules, tiering configurations) keyed by id, field by field.
 */
import { Schema } from "effect"

export interface ConfigChange<T> {
  readonly action: "add" | "change" | "remove"
  readonly id: string
  /** The bucket's item (null when added). */
  readonly before: T | null
  /** The policy's item (null when removed). */
  readonly after: T | null
  /** "field: before → after", one per differing field. */
  readonly differences: ReadonlyArray<string>
}

export interface ConfigPlan<T> {
  readonly changes: ReadonlyArray<ConfigChange<T>>
  /** Ids of items already as the policy wants them. */
  readonly unchanged: ReadonlyArray<string>
  /** True when applying would change nothing. */
  readonly empty: boolean
}

const show = (value: unknown): string => (value === undefined ? "(none)" : JSON.stringify(value))

/** Field-by-field differences of two canonical forms (in their field order; undefined is "(none)"). */
export const differences = (before: Record<string, unknown>, after: Record<string, unknown>): Array<string> => {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])]
  return fields
    .filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]))
    .map((field) => `${field}: ${show(before[field])} → ${show(after[field])}`)
}

/**
 * What to add, change and remove so that `current` becomes `desired`. Items are matched by id
 * and compared through `canonical` (which drops what does not matter: order, defaults).
 */
export const diffById = <T extends { readonly id: string }>(
  current: ReadonlyArray<T>,
  desired: ReadonlyArray<T>,
  canonical: (item: T) => Record<string, unknown>
): ConfigPlan<T> => {
  const existing = new Map(current.map((item) => [item.id, item]))
  const wanted = new Set(desired.map((item) => item.id))
  const changes: Array<ConfigChange<T>> = []
  const unchanged: Array<string> = []
  for (const after of desired) {
    const before = existing.get(after.id)
    if (before === undefined) {
      changes.push({ action: "add", id: after.id, before: null, after, differences: differences({}, canonical(after)) })
      continue
    }
    const diff = differences(canonical(before), canonical(after))
    if (diff.length === 0) unchanged.push(after.id)
    else changes.push({ action: "change", id: after.id, before, after, differences: diff })
  }
  for (const before of current) {
    if (!wanted.has(before.id))
      changes.push({
        action: "remove",
        id: before.id,
        before,
        after: null,
        differences: differences(canonical(before), {})
      })
  }
  return { changes, unchanged, empty: changes.length === 0 }
}

const SIGN = { add: "+", change: "~", remove: "-" } as const

/** The plan as lines a person reads: `+ id` / `~ id` / `- id`, each difference indented below. */
export const formatPlan = <T>(plan: ConfigPlan<T>, noun: string): Array<string> => {
  if (plan.empty) return [`No changes: the bucket's ${noun}s match the policy (${plan.unchanged.length} unchanged).`]
  const lines: Array<string> = []
  for (const change of plan.changes) {
    lines.push(`${SIGN[change.action]} ${change.action} ${noun} "${change.id}"`)
    for (const difference of change.differences) lines.push(`    ${difference}`)
  }
  const counts = (["add", "change", "remove"] as const).map(
    (action) => `${plan.changes.filter((c) => c.action === action).length} to ${action}`
  )
  lines.push(`Plan: ${counts.join(", ")}, ${plan.unchanged.length} unchanged.`)
  return lines
}

/** After applying, the bucket still differs from the policy (the engine ignored or rewrote part of it). */
export class ConfigurationNotApplied extends Schema.TaggedError<ConfigurationNotApplied>()("ConfigurationNotApplied", {
  what: Schema.String,
  differences: Schema.Array(Schema.String)
}) {
  override get message() {
    return `The bucket's ${this.what} still differs from the policy after applying it: ${this.differences.join("; ")}`
  }
}
