/**
 * `@localex/cdn/promise`: the CDN as the operations guide shows it, for code that does not use
 * Effect: `getCacheHeaders` (pure, synchronous), `warmCache`, `invalidateCache`, statistics, the
 * review and signing as async methods. A failed call rejects with the package's own error classes.
 */
import type { StorageOverrides } from "@localex/storage-core"
import { type CallOptions, type Plain, serviceRuntime } from "@localex/storage-core/promise"
import { Effect, Layer } from "effect"
import * as CachePolicy from "../CachePolicy.js"
import { Cdn, type InvalidateOptions, type InvalidationReport, type StatsReport } from "../Cdn.js"
import { CdnClients } from "../CdnClients.js"
import { type CdnOverrides, type CdnSettings, loadCdnSettings, type TtlBounds } from "../CdnConfig.js"
import type { Review, Window } from "../Statistics.js"
import type { WarmOptions, WarmReport } from "../Warming.js"

export type { CallOptions, Plain } from "@localex/storage-core/promise"
export type { CacheDecision } from "../CachePolicy.js"
export type { InvalidateOptions, InvalidationReport, StatsReport } from "../Cdn.js"
export { type CdnOverrides, type CdnSettings, DEFAULT_TTLS, type TtlBounds } from "../CdnConfig.js"
export * from "../Errors.js"
export type { Review, Window } from "../Statistics.js"
export type { WarmOptions, WarmReport } from "../Warming.js"

/** The CDN settings (omitted ones from LOCALEX_CDN_*) and the AWS region/profile of the CloudFront clients. */
export interface CdnServiceSettings extends CdnOverrides, Pick<StorageOverrides, "region" | "profile"> {}

export interface CdnService extends AsyncDisposable {
  /** The settings in use (overrides over the environment). */
  readonly settings: CdnSettings
  /** The Cache-Control (and related) headers for a key; pure, so synchronous. Default bounds: the settings'. */
  readonly getCacheHeaders: (key: string, ttls?: TtlBounds) => Readonly<Record<string, string>>
  /** Which rule applies to a key and the TTL it gets; pure, so synchronous. */
  readonly decide: (key: string, ttls?: TtlBounds) => CachePolicy.CacheDecision
  /** Plans (batches, wildcards, cost) and, with a distribution, sends the invalidations; local mode sends nothing. */
  readonly invalidateCache: (
    paths: ReadonlyArray<string>,
    options?: Plain<InvalidateOptions> & CallOptions
  ) => Promise<InvalidationReport>
  /** Requests keys or URLs through the CDN so the first visitors hit a warm cache. */
  readonly warmCache: (targets: ReadonlyArray<string>, options?: WarmOptions & CallOptions) => Promise<WarmReport>
  /** The distribution's CloudWatch figures over a window, with the daily check. */
  readonly getStats: (window: Window, options?: CallOptions) => Promise<StatsReport>
  /** The distribution's settings judged against the guide's. */
  readonly review: (options?: CallOptions) => Promise<Review>
  /** A signed CloudFront URL for a URL, or for a key under the base URL. */
  readonly signUrl: (urlOrKey: string, expiresAt: Date, options?: CallOptions) => Promise<string>
  /** Signed CloudFront cookies for a resource (a URL pattern, or a path under the base URL). */
  readonly signCookies: (
    resource: string,
    expiresAt: Date,
    options?: CallOptions
  ) => Promise<Readonly<Record<string, string>>>
  readonly close: () => Promise<void>
}

/** Reads the settings now (a bad LOCALEX_CDN_* value throws `CdnConfigError` here), so `getCacheHeaders` can stay synchronous. */
export const createCdnService = (serviceSettings: CdnServiceSettings = {}): CdnService => {
  const { region, profile, ...overrides } = serviceSettings
  const settings = Effect.runSync(loadCdnSettings(overrides))
  const aws = { ...(region === undefined ? {} : { region }), ...(profile === undefined ? {} : { profile }) }
  const { run, close } = serviceRuntime(Cdn.layer(settings).pipe(Layer.provide(CdnClients.layerConfig(aws))))
  const cdn = <A, E>(f: (service: Cdn["Service"]) => Effect.Effect<A, E>, options: CallOptions = {}) =>
    run(Effect.flatMap(Cdn, f), options)
  return {
    settings,
    getCacheHeaders: (key, ttls = settings.ttls) => CachePolicy.getCacheHeaders(key, ttls),
    decide: (key, ttls = settings.ttls) => CachePolicy.decide(key, ttls),
    invalidateCache: (paths, { signal, ...options } = {}) => cdn((c) => c.invalidateCache(paths, options), { signal }),
    warmCache: (targets, { signal, ...options } = {}) => cdn((c) => c.warmCache(targets, options), { signal }),
    getStats: (window, options) => cdn((c) => c.stats(window), options),
    review: (options) => cdn((c) => c.review, options),
    signUrl: (urlOrKey, expiresAt, options) => cdn((c) => c.signUrl(urlOrKey, expiresAt), options),
    signCookies: (resource, expiresAt, options) => cdn((c) => c.signCookies(resource, expiresAt), options),
    close,
    [Symbol.asyncDispose]: close
  }
}
