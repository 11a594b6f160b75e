/**
 * API keys, from two sources that work together (see README "Authentication"):
 *
 * - LOCALEX_HTTP_API_KEYS_FILE: the key file of @localex/security/api-keys (SHA-256 hashes with
 *   scopes, creation and expiry times, rotation overlap), reloaded while the server runs: a change
 *   that parses takes effect at once; one that does not keeps the last good keys and is logged.
 * - LOCALEX_HTTP_API_KEYS="<sha256 hex of key 1>:read+write,<sha256 hex of key 2>:admin".
 *
 * A presented key is hashed and compared with every configured hash in constant time; a hash
 * in both sources gets the file's scopes and times. `admin` grants every scope.
 *
 * With the fs driver and no key configured, a development key (all scopes) is generated once,
 * kept in `<state folder>/dev-key` (mode 0600) and printed at start.
 */
import { randomBytes } from "node:crypto"
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import {
  authenticate as check,
  hashSecret,
  type KeyEntry,
  parseKeyList,
  type ReloadEvent,
  type Verdict,
  watchKeyFile
} from "@localex/security/api-keys"
import type { StorageSettings } from "@localex/storage-core"
import { Context, Duration, Effect, Layer, Option } from "effect"
import { Scopes } from "./Api.js"
import { HttpConfig, HttpConfigError } from "./HttpConfig.js"

export { grants } from "@localex/security/api-keys"

export class ApiKeys extends Context.Service<
  ApiKeys,
  {
    /** Which key a bearer token is, now: valid, expired, or unknown (constant time over every key). */
    readonly authenticate: (token: string) => Verdict
    /** The generated development key, when the app runs in that mode. */
    readonly devKey: Option.Option<string>
  }
>()("@localex/http/ApiKeys") {
  static readonly layer = (storage: StorageSettings) =>
    Layer.effect(
      ApiKeys,
      Effect.gen(function* () {
        const config = yield* HttpConfig
        const env = Option.isSome(config.apiKeys)
          ? yield* parseKeyList(config.apiKeys.value, Scopes).pipe(
              Effect.mapError(
                (error) => new HttpConfigError({ setting: "LOCALEX_HTTP_API_KEYS", reason: error.reason })
              )
            )
          : []
        const file = Option.isSome(config.apiKeysFile)
          ? Option.some(
              yield* watchKeyFile(config.apiKeysFile.value, {
                scopes: Scopes,
                pollIntervalMs: Duration.toMillis(config.apiKeysPollInterval),
                onReload: logReload
              }).pipe(
                Effect.mapError(
                  (error) => new HttpConfigError({ setting: "LOCALEX_HTTP_API_KEYS_FILE", reason: error.message })
                )
              )
            )
          : Option.none()
        if (Option.isSome(config.apiKeys) || Option.isSome(file)) {
          // The file's entries first: a hash in both sources gets the file's scopes and times.
          const entries = (): ReadonlyArray<KeyEntry> => (Option.isSome(file) ? [...file.value.entries(), ...env] : env)
          return ApiKeys.of({ authenticate: (token) => check(entries(), token, new Date()), devKey: Option.none() })
        }
        if (storage.driver !== "fs") {
          return yield* new HttpConfigError({
            setting: "LOCALEX_HTTP_API_KEYS",
            reason:
              "or LOCALEX_HTTP_API_KEYS_FILE is required with the s3 driver (the development key exists only for the fs driver)"
          })
        }
        const key = yield* devKey(config.stateDir)
        const entry: KeyEntry = {
          id: `dev:${hashSecret(key).slice(0, 8)}`,
          hash: Buffer.from(hashSecret(key), "hex"),
          scopes: new Set(Scopes),
          source: "env"
        }
        return ApiKeys.of({ authenticate: (token) => check([entry], token, new Date()), devKey: Option.some(key) })
      })
    )
}

/** One JSON line on stdout per reload, beside the request log; a rejected file is an error (the old keys stay). */
const logReload = (event: ReloadEvent): void => {
  const line =
    event._tag === "Reloaded"
      ? { level: "info", msg: "api keys reloaded", file: event.path, keys: event.keys }
      : {
          level: "error",
          msg: "api key file rejected: the last good keys stay in force",
          file: event.path,
          error: event.error.message
        }
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`)
}

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
