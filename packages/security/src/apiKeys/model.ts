/**
 * The API key file: which keys exist (as SHA-256 hashes of their secrets, never the secrets),
 * what they may do, and when they stop working.
 *
 *   { "version": 1, "keys": [ { "id": "ci", "sha256": "<64 hex>", "scopes": ["read", "write"],
 *     "createdAt": "2026-12-01T10:00:00Z", "expiresAt"?: "…", "notAfter"?: "…", "label"?: "…" } ] }
 *
 * `expiresAt` is the key's planned end; `notAfter` is set by a rotation: the end of the overlap
 * window in which the old key and its successor both work. A key works until the earlier of the two.
 * Parsing is strict (unknown fields are refused: a misspelt `expiresAt` must not make a key live forever).
 */
import { createHash, randomBytes } from "node:crypto"
import { Effect } from "effect"
import { KeyChangeRefused, KeyFileInvalid, KeyNotFound } from "./errors.js"

/** The scopes the HTTP API knows; `admin` grants every scope. */
export const ApiScopes = ["read", "write", "admin"] as const

export const KEY_FILE_VERSION = 1

export interface KeyRecord {
  readonly id: string
  readonly label?: string
  /** Lowercase hex SHA-256 of the secret (its UTF-8 bytes). */
  readonly sha256: string
  readonly scopes: ReadonlyArray<string>
  readonly createdAt: Date
  readonly expiresAt?: Date
  /** The end of a rotation's overlap window. */
  readonly notAfter?: Date
}

export interface KeyFile {
  readonly version: number
  readonly keys: ReadonlyArray<KeyRecord>
}

export interface ParseOptions {
  /** The scopes a key may name (default: `ApiScopes`). */
  readonly scopes?: ReadonlyArray<string>
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const HASH = /^[0-9a-f]{64}$/
const RECORD_FIELDS = new Set(["id", "label", "sha256", "scopes", "createdAt", "expiresAt", "notAfter"])

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Validates a decoded document; the first problem found, as a sentence naming the key and field, or the file. */
const validate = (document: unknown, known: ReadonlyArray<string>): string | KeyFile => {
  if (!isObject(document)) return 'expected a JSON object {"version": 1, "keys": [...]}'
  const extra = Object.keys(document).filter((name) => name !== "version" && name !== "keys")
  if (extra.length > 0) return `unknown field(s) ${extra.map((n) => `"${n}"`).join(", ")} (allowed: version, keys)`
  if (document.version !== KEY_FILE_VERSION)
    return `"version" must be ${KEY_FILE_VERSION} (got ${JSON.stringify(document.version)})`
  if (!Array.isArray(document.keys)) return '"keys" must be an array'
  const keys: Array<KeyRecord> = []
  const ids = new Set<string>()
  const hashes = new Set<string>()
  for (const [index, item] of document.keys.entries()) {
    const at = `keys[${index}]`
    if (!isObject(item)) return `${at} must be an object`
    const name = typeof item.id === "string" ? `${at} ("${item.id}")` : at
    const unknown = Object.keys(item).filter((field) => !RECORD_FIELDS.has(field))
    if (unknown.length > 0)
      return `${name}: unknown field(s) ${unknown.map((n) => `"${n}"`).join(", ")} (secrets are never stored: only "sha256")`
    if (typeof item.id !== "string" || !ID.test(item.id))
      return `${at}.id must be 1–64 of A–Z a–z 0–9 . _ - (starting with a letter or digit)`
    if (ids.has(item.id)) return `${name}: the id is used twice`
    ids.add(item.id)
    if (typeof item.sha256 !== "string" || !HASH.test(item.sha256.toLowerCase()))
      return `${name}.sha256 must be 64 hex digits (printf %s "$KEY" | sha256sum)`
    const sha256 = item.sha256.toLowerCase()
    if (hashes.has(sha256)) return `${name}: the same sha256 is listed twice`
    hashes.add(sha256)
    if (!Array.isArray(item.scopes) || item.scopes.length === 0 || !item.scopes.every((s) => typeof s === "string"))
      return `${name}.scopes must be a non-empty array of ${known.join(", ")}`
    const unknownScopes = item.scopes.filter((scope) => !known.includes(scope))
    if (unknownScopes.length > 0)
      return `${name}.scopes: unknown scope(s) ${unknownScopes.map((s) => `"${s}"`).join(", ")} (known: ${known.join(", ")})`
    if (item.label !== undefined && (typeof item.label !== "string" || item.label.length > 200))
      return `${name}.label must be a string of at most 200 characters`
    const times: Record<string, Date | undefined> = {}
    for (const field of ["createdAt", "expiresAt", "notAfter"] as const) {
      const value = item[field]
      if (value === undefined && field !== "createdAt") continue
      const time = typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : undefined
      if (time === undefined || Number.isNaN(time.getTime()))
        return `${name}.${field} must be an ISO 8601 time such as "2026-12-01T10:00:00Z"`
      times[field] = time
    }
    keys.push({
      id: item.id,
      ...(item.label === undefined ? {} : { label: item.label as string }),
      sha256,
      scopes: [...new Set(item.scopes as Array<string>)],
      createdAt: times.createdAt as Date,
      ...(times.expiresAt === undefined ? {} : { expiresAt: times.expiresAt }),
      ...(times.notAfter === undefined ? {} : { notAfter: times.notAfter })
    })
  }
  return { version: KEY_FILE_VERSION, keys }
}

/** Decodes a key file's text (synchronously, for the reloader); `path` only names the file in the error. */
export const decodeKeyFile = (text: string, path: string, options: ParseOptions = {}): KeyFile | KeyFileInvalid => {
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    return new KeyFileInvalid({ path, reason: `not JSON (${error instanceof Error ? error.message : String(error)})` })
  }
  const result = validate(document, options.scopes ?? ApiScopes)
  return typeof result === "string" ? new KeyFileInvalid({ path, reason: result }) : result
}

/** Parses a key file's text; `path` only names the file in the error. */
export const parseKeyFile = (
  text: string,
  path: string,
  options: ParseOptions = {}
): Effect.Effect<KeyFile, KeyFileInvalid> =>
  Effect.suspend(() => {
    const result = decodeKeyFile(text, path, options)
    return result instanceof KeyFileInvalid ? Effect.fail(result) : Effect.succeed(result)
  })

/** The file's text: stable field order, times in ISO 8601, a trailing newline. */
export const formatKeyFile = (file: KeyFile): string =>
  `${JSON.stringify(
    {
      version: file.version,
      keys: file.keys.map((key) => ({
        id: key.id,
        ...(key.label === undefined ? {} : { label: key.label }),
        sha256: key.sha256,
        scopes: key.scopes,
        createdAt: key.createdAt.toISOString(),
        ...(key.expiresAt === undefined ? {} : { expiresAt: key.expiresAt.toISOString() }),
        ...(key.notAfter === undefined ? {} : { notAfter: key.notAfter.toISOString() })
      }))
    },
    null,
    2
  )}\n`

export const emptyKeyFile: KeyFile = { version: KEY_FILE_VERSION, keys: [] }

/** Lowercase hex SHA-256 of a secret's UTF-8 bytes (what `printf %s "$KEY" | sha256sum` prints). */
export const hashSecret = (secret: string): string => createHash("sha256").update(secret, "utf8").digest("hex")

/** A new secret: 32 random bytes, base64url (43 characters), prefixed so it is recognisable in a leak scan. */
export const generateSecret = (): string => `lxk_${randomBytes(32).toString("base64url")}`

export type KeyStatus =
  | { readonly _tag: "Active" }
  | { readonly _tag: "Rotating"; readonly until: Date }
  | { readonly _tag: "Expired"; readonly at: Date }

/** Where a key stands at `now`: it works until the earlier of `expiresAt` and `notAfter`. */
export const keyStatus = (key: Pick<KeyRecord, "expiresAt" | "notAfter">, now: Date): KeyStatus => {
  const ends = [key.expiresAt, key.notAfter].filter((d): d is Date => d !== undefined)
  const end = ends.length === 0 ? undefined : new Date(Math.min(...ends.map((d) => d.getTime())))
  if (end !== undefined && end.getTime() <= now.getTime()) return { _tag: "Expired", at: end }
  // Rotating until the overlap ends, or the key's own expiry if that comes first.
  if (key.notAfter !== undefined && end !== undefined) return { _tag: "Rotating", until: end }
  return { _tag: "Active" }
}

export interface AddKey {
  readonly scopes: ReadonlyArray<string>
  readonly id?: string
  readonly label?: string
  readonly expiresAt?: Date
  readonly now: Date
  /** The new key's secret (`generateSecret()`): only its hash is kept. */
  readonly secret: string
  readonly knownScopes?: ReadonlyArray<string>
}

/** The file with a new key appended (its id: `id`, or `key-` and the hash's first 8 hex digits). */
export const addKey = (
  file: KeyFile,
  input: AddKey
): Effect.Effect<{ file: KeyFile; key: KeyRecord }, KeyChangeRefused> => {
  const sha256 = hashSecret(input.secret)
  const id = input.id ?? `key-${sha256.slice(0, 8)}`
  const refuse = (reason: string) => Effect.fail(new KeyChangeRefused({ id: input.id ?? "(new key)", reason }))
  const known = input.knownScopes ?? ApiScopes
  if (!ID.test(id)) return refuse("an id is 1–64 of A–Z a–z 0–9 . _ - (starting with a letter or digit)")
  if (file.keys.some((key) => key.id === id)) return refuse("the file already has a key with this id")
  if (input.scopes.length === 0) return refuse(`give at least one scope (${known.join(", ")})`)
  const unknown = input.scopes.filter((scope) => !known.includes(scope))
  if (unknown.length > 0) return refuse(`unknown scope(s) ${unknown.join(", ")} (known: ${known.join(", ")})`)
  if (input.expiresAt !== undefined && input.expiresAt.getTime() <= input.now.getTime())
    return refuse("the expiry must be in the future")
  if (input.label !== undefined && input.label.length > 200) return refuse("a label is at most 200 characters")
  const key: KeyRecord = {
    id,
    ...(input.label === undefined ? {} : { label: input.label }),
    sha256,
    scopes: [...new Set(input.scopes)],
    createdAt: input.now,
    ...(input.expiresAt === undefined ? {} : { expiresAt: input.expiresAt })
  }
  return Effect.succeed({ file: { ...file, keys: [...file.keys, key] }, key })
}

/** `ci` → `ci.2`, `ci.2` → `ci.3`: the first free successor id. */
export const successorId = (id: string, taken: ReadonlySet<string>): string => {
  const match = /^(.*)\.(\d+)$/.exec(id)
  const base = match === null ? id : match[1]!
  let n = match === null ? 2 : Number(match[2]) + 1
  while (taken.has(`${base}.${n}`)) n++
  return `${base}.${n}`
}

export interface RotateKey {
  readonly id: string
  /** How long the old key keeps working beside the new one (0: it stops now). */
  readonly overlapMs: number
  readonly now: Date
  readonly secret: string
  readonly newId?: string
  /** The new key's expiry; by default it gets the old key's lifetime (expiresAt − createdAt), if it had one. */
  readonly expiresAt?: Date
}

export interface Rotation {
  readonly file: KeyFile
  readonly old: KeyRecord
  readonly key: KeyRecord
}

/**
 * The file with `id`'s successor added (same scopes and label) and `id` ending at now + overlap.
 * `path` names the file in a KeyNotFound. Only an active key rotates: an expired one is gone already, a rotating one has a successor.
 */
export const rotateKey = (
  file: KeyFile,
  path: string,
  input: RotateKey
): Effect.Effect<Rotation, KeyChangeRefused | KeyNotFound> =>
  Effect.gen(function* () {
    const old = file.keys.find((key) => key.id === input.id)
    if (old === undefined) return yield* new KeyNotFound({ path, id: input.id })
    const refuse = (reason: string) => new KeyChangeRefused({ id: input.id, reason })
    if (!Number.isFinite(input.overlapMs) || input.overlapMs < 0) return yield* refuse("the overlap must be 0 or more")
    const status = keyStatus(old, input.now)
    if (status._tag === "Expired")
      return yield* refuse(`it expired at ${status.at.toISOString()}: add a new key instead (keys add)`)
    if (status._tag === "Rotating")
      return yield* refuse(
        `it is already being rotated (it works until ${status.until.toISOString()}): rotate its successor instead`
      )
    const lifetime =
      old.expiresAt === undefined
        ? undefined
        : new Date(input.now.getTime() + (old.expiresAt.getTime() - old.createdAt.getTime()))
    const expiresAt = input.expiresAt ?? lifetime
    const added = yield* addKey(file, {
      id: input.newId ?? successorId(old.id, new Set(file.keys.map((key) => key.id))),
      scopes: old.scopes,
      ...(old.label === undefined ? {} : { label: old.label }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
      now: input.now,
      secret: input.secret,
      knownScopes: old.scopes
    })
    const notAfter = new Date(input.now.getTime() + input.overlapMs)
    const retired: KeyRecord = { ...old, notAfter }
    return {
      file: { ...added.file, keys: added.file.keys.map((key) => (key.id === old.id ? retired : key)) },
      old: retired,
      key: added.key
    }
  })
