/**
 * API keys. Configured as SHA-256 hashes with scopes, never as the keys themselves:
 *
 *   LOCALEX_HTTP_API_KEYS="<sha256 hex of key 1>:read+write,<sha256 hex of key 2>:admin"
 *
 * Hash a key with `printf %s "$KEY" | sha256sum`. A presented key is hashed and compared with
 * every configured hash in constant time. `admin` grants every scope.
 *
 * With the fs driver and no key configured, a development key (all scopes) is generated once,
 * kept in `<data folder>/.localex/http-dev-key` (mode 0600) and printed at start.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { StorageSettings } from "@localex/storage-core"
import { Context, Effect, Layer, Option } from "effect"
import { type Scope, Scopes } from "./Api.js"
import { HttpConfig, HttpConfigError } from "./HttpConfig.js"

export interface ApiKey {
  /** A short, non-secret name for logs: the first 8 hex digits of the hash. */
  readonly id: string
  readonly hash: Buffer
  readonly scopes: ReadonlySet<Scope>
}

export class ApiKeys extends Context.Service<
  ApiKeys,
  {
    /** The key a bearer token is, if any (constant time over every configured key). */
    readonly authenticate: (token: string) => Option.Option<ApiKey>
    /** The generated development key, when the app runs in that mode. */
    readonly devKey: Option.Option<string>
  }
>()("@localex/http/ApiKeys") {
  static readonly layer = (storage: StorageSettings) =>
    Layer.effect(
      ApiKeys,
      Effect.gen(function* () {
        const config = yield* HttpConfig
        if (Option.isSome(config.apiKeys)) {
          const keys = yield* parseKeys(config.apiKeys.value)
          return ApiKeys.of({ authenticate: authenticate(keys), devKey: Option.none() })
        }
        if (storage.driver !== "fs") {
          return yield* new HttpConfigError({
            setting: "LOCALEX_HTTP_API_KEYS",
            reason: "is required with the s3 driver (the development key exists only for the fs driver)"
          })
        }
        const key = yield* devKey(config.stateDir)
        return ApiKeys.of({ authenticate: authenticate([entry(key, new Set(Scopes))]), devKey: Option.some(key) })
      })
    )
}

const sha256 = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest()

const entry = (key: string, scopes: ReadonlySet<Scope>): ApiKey => {
  const hash = sha256(key)
  return { id: hash.toString("hex").slice(0, 8), hash, scopes }
}

/** `key` must be the caller's token; every configured hash is compared (no early exit). */
export const authenticate =
  (keys: ReadonlyArray<ApiKey>) =>
  (token: string): Option.Option<ApiKey> => {
    const presented = sha256(token)
    let found: ApiKey | undefined
    for (const key of keys) if (timingSafeEqual(presented, key.hash) && found === undefined) found = key
    return Option.fromUndefinedOr(found)
  }

const HASH = /^[0-9a-f]{64}$/

/** Parses `hash:scope+scope,…`; a malformed entry fails startup with the reason. */
export const parseKeys = (text: string): Effect.Effect<ReadonlyArray<ApiKey>, HttpConfigError> =>
  Effect.forEach(
    text
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
    (item, index) => {
      const invalid = (reason: string) =>
        Effect.fail(new HttpConfigError({ setting: "LOCALEX_HTTP_API_KEYS", reason: `entry ${index + 1}: ${reason}` }))
      const [hash = "", scopeText = "", ...rest] = item.split(":")
      if (rest.length > 0 || !HASH.test(hash.toLowerCase())) {
        return invalid("expected <sha256 hex>:<scope>[+<scope>…], e.g. 9f86…0f00:read+write")
      }
      const scopes = scopeText.split("+").filter((s) => s !== "")
      const unknown = scopes.filter((s) => !(Scopes as ReadonlyArray<string>).includes(s))
      if (scopes.length === 0 || unknown.length > 0) {
        return invalid(`scopes are ${Scopes.join(", ")} joined by "+" (got "${scopeText}")`)
      }
      const digest = Buffer.from(hash.toLowerCase(), "hex")
      return Effect.succeed<ApiKey>({
        id: hash.toLowerCase().slice(0, 8),
        hash: digest,
        scopes: new Set(scopes as Array<Scope>)
      })
    }
  ).pipe(
    Effect.flatMap((keys) =>
      keys.length === 0
        ? Effect.fail(new HttpConfigError({ setting: "LOCALEX_HTTP_API_KEYS", reason: "lists no key" }))
        : Effect.succeed(keys)
    )
  )

/** Does `key` grant `scope`? */
export const grants = (scopes: ReadonlySet<Scope>, scope: Scope): boolean => scopes.has("admin") || scopes.has(scope)

/** The development key kept in the app's state folder: read, or created once (0600). */
const devKey = (folder: string): Effect.Effect<string, HttpConfigError> =>
  Effect.tryPromise({
    try: async () => {
      const file = join(folder, "dev-key")
      const existing = await readFile(file, "utf8").catch(() => undefined)
      if (existing !== undefined && existing.trim() !== "") return existing.trim()
      await mkdir(folder, { recursive: true, mode: 0o700 })
      const key = `lxdev_${randomBytes(24).toString("base64url")}`
      await writeFile(file, `${key}\n`, { mode: 0o600, flag: "wx" }).catch(async (error) => {
        // Another process created it first: use theirs.
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
      })
      await chmod(file, 0o600)
      return (await readFile(file, "utf8")).trim()
    },
    catch: (error) =>
      new HttpConfigError({
        setting: "LOCALEX_HTTP_STATE_DIR",
        reason: `cannot keep the development key in ${folder}: ${error instanceof Error ? error.message : String(error)}`
      })
  })
