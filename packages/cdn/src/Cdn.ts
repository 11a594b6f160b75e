/**
 * The CDN service, with the operations guide's shape: `getCacheHeaders(key, ttls)`,
 * `invalidateCache(paths)`, `warmCache(keys)`, plus statistics, the settings review and signed
 * URLs/cookies. Without `LOCALEX_CDN_DISTRIBUTION_ID` it runs in local mode: the HTTP app is the
 * origin, invalidation has nothing to invalidate, statistics and the review need a distribution.
 */
import { GetDistributionCommand } from "@aws-sdk/client-cloudfront"
import type { StorageConfigError, StorageOverrides } from "@localex/storage-core"
import { Context, Effect, Layer } from "effect"
import * as CachePolicy from "./CachePolicy.js"
import { awsCall, CdnClients } from "./CdnClients.js"
import { type CdnOverrides, type CdnSettings, loadCdnSettings, type TtlBounds } from "./CdnConfig.js"
import {
  type CdnAwsError,
  type CdnConfigError,
  CdnNotConfigured,
  type InvalidationsThrottled,
  type InvalidationWaitTimedOut,
  type InvalidInvalidationPath,
  type SigningKeyError,
  type WarmTargetRefused
} from "./Errors.js"
import * as InvalidationPlan from "./InvalidationPlan.js"
import * as Invalidations from "./Invalidations.js"
import * as Signing from "./Signing.js"
import * as Statistics from "./Statistics.js"
import * as Warming from "./Warming.js"

export interface InvalidateOptions extends InvalidationPlan.PlanOptions, Invalidations.SubmitOptions {
  /** Plan and price only; send nothing. */
  readonly dryRun?: boolean
}

export interface InvalidationReport {
  readonly mode: "cloudfront" | "local"
  readonly distributionId?: string
  readonly dryRun: boolean
  readonly plan: InvalidationPlan.InvalidationPlan
  readonly invalidations: ReadonlyArray<Invalidations.SubmittedInvalidation>
  /** Why nothing was sent, when nothing was. */
  readonly note?: string
}

export interface StatsReport {
  readonly stats: Statistics.CdnStats
  readonly check: Statistics.DailyCheck
}

export class Cdn extends Context.Service<
  Cdn,
  {
    readonly settings: CdnSettings
    readonly getCacheHeaders: (key: string, ttls?: TtlBounds) => Readonly<Record<string, string>>
    readonly decide: (key: string, ttls?: TtlBounds) => CachePolicy.CacheDecision
    readonly planInvalidation: (
      paths: ReadonlyArray<string>,
      options?: InvalidationPlan.PlanOptions
    ) => Effect.Effect<InvalidationPlan.InvalidationPlan, InvalidInvalidationPath>
    readonly invalidateCache: (
      paths: ReadonlyArray<string>,
      options?: InvalidateOptions
    ) => Effect.Effect<
      InvalidationReport,
      InvalidInvalidationPath | CdnAwsError | InvalidationsThrottled | InvalidationWaitTimedOut
    >
    /** The host names warming may request. */
    readonly domains: Effect.Effect<ReadonlyArray<string>, CdnAwsError>
    readonly warmCache: (
      targets: ReadonlyArray<string>,
      options?: Warming.WarmOptions
    ) => Effect.Effect<Warming.WarmReport, WarmTargetRefused | CdnNotConfigured | CdnAwsError>
    readonly stats: (window: Statistics.Window) => Effect.Effect<StatsReport, CdnNotConfigured | CdnAwsError>
    readonly review: Effect.Effect<Statistics.Review, CdnNotConfigured | CdnAwsError>
    /** A signed URL for a URL, or for a key under the base URL. */
    readonly signUrl: (
      urlOrKey: string,
      expiresAt: Date
    ) => Effect.Effect<string, SigningKeyError | CdnNotConfigured | CdnAwsError>
    readonly signCookies: (
      resource: string,
      expiresAt: Date
    ) => Effect.Effect<Readonly<Record<string, string>>, SigningKeyError | CdnNotConfigured | CdnAwsError>
  }
>()("@localex/cdn/Cdn") {
  /** The service over given settings (clients from `CdnClients`). */
  static readonly layer = (settings: CdnSettings): Layer.Layer<Cdn, never, CdnClients> =>
    Layer.effect(Cdn, make(settings))

  /** Settings from LOCALEX_CDN_* (overrides win), clients from AWS_* (a program's region or profile wins). */
  static readonly layerConfig = (
    overrides: CdnOverrides = {},
    aws: Pick<StorageOverrides, "region" | "profile"> = {}
  ): Layer.Layer<Cdn, CdnConfigError | StorageConfigError> =>
    Layer.unwrap(Effect.map(loadCdnSettings(overrides), Cdn.layer)).pipe(Layer.provide(CdnClients.layerConfig(aws)))
}

const make = (settings: CdnSettings) =>
  Effect.gen(function* () {
    const { cloudfront, cloudwatch } = yield* CdnClients
    const needDistribution = (operation: string) =>
      settings.distributionId === undefined
        ? Effect.fail(new CdnNotConfigured({ operation, setting: "LOCALEX_CDN_DISTRIBUTION_ID" }))
        : Effect.succeed(settings.distributionId)

    const distribution = (id: string) =>
      awsCall("CloudFront.GetDistribution", (abortSignal) =>
        cloudfront.send(new GetDistributionCommand({ Id: id }), { abortSignal })
      ).pipe(
        Effect.map((answer) => ({
          domainName: answer.Distribution?.DomainName ?? "",
          aliases: answer.Distribution?.DistributionConfig?.Aliases?.Items ?? []
        }))
      )

    const domains: Effect.Effect<ReadonlyArray<string>, CdnAwsError> = Effect.suspend(() => {
      if (settings.domains.length > 0) return Effect.succeed(settings.domains)
      if (settings.distributionId !== undefined)
        return Effect.map(distribution(settings.distributionId), (d) =>
          [d.domainName, ...d.aliases].map((h) => h.toLowerCase())
        )
      return Effect.succeed(settings.baseUrl === undefined ? [] : [new URL(settings.baseUrl).hostname.toLowerCase()])
    })

    const baseUrl = (operation: string) =>
      settings.baseUrl !== undefined
        ? Effect.succeed(settings.baseUrl)
        : settings.distributionId !== undefined
          ? Effect.map(distribution(settings.distributionId), (d) => `https://${d.domainName}`)
          : Effect.fail(new CdnNotConfigured({ operation, setting: "LOCALEX_CDN_BASE_URL" }))

    const planInvalidation = (paths: ReadonlyArray<string>, options: InvalidationPlan.PlanOptions = {}) =>
      Effect.suspend(() => {
        const planned = InvalidationPlan.plan(paths, options)
        return "batches" in planned ? Effect.succeed(planned) : Effect.fail(planned)
      })

    const signingKey = Effect.suspend(() => Signing.loadSigningKey(settings.keyPairId, settings.privateKeyFile))

    return Cdn.of({
      settings,
      getCacheHeaders: (key, ttls = settings.ttls) => CachePolicy.getCacheHeaders(key, ttls),
      decide: (key, ttls = settings.ttls) => CachePolicy.decide(key, ttls),
      planInvalidation,
      invalidateCache: Effect.fn("Cdn.invalidateCache")(function* (paths, options = {}) {
        const plan = yield* planInvalidation(paths, options)
        const dryRun = options.dryRun === true
        if (settings.distributionId === undefined)
          return {
            mode: "local" as const,
            dryRun,
            plan,
            invalidations: [],
            note: "nothing to invalidate: no CloudFront distribution is configured (LOCALEX_CDN_DISTRIBUTION_ID); the HTTP app serves with the cache policy"
          }
        const base = { mode: "cloudfront" as const, distributionId: settings.distributionId, dryRun, plan }
        if (dryRun) return { ...base, invalidations: [], note: "dry run: nothing was sent" }
        if (plan.paths.length === 0) return { ...base, invalidations: [], note: "no paths: nothing was sent" }
        const invalidations = yield* Invalidations.submit(cloudfront, settings.distributionId, plan, options)
        return { ...base, invalidations }
      }),
      domains,
      warmCache: Effect.fn("Cdn.warmCache")(function* (targets, options = {}) {
        const allowed = yield* domains
        const resolved = Warming.resolveTargets(targets, yield* baseUrl("cache warming"), allowed)
        if (!Array.isArray(resolved)) return yield* resolved as WarmTargetRefused
        return yield* Warming.warm(resolved as ReadonlyArray<Warming.WarmTarget>, allowed, options)
      }),
      stats: Effect.fn("Cdn.stats")(function* (window) {
        const id = yield* needDistribution("CDN statistics")
        const stats = yield* Statistics.collect(cloudwatch, id, window)
        return { stats, check: Statistics.dailyCheck(stats) }
      }),
      review: Effect.flatMap(needDistribution("the distribution review"), (id) => Statistics.review(cloudfront, id)),
      signUrl: Effect.fn("Cdn.signUrl")(function* (urlOrKey, expiresAt) {
        const key = yield* signingKey
        const url = /^https?:\/\//i.test(urlOrKey)
          ? urlOrKey
          : Warming.urlOfKey(yield* baseUrl("URL signing"), urlOrKey)
        return yield* Signing.signUrl(key, url, expiresAt)
      }),
      signCookies: Effect.fn("Cdn.signCookies")(function* (resource, expiresAt) {
        const key = yield* signingKey
        const url = /^https?:\/\//i.test(resource)
          ? resource
          : `${yield* baseUrl("cookie signing")}/${resource.replace(/^\/+/, "")}`
        return yield* Signing.signCookies(key, url, expiresAt)
      })
    })
  })
