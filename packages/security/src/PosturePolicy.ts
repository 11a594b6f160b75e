/**
 * IAM policy documents (bucket policies and identity policies) as data: parsing, a normal form
 * for comparing them (statement order, string-vs-array, key order and letter case of actions do
 * not matter; Sids are dropped), and the questions the audit and the review ask of them.
 */

export interface Statement {
  readonly Sid?: string
  readonly Effect: "Allow" | "Deny"
  /** `{ AWS: [...] }`, `{ Service: [...] }`…; `"*"` is written `{ AWS: ["*"] }`. Absent in identity policies. */
  readonly Principal?: Readonly<Record<string, ReadonlyArray<string>>>
  readonly NotPrincipal?: Readonly<Record<string, ReadonlyArray<string>>>
  readonly Action?: ReadonlyArray<string>
  readonly NotAction?: ReadonlyArray<string>
  readonly Resource?: ReadonlyArray<string>
  readonly NotResource?: ReadonlyArray<string>
  /** operator → key → values. */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, ReadonlyArray<string>>>>>
}

export interface PolicyDocument {
  readonly Version?: string
  readonly Statement: ReadonlyArray<Statement>
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        )
      : v
  )

const strings = (value: unknown): ReadonlyArray<string> | undefined => {
  if (value === undefined) return undefined
  const list = (Array.isArray(value) ? value : [value]).map((v) => String(v))
  return [...new Set(list)].sort()
}

const principals = (value: unknown): Readonly<Record<string, ReadonlyArray<string>>> | undefined => {
  if (value === undefined) return undefined
  if (value === "*") return { AWS: ["*"] }
  if (typeof value !== "object" || value === null) return { AWS: strings(value) ?? [] }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strings(v) ?? []]))
}

const conditions = (value: unknown): Statement["Condition"] => {
  if (typeof value !== "object" || value === null) return undefined
  const entries = Object.entries(value as Record<string, unknown>).map(([operator, keys]) => [
    operator,
    Object.fromEntries(
      Object.entries((keys ?? {}) as Record<string, unknown>).map(([key, v]) => [
        // Condition keys are case-insensitive in IAM; values are not.
        key.toLowerCase(),
        strings(v) ?? []
      ])
    )
  ])
  return entries.length === 0 ? undefined : Object.fromEntries(entries)
}

const lower = (list: ReadonlyArray<string> | undefined) =>
  list === undefined ? undefined : [...new Set(list.map((a) => a.toLowerCase()))].sort()

/** One statement in normal form; `keepSid` keeps its Sid (the audit's evidence names it). */
export const normalizeStatement = (raw: unknown, keepSid = false): Statement => {
  const s = (raw ?? {}) as Record<string, unknown>
  const entries: Array<[string, unknown]> = [
    ["Sid", keepSid && typeof s.Sid === "string" && s.Sid !== "" ? s.Sid : undefined],
    ["Effect", s.Effect === "Deny" ? "Deny" : "Allow"],
    ["Principal", principals(s.Principal)],
    ["NotPrincipal", principals(s.NotPrincipal)],
    ["Action", lower(strings(s.Action))],
    ["NotAction", lower(strings(s.NotAction))],
    ["Resource", strings(s.Resource)],
    ["NotResource", strings(s.NotResource)],
    ["Condition", conditions(s.Condition)]
  ]
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as unknown as Statement
}

/**
 * A policy in normal form: statements normalised, without Sids, de-duplicated and sorted by
 * their canonical text, so that two policies that say the same thing compare equal.
 */
export const normalizePolicy = (raw: unknown): PolicyDocument => {
  const doc = (raw ?? {}) as Record<string, unknown>
  const list = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement === undefined ? [] : [doc.Statement]
  const byText = new Map(list.map((s) => normalizeStatement(s)).map((s) => [canonical(s), s] as const))
  const statements = [...byText.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s)
  return { ...(typeof doc.Version === "string" ? { Version: doc.Version } : {}), Statement: statements }
}

/** The statements of a policy text with their Sids, or undefined when it is not a JSON policy. */
export const parseStatements = (text: string): ReadonlyArray<Statement> | undefined => {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof doc !== "object" || doc === null) return undefined
  const raw = (doc as Record<string, unknown>).Statement
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]
  return list.map((s) => normalizeStatement(s, true))
}

/** IAM's wildcards: `*` any run of characters (also `/` and `:`), `?` one character. */
export const globMatch = (pattern: string, value: string, ignoreCase = false): boolean => {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".")
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value)
}

/** Everyone: `"*"` or `{ "AWS": "*" }` (also inside a list). */
export const isPublicPrincipal = (s: Statement): boolean =>
  s.NotPrincipal !== undefined || (s.Principal?.AWS ?? []).includes("*") || (s.Principal?.["*"] ?? []).length > 0

/**
 * Whether the policy denies requests without TLS: a Deny for everyone of S3 actions with
 * `Bool`/`BoolIfExists` `aws:SecureTransport` = `false`.
 */
export const hasTlsOnlyDeny = (statements: ReadonlyArray<Statement>): boolean =>
  statements.some((s) => {
    if (s.Effect !== "Deny" || !isPublicPrincipal(s)) return false
    const covers = (s.Action ?? []).some((a) => a === "*" || a === "s3:*")
    const bool = { ...(s.Condition?.Bool ?? {}), ...(s.Condition?.BoolIfExists ?? {}) }
    return covers && (bool["aws:securetransport"] ?? []).includes("false")
  })
