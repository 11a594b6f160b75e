/**
 * The CDN settings, read from the environment in this one place. Programs pass their own values
 * as `CdnOverrides`, which win.
 *
 * | variable                       | default                                                    |
 * | ------------------------------ | ---------------------------------------------------------- |
 * | LOCALEX_CDN_DISTRIBUTION_ID    | (none: local mode, the HTTP app is the origin)             |
 * | LOCALEX_CDN_DOMAINS            | the distribution's domain and aliases; in local mode the base URL's host |
 * | LOCALEX_CDN_BASE_URL           | LOCALEX_HTTP_CDN_BASE_URL (an alias; the new name wins)    |
 * | LOCALEX_CDN_MIN_TTL            | 0 (seconds, or a duration such as 5m)                      |
 * | LOCALEX_CDN_DEFAULT_TTL        | 2592000 (30 days)                                          |
 * | LOCALEX_CDN_MAX_TTL            | 31536000 (a year)                                          |
 * | LOCALEX_CDN_KEY_PAIR_ID        | (none: no signed URLs or cookies)                          |
 * | LOCALEX_CDN_PRIVATE_KEY_FILE   | (none)                                                     |
 */
import { Units } from "@localex/storage-core"
import { Config, Effect, Option } from "effect"
import { DEFAULT_TTLS, type TtlBounds } from "./CachePolicy.js"
import { CdnConfigError } from "./Errors.js"

export { DEFAULT_TTLS, type TtlBounds }

export interface CdnSettings {
  /** Undefined: local mode (no CloudFront). */
  readonly distributionId?: string
  /** Host names warming may request; empty: the distribution's (or the base URL's) own. */
  readonly domains: ReadonlyArray<string>
  /** The public base URL of keys, without a trailing "/". */
  readonly baseUrl?: string
  readonly ttls: TtlBounds
  readonly keyPairId?: string
  readonly privateKeyFile?: string
}

export type CdnOverrides = Partial<CdnSettings>

const optionalString = (name: string) =>
  Config.option(Config.String(name)).pipe(
    Config.map(Option.filter((value) => value.trim() !== "")),
    Config.map(Option.map((value) => value.trim()))
  )

const invalid = (setting: string, reason: string) => new CdnConfigError({ setting, reason })

const seconds = (setting: string, fallback: number) =>
  Effect.gen(function* () {
    const text = yield* optionalString(setting)
    if (Option.isNone(text)) return fallback
    const ms = Units.parseDuration(text.value)
    if (ms === undefined)
      return yield* invalid(setting, `${JSON.stringify(text.value)} is not seconds or a duration (30s, 5m, 1d)`)
    return Math.round(ms / 1000)
  })

/** `a.example, B.example` → `["a.example", "b.example"]`; a value with a scheme, path or port is refused. */
export const parseDomains = (text: string): ReadonlyArray<string> | CdnConfigError => {
  const domains = text
    .split(",")
    .map((domain) => domain.trim().toLowerCase())
    .filter((domain) => domain !== "")
  const bad = domains.find(
    (domain) => !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(domain)
  )
  return bad === undefined
    ? domains
    : invalid("LOCALEX_CDN_DOMAINS", `${JSON.stringify(bad)} is not a host name (no scheme, port or path)`)
}

/** Checks TTL bounds as CloudFront does: min ≤ default ≤ max. */
export const checkTtls = (ttls: TtlBounds): CdnConfigError | undefined => {
  for (const [name, value] of Object.entries(ttls))
    if (!Number.isInteger(value) || value < 0)
      return invalid(name, `must be a whole number of seconds ≥ 0 (got ${value})`)
  if (ttls.minTTL > ttls.defaultTTL || ttls.defaultTTL > ttls.maxTTL)
    return invalid(
      "LOCALEX_CDN_MIN_TTL/DEFAULT_TTL/MAX_TTL",
      `need min ≤ default ≤ max (got ${ttls.minTTL}, ${ttls.defaultTTL}, ${ttls.maxTTL})`
    )
  return undefined
}

/** Reads and checks the CDN settings; a value that cannot work fails with `CdnConfigError`. */
export const loadCdnSettings = (overrides: CdnOverrides = {}): Effect.Effect<CdnSettings, CdnConfigError> =>
  Effect.gen(function* () {
    const distributionId =
      overrides.distributionId ?? Option.getOrUndefined(yield* optionalString("LOCALEX_CDN_DISTRIBUTION_ID"))
    const domainsText = yield* optionalString("LOCALEX_CDN_DOMAINS")
    const domains =
      overrides.domains ??
      (Option.isSome(domainsText) ? parseDomains(domainsText.value) : ([] as ReadonlyArray<string>))
    if (domains instanceof CdnConfigError) return yield* domains
    const base = yield* optionalString("LOCALEX_CDN_BASE_URL")
    const alias = yield* optionalString("LOCALEX_HTTP_CDN_BASE_URL")
    const baseUrl = overrides.baseUrl ?? Option.getOrUndefined(Option.orElse(base, () => alias))
    if (baseUrl !== undefined && !/^https?:\/\/[^/]+/.test(baseUrl))
      return yield* invalid("LOCALEX_CDN_BASE_URL", `${JSON.stringify(baseUrl)} is not an http(s) URL`)
    const ttls = overrides.ttls ?? {
      minTTL: yield* seconds("LOCALEX_CDN_MIN_TTL", DEFAULT_TTLS.minTTL),
      defaultTTL: yield* seconds("LOCALEX_CDN_DEFAULT_TTL", DEFAULT_TTLS.defaultTTL),
      maxTTL: yield* seconds("LOCALEX_CDN_MAX_TTL", DEFAULT_TTLS.maxTTL)
    }
    const bad = checkTtls(ttls)
    if (bad !== undefined) return yield* bad
    const keyPairId = overrides.keyPairId ?? Option.getOrUndefined(yield* optionalString("LOCALEX_CDN_KEY_PAIR_ID"))
    const privateKeyFile =
      overrides.privateKeyFile ?? Option.getOrUndefined(yield* optionalString("LOCALEX_CDN_PRIVATE_KEY_FILE"))
    return {
      ...(distributionId === undefined ? {} : { distributionId }),
      domains,
      ...(baseUrl === undefined ? {} : { baseUrl: baseUrl.replace(/\/+$/, "") }),
      ttls,
      ...(keyPairId === undefined ? {} : { keyPairId }),
      ...(privateKeyFile === undefined ? {} : { privateKeyFile })
    }
  }).pipe(
    Effect.catchTag("ConfigError", (error) => Effect.fail(invalid("environment", String(error.message ?? error))))
  )
