/**
 * Readable differences between two JSON values: one line per leaf that differs, named by its
 * path (`widgets[1].properties.period: 300 → 60`). Object keys are compared whatever their order.
 */

const show = (value: unknown): string => (value === undefined ? "(none)" : JSON.stringify(value))

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const jsonDifferences = (before: unknown, after: unknown, path = ""): Array<string> => {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    return keys.flatMap((key) => jsonDifferences(before[key], after[key], path === "" ? key : `${path}.${key}`))
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length)
    const out: Array<string> = []
    for (let i = 0; i < length; i++) out.push(...jsonDifferences(before[i], after[i], `${path}[${i}]`))
    return out
  }
  return JSON.stringify(before) === JSON.stringify(after)
    ? []
    : [`${path || "(root)"}: ${show(before)} → ${show(after)}`]
}

/** The same value with object keys sorted, for comparisons and stable output. */
export const sortKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (isObject(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => value[key] !== undefined)
        .map((key) => [key, sortKeys(value[key])])
    )
  return value
}

export interface ItemChange<T> {
  readonly action: "add" | "change" | "remove"
  readonly name: string
  readonly before: T | null
  readonly after: T | null
  readonly differences: ReadonlyArray<string>
}

export interface Plan<T> {
  readonly changes: ReadonlyArray<ItemChange<T>>
  readonly unchanged: ReadonlyArray<string>
  readonly empty: boolean
}

/**
 * What to add, change and remove so that the named items `current` become `desired`, comparing
 * each pair's canonical JSON. Items of `current` missing from `desired` are removed only when
 * `removable(name)` says so (a plan manages what it owns, nothing else).
 */
export const planItems = <T>(
  current: ReadonlyMap<string, T>,
  desired: ReadonlyMap<string, T>,
  canonical: (item: T) => unknown,
  removable: (name: string) => boolean = () => false
): Plan<T> => {
  const changes: Array<ItemChange<T>> = []
  const unchanged: Array<string> = []
  for (const [name, after] of desired) {
    const before = current.get(name)
    if (before === undefined) {
      changes.push({ action: "add", name, before: null, after, differences: jsonDifferences({}, canonical(after)) })
      continue
    }
    const differences = jsonDifferences(canonical(before), canonical(after))
    if (differences.length === 0) unchanged.push(name)
    else changes.push({ action: "change", name, before, after, differences })
  }
  for (const [name, before] of current)
    if (!desired.has(name) && removable(name))
      changes.push({ action: "remove", name, before, after: null, differences: jsonDifferences(canonical(before), {}) })
  return { changes, unchanged, empty: changes.length === 0 }
}

const SIGN = { add: "+", change: "~", remove: "-" } as const

/** A plan as lines a person reads: `+ add alarm "x"`, the differences indented, then a count. */
export const formatItemsPlan = <T>(plan: Plan<T>, noun: string): Array<string> => {
  if (plan.empty) return [`No changes: ${plan.unchanged.length} ${noun}(s) as wanted.`]
  const lines: Array<string> = []
  for (const change of plan.changes) {
    lines.push(`${SIGN[change.action]} ${change.action} ${noun} "${change.name}"`)
    for (const difference of change.differences) lines.push(`    ${difference}`)
  }
  const count = (action: ItemChange<T>["action"]) => plan.changes.filter((c) => c.action === action).length
  lines.push(
    `Plan: ${count("add")} to add, ${count("change")} to change, ${count("remove")} to remove, ${plan.unchanged.length} unchanged.`
  )
  return lines
}
