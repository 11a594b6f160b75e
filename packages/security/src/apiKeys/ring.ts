/**
 * The keys a server accepts, from the key file and from `LOCALEX_HTTP_API_KEYS`
 * (`<sha256 hex>:<scope>[+<scope>…],…`), and the check of a presented secret against them.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { Effect } from "effect"
import { KeyListInvalid } from "./errors.js"
import { ApiScopes, type KeyFile, keyStatus } from "./model.js"

export interface KeyEntry {
  /** The file's id; for an environment key, `env:` and the hash's first 8 hex digits (not secret). */
  readonly id: string
  readonly hash: Buffer
  readonly scopes: ReadonlySet<string>
  readonly expiresAt?: Date
  readonly notAfter?: Date
  readonly source: "file" | "env"
}

export type Verdict =
  | { readonly _tag: "Valid"; readonly key: KeyEntry }
  | { readonly _tag: "Expired"; readonly key: KeyEntry }
  | { readonly _tag: "Unknown" }

/** The entries of a parsed key file. */
export const fileEntries = (file: KeyFile): ReadonlyArray<KeyEntry> =>
  file.keys.map((key) => ({
    id: key.id,
    hash: Buffer.from(key.sha256, "hex"),
    scopes: new Set(key.scopes),
    ...(key.expiresAt === undefined ? {} : { expiresAt: key.expiresAt }),
    ...(key.notAfter === undefined ? {} : { notAfter: key.notAfter }),
    source: "file" as const
  }))

const HASH = /^[0-9a-f]{64}$/

/** Parses `LOCALEX_HTTP_API_KEYS`; an empty list or a malformed entry is an error naming the entry. */
export const parseKeyList = (
  text: string,
  knownScopes: ReadonlyArray<string> = ApiScopes
): Effect.Effect<ReadonlyArray<KeyEntry>, KeyListInvalid> =>
  Effect.suspend(() => {
    const items = text
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "")
    if (items.length === 0) return Effect.fail(new KeyListInvalid({ reason: "lists no key" }))
    const entries: Array<KeyEntry> = []
    for (const [index, item] of items.entries()) {
      const invalid = (reason: string) => Effect.fail(new KeyListInvalid({ reason: `entry ${index + 1}: ${reason}` }))
      const [hash = "", scopeText = "", ...rest] = item.split(":")
      if (rest.length > 0 || !HASH.test(hash.toLowerCase()))
        return invalid("expected <sha256 hex>:<scope>[+<scope>…], e.g. 9f86…0f00:read+write")
      const scopes = scopeText.split("+").filter((s) => s !== "")
      if (scopes.length === 0 || scopes.some((s) => !knownScopes.includes(s)))
        return invalid(`scopes are ${knownScopes.join(", ")} joined by "+" (got "${scopeText}")`)
      const lower = hash.toLowerCase()
      entries.push({
        id: `env:${lower.slice(0, 8)}`,
        hash: Buffer.from(lower, "hex"),
        scopes: new Set(scopes),
        source: "env"
      })
    }
    return Effect.succeed(entries)
  })

/**
 * Which key `secret` is, at `now`. Every entry is compared in constant time with no early exit,
 * so the time taken says nothing about which or how many keys matched; the first match wins
 * (list the file's entries first to give them precedence).
 */
export const authenticate = (entries: ReadonlyArray<KeyEntry>, secret: string, now: Date): Verdict => {
  const presented = createHash("sha256").update(secret, "utf8").digest()
  let found: KeyEntry | undefined
  for (const entry of entries) {
    if (timingSafeEqual(presented, entry.hash) && found === undefined) found = entry
  }
  if (found === undefined) return { _tag: "Unknown" }
  return keyStatus(found, now)._tag === "Expired" ? { _tag: "Expired", key: found } : { _tag: "Valid", key: found }
}

/** Does a key with `scopes` grant `scope`? (`admin` grants every scope.) */
export const grants = (scopes: ReadonlySet<string>, scope: string): boolean => scopes.has("admin") || scopes.has(scope)
