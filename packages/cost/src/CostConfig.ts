/**
 * The cost package's settings, read from the environment in this one place (apps pass their
 * flags as overrides, which win).
 *
 * | variable                  | default                                     |
 * | ------------------------- | ------------------------------------------- |
 * | LOCALEX_COST_PRICES       | (the built-in AWS prices) a JSON price file |
 * | LOCALEX_COST_REGION       | AWS_REGION / AWS_DEFAULT_REGION, us-east-1  |
 * | LOCALEX_COST_CACHE_TTL    | 6h (Cost Explorer answers kept in the store)|
 * | LOCALEX_COST_ACCOUNT_ID   | (asked of STS) the account budgets live in  |
 *
 * The AWS clients themselves (Cost Explorer, Budgets, STS) take storage-core's `AwsSettings`:
 * `AWS_ENDPOINT_URL_COST_EXPLORER`, `AWS_ENDPOINT_URL_BUDGETS`, `AWS_ENDPOINT_URL_STS`, else
 * `AWS_ENDPOINT_URL`; `AWS_PROFILE`; the credential chain.
 */
import { Units } from "@localex/storage-core"
import { Config, Effect, Option, Schema } from "effect"
import {
  defaultPrices,
  loadPriceFile,
  type PriceModel,
  type PricesInvalid,
  type RegionNotPriced,
  type RegionPrices,
  regionPrices
} from "./PriceModel.js"

export interface CostSettings {
  readonly pricesFile: string | undefined
  /** The region whose prices apply (the bucket's). */
  readonly region: string
  /** How long a cached Cost Explorer answer is used, in ms. */
  readonly cacheTtlMs: number
  readonly accountId: string | undefined
}

export type CostOverrides = Partial<CostSettings>

/** A setting that cannot work. */
export class CostConfigError extends Schema.TaggedError<CostConfigError>()("CostConfigError", {
  setting: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.setting}: ${this.reason}`
  }
}

const optional = (name: string) => Config.option(Config.String(name))

export const loadCostSettings = (overrides: CostOverrides = {}): Effect.Effect<CostSettings, CostConfigError> =>
  Effect.gen(function* () {
    const env = yield* Config.all({
      prices: optional("LOCALEX_COST_PRICES"),
      region: optional("LOCALEX_COST_REGION"),
      awsRegion: optional("AWS_REGION"),
      defaultRegion: optional("AWS_DEFAULT_REGION"),
      ttl: optional("LOCALEX_COST_CACHE_TTL"),
      account: optional("LOCALEX_COST_ACCOUNT_ID")
    })
    const ttlText = Option.getOrElse(env.ttl, () => "6h")
    const cacheTtlMs = overrides.cacheTtlMs ?? Units.parseDuration(ttlText)
    if (cacheTtlMs === undefined)
      return yield* new CostConfigError({
        setting: "LOCALEX_COST_CACHE_TTL",
        reason: `${JSON.stringify(ttlText)} is not a duration (e.g. 6h, 30m, 0 to always ask Cost Explorer)`
      })
    const accountId = overrides.accountId ?? Option.getOrUndefined(env.account)
    if (accountId !== undefined && !/^\d{12}$/.test(accountId))
      return yield* new CostConfigError({
        setting: "LOCALEX_COST_ACCOUNT_ID",
        reason: "an AWS account id is 12 digits"
      })
    return {
      pricesFile: overrides.pricesFile ?? Option.getOrUndefined(env.prices),
      region:
        overrides.region ??
        Option.getOrUndefined(env.region) ??
        Option.getOrUndefined(env.awsRegion) ??
        Option.getOrElse(env.defaultRegion, () => "us-east-1"),
      cacheTtlMs,
      accountId
    }
  }).pipe(
    Effect.catchTag("ConfigError", (error) =>
      Effect.fail(new CostConfigError({ setting: "environment", reason: String(error.message ?? error) }))
    )
  )

/** The price model the settings name: the file, else the built-in AWS prices. */
export const loadPrices = (settings: CostSettings): Effect.Effect<PriceModel, PricesInvalid> =>
  settings.pricesFile === undefined ? Effect.succeed(defaultPrices) : loadPriceFile(settings.pricesFile)

/** The price model and the prices of the settings' region. */
export const loadRegionPrices = (
  settings: CostSettings
): Effect.Effect<
  { readonly model: PriceModel; readonly prices: RegionPrices; readonly region: string },
  PricesInvalid | RegionNotPriced
> =>
  Effect.gen(function* () {
    const model = yield* loadPrices(settings)
    return { model, prices: yield* regionPrices(model, settings.region), region: settings.region }
  })
