/**
 * The invalidation planner: from keys or paths to the CloudFront requests to send, within
 * CloudFront's limits, with what it will cost. Pure: `Invalidations` submits a plan.
 *
 * CloudFront's rules (see shared s3-facts): a path starts with `/` and is URL-encoded as it is
 * requested; `*` is a wildcard only as the last character; at most 3,000 individual paths and, on
 * their own, 15 wildcard paths may be in progress per distribution (else
 * `TooManyInvalidationsInProgress`); the first 1,000 paths a month are free, then each costs
 * $0.005, a wildcard counting as one path.
 */
import { createHash } from "node:crypto"
import { InvalidInvalidationPath } from "./Errors.js"

/** Individual paths CloudFront allows in progress per distribution (so in one request). */
export const MAX_PATHS_IN_PROGRESS = 3000
/** Wildcard paths CloudFront allows in progress per distribution. */
export const MAX_WILDCARDS_IN_PROGRESS = 15
export const FREE_PATHS_PER_MONTH = 1000
export const USD_PER_PATH = 0.005
const MAX_PATH_LENGTH = 4000

// RFC 1738's unsafe characters and anything outside printable ASCII are encoded; "/" separates.
const encodeSegment = (segment: string) =>
  encodeURIComponent(segment).replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/**
 * A key (`items/1/a b.jpg`), a path (`/items/1/*`) or a URL's path → the path CloudFront expects
 * (`/items/1/a%20b.jpg`). `*` stays a wildcard only at the end.
 */
export const normalizePath = (input: string): string | InvalidInvalidationPath => {
  const fail = (reason: string) => new InvalidInvalidationPath({ path: input, reason })
  let raw = input.trim()
  if (/^https?:\/\//i.test(raw)) {
    if (!URL.canParse(raw)) return fail("not a valid URL")
    raw = decodeURIComponent(new URL(raw).pathname)
  }
  raw = raw.replace(/^\/+/, "")
  if (raw === "" && input.trim() === "") return fail("empty: give a key or a path such as /items/123/*")
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(raw)) return fail("control characters cannot be invalidated")
  const wildcard = raw.endsWith("*")
  const body = wildcard ? raw.slice(0, -1) : raw
  if (body.includes("*")) return fail("a wildcard (*) is allowed only as the last character")
  const path = `/${body.split("/").map(encodeSegment).join("/")}${wildcard ? "*" : ""}`
  if (path.length > MAX_PATH_LENGTH) return fail(`longer than ${MAX_PATH_LENGTH} characters once encoded`)
  return path
}

export const isWildcard = (path: string) => path.endsWith("*")

export interface PlanOptions {
  /** Most individual paths the plan may keep before it collapses them into wildcards (default 3,000). */
  readonly maxPaths?: number
  /** Most wildcard paths the plan may hold (default 15, CloudFront's in-progress limit). */
  readonly maxWildcards?: number
  /** Paths already invalidated this month, for the cost estimate (default 0). */
  readonly usedThisMonth?: number
  /** Makes the caller references of the batches (default: the time of planning). Same plan + same reference → same references. */
  readonly reference?: string
}

export interface Collapsed {
  readonly wildcard: string
  /** How many requested paths it replaces. */
  readonly covers: number
}

export interface CostEstimate {
  readonly billablePaths: number
  readonly freeRemaining: number
  readonly usd: number
}

export interface Batch {
  /** Idempotent: retrying the same batch sends the same reference, so CloudFront does not run it twice. */
  readonly callerReference: string
  readonly paths: ReadonlyArray<string>
}

export interface InvalidationPlan {
  readonly requested: number
  /** What will be invalidated, sorted: individual paths and wildcards. */
  readonly paths: ReadonlyArray<string>
  readonly individual: number
  readonly wildcards: number
  /** Paths dropped because another path of the plan covers them or repeats them. */
  readonly duplicates: number
  readonly collapsed: ReadonlyArray<Collapsed>
  readonly batches: ReadonlyArray<Batch>
  readonly cost: CostEstimate
}

const covers = (wildcard: string, path: string) => path !== wildcard && path.startsWith(wildcard.slice(0, -1))

/** Removes repeats and paths a wildcard of the same plan already covers. */
const dedupe = (paths: ReadonlyArray<string>): Array<string> => {
  const unique = [...new Set(paths)].sort()
  const wildcards = unique.filter(isWildcard)
  return unique.filter((path) => !wildcards.some((wildcard) => covers(wildcard, path)))
}

/** The folders of a path: `/a/b/c.jpg` → ["a", "b"]; `/a/b/*` → ["a", "b"]. */
const folders = (path: string) => path.slice(1).split("/").slice(0, -1)

interface Budget {
  readonly maxPaths: number
  readonly maxWildcards: number
}

/**
 * Collapses paths into folder wildcards until the plan fits the budget: deepest folders first
 * (invalidating as little extra as possible), the fullest folders first at each depth; `/*` last.
 */
const collapse = (paths: Array<string>, budget: Budget) => {
  let entries = paths
  const collapsed = new Map<string, number>()
  let wildcards = entries.filter(isWildcard).length
  let individual = entries.length - wildcards
  const over = () => individual > budget.maxPaths || wildcards > budget.maxWildcards
  const deepest = Math.max(0, ...entries.map((path) => folders(path).length))
  for (let depth = deepest; depth >= 0 && over(); depth--) {
    const groups = new Map<string, Array<string>>()
    for (const path of entries) {
      const parts = folders(path)
      if (parts.length < depth) continue
      const wildcard = depth === 0 ? "/*" : `/${parts.slice(0, depth).join("/")}/*`
      const group = groups.get(wildcard)
      if (group === undefined) groups.set(wildcard, [path])
      else group.push(path)
    }
    // Over the path budget: fold the folders with the most individual paths first; else the most wildcards.
    const overPaths = individual > budget.maxPaths
    const weight = (group: Array<string>) => group.filter((path) => isWildcard(path) !== overPaths).length
    const ordered = [...groups]
      .map(([wildcard, group]) => ({ wildcard, group, weight: weight(group) }))
      .sort((a, b) => b.weight - a.weight || a.group.length - b.group.length || (a.wildcard < b.wildcard ? -1 : 1))
    const removed = new Set<string>()
    const added: Array<string> = []
    for (const { wildcard, group } of ordered) {
      if (!over()) break
      if (group.length < 2 && depth > 0) continue
      let covered = 0
      for (const path of group) {
        covered += collapsed.get(path) ?? 1
        collapsed.delete(path)
        removed.add(path)
        if (isWildcard(path)) wildcards--
        else individual--
      }
      collapsed.set(wildcard, covered)
      added.push(wildcard)
      wildcards++
    }
    entries = [...entries.filter((path) => !removed.has(path)), ...added]
  }
  return {
    paths: entries.sort(),
    collapsed: [...collapsed]
      .map(([wildcard, count]) => ({ wildcard, covers: count }))
      .sort((a, b) => (a.wildcard < b.wildcard ? -1 : 1))
  }
}

/** Splits paths into requests of at most 3,000 individual and 15 wildcard paths. */
const batch = (paths: ReadonlyArray<string>, reference: string): Array<Batch> => {
  const batches: Array<Array<string>> = []
  let current: Array<string> = []
  let wildcards = 0
  for (const path of paths) {
    const wild = isWildcard(path)
    if (
      (wild && wildcards === MAX_WILDCARDS_IN_PROGRESS) ||
      (!wild && current.length - wildcards === MAX_PATHS_IN_PROGRESS)
    ) {
      batches.push(current)
      current = []
      wildcards = 0
    }
    current.push(path)
    if (wild) wildcards++
  }
  if (current.length > 0) batches.push(current)
  return batches.map((paths, index) => ({
    callerReference: `localex-${createHash("sha256")
      .update(`${reference}\n${index}\n${paths.join("\n")}`)
      .digest("hex")
      .slice(0, 40)}`,
    paths
  }))
}

export const estimateCost = (paths: number, usedThisMonth = 0): CostEstimate => {
  const freeRemaining = Math.max(0, FREE_PATHS_PER_MONTH - usedThisMonth)
  const billablePaths = Math.max(0, paths - freeRemaining)
  return { billablePaths, freeRemaining, usd: Math.round(billablePaths * USD_PER_PATH * 1000) / 1000 }
}

/** Plans an invalidation; a path CloudFront would refuse fails the whole plan (nothing is sent). */
export const plan = (
  inputs: ReadonlyArray<string>,
  options: PlanOptions = {}
): InvalidationPlan | InvalidInvalidationPath => {
  const normalized: Array<string> = []
  for (const input of inputs) {
    const path = normalizePath(input)
    if (typeof path !== "string") return path
    normalized.push(path)
  }
  const unique = dedupe(normalized)
  const budget = {
    maxPaths: options.maxPaths ?? MAX_PATHS_IN_PROGRESS,
    maxWildcards: Math.min(options.maxWildcards ?? MAX_WILDCARDS_IN_PROGRESS, MAX_WILDCARDS_IN_PROGRESS)
  }
  const { paths, collapsed } = collapse(unique, budget)
  const wildcards = paths.filter(isWildcard).length
  return {
    requested: inputs.length,
    paths,
    individual: paths.length - wildcards,
    wildcards,
    duplicates: normalized.length - unique.length,
    collapsed,
    batches: batch(paths, options.reference ?? new Date().toISOString()),
    cost: estimateCost(paths.length, options.usedThisMonth ?? 0)
  }
}
