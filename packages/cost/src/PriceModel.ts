/**
 * The price model: AWS's published S3 and CloudFront list prices as data, with the date they
 * apply from and where they were taken. The built-in table (`awsPrices`, internal/awsPrices.ts)
 * covers us-east-1 and eu-central-1; a JSON file of the same shape replaces it
 * (`loadPriceFile`, the `LOCALEX_COST_PRICES` variable), checked by Schema before any use.
 *
 * Units are AWS's: a "GB" is 2^30 bytes (S3 and CloudFront bill binary gigabytes), storage is
 * per GB-month, requests per 1,000 (CloudFront: per 10,000).
 */
import { Effect, Schema } from "effect"
import { awsPrices } from "./internal/awsPrices.js"
import { readJsonFile } from "./internal/jsonFile.js"

/** The bytes AWS calls a GB. */
export const GB = 2 ** 30

const Price = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const Count = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

/** One step of a tiered price: this price applies up to `upToGb` (cumulative), null for the last step. */
export const PriceTier = Schema.Struct({ upToGb: Schema.NullOr(Count), perGb: Price })
export type PriceTier = typeof PriceTier.Type

/** Tiers in ascending order, the last one open (upToGb null). */
const Tiers = Schema.Array(PriceTier).check(
  Schema.makeFilter((tiers) => {
    if (tiers.length === 0) return "needs at least one tier"
    if (tiers[tiers.length - 1]?.upToGb !== null) return "the last tier must be open (upToGb: null)"
    for (let i = 1; i < tiers.length; i++) {
      const previous = tiers[i - 1]?.upToGb
      const current = tiers[i]?.upToGb
      if (previous === null || previous === undefined) return "only the last tier may be open"
      if (current !== null && current !== undefined && current <= previous) return "tiers must ascend"
    }
    return undefined
  })
)

/** The S3 storage classes priced, by their API names. */
export const StorageClassName = Schema.Literals([
  "STANDARD",
  "INTELLIGENT_TIERING",
  "STANDARD_IA",
  "ONEZONE_IA",
  "GLACIER_IR",
  "GLACIER",
  "DEEP_ARCHIVE"
])
export type StorageClassName = typeof StorageClassName.Type

export const StorageClassPrices = Schema.Struct({
  /** Per GB-month. For INTELLIGENT_TIERING, the Frequent Access tier. */
  storage: Tiers,
  /** PUT, COPY, POST, LIST per 1,000. */
  putPer1000: Price,
  /** GET, SELECT and all other requests per 1,000. */
  getPer1000: Price,
  /** A lifecycle transition into this class, per 1,000 objects. */
  transitionPer1000: Price,
  /** Data retrieved, per GB (the standard retrieval option for the Glacier classes). */
  retrievalPerGb: Price,
  /** Days an object is billed for at least (deleted, overwritten or transitioned earlier). */
  minimumDays: Count,
  /** Objects smaller than this are billed as this size (128 KiB for the IA classes). */
  minimumBillableBytes: Count,
  /** Metadata each object adds, billed at this class's storage price (32 KiB for GLACIER, DEEP_ARCHIVE). */
  overheadBytes: Count,
  /** Metadata each object adds, billed at STANDARD's price (8 KiB for GLACIER, DEEP_ARCHIVE). */
  standardOverheadBytes: Count
})
export type StorageClassPrices = typeof StorageClassPrices.Type

export const IntelligentTieringPrices = Schema.Struct({
  /** Per GB-month, after 30 days without access. */
  infrequentPerGb: Price,
  /** Per GB-month, after 90 days without access. */
  archiveInstantPerGb: Price,
  /** Opt-in tiers (a tiering configuration), per GB-month. */
  archiveAccessPerGb: Price,
  deepArchiveAccessPerGb: Price,
  /** Monitoring and automation, per 1,000 objects a month (objects of at least `minimumMonitoredBytes`). */
  monitoringPer1000Objects: Price,
  /** Smaller objects are not monitored: Frequent Access price, no monitoring fee. */
  minimumMonitoredBytes: Count
})
export type IntelligentTieringPrices = typeof IntelligentTieringPrices.Type

export const RegionPrices = Schema.Struct({
  storageClasses: Schema.Struct({
    STANDARD: StorageClassPrices,
    INTELLIGENT_TIERING: StorageClassPrices,
    STANDARD_IA: StorageClassPrices,
    ONEZONE_IA: StorageClassPrices,
    GLACIER_IR: StorageClassPrices,
    GLACIER: StorageClassPrices,
    DEEP_ARCHIVE: StorageClassPrices
  }),
  intelligentTiering: IntelligentTieringPrices,
  /** S3 to the internet. S3 to CloudFront is free. */
  dataTransferOut: Schema.Struct({
    /** Free each month (AWS: 100 GB, shared by all services of the account). */
    freeGb: Count,
    tiers: Tiers
  }),
  /** CloudFront, for viewers near the region (the price class's first region). */
  cloudFront: Schema.Struct({
    /** Always-free tier: 1 TB and 10 million requests a month. */
    freeGb: Count,
    freeRequests: Count,
    tiers: Tiers,
    httpsPer10000: Price,
    httpPer10000: Price
  })
})
export type RegionPrices = typeof RegionPrices.Type

export const PriceModel = Schema.Struct({
  currency: Schema.Literal("USD"),
  /** The date (YYYY-MM-DD) these prices apply from. */
  effectiveDate: Schema.String.check(Schema.isPattern(/^\d{4}-\d{2}-\d{2}$/)),
  /** Where they were taken (URLs), and when. */
  source: Schema.String.check(Schema.isMinLength(1)),
  regions: Schema.Record(Schema.String, RegionPrices)
})
export type PriceModel = typeof PriceModel.Type

/** A price file that cannot be read or does not decode. */
export class PricesInvalid extends Schema.TaggedError<PricesInvalid>()("PricesInvalid", {
  source: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `The price file ${this.source} is not valid: ${this.reason}. Fix it or unset LOCALEX_COST_PRICES to use the built-in AWS prices.`
  }
}

/** The price model has no prices for the bucket's region. */
export class RegionNotPriced extends Schema.TaggedError<RegionNotPriced>()("RegionNotPriced", {
  region: Schema.String,
  priced: Schema.Array(Schema.String)
}) {
  override get message() {
    return `No prices for region ${this.region} (priced: ${this.priced.join(", ")}). Add it to a price file (LOCALEX_COST_PRICES).`
  }
}

/** The built-in AWS list prices. */
export const defaultPrices: PriceModel = awsPrices

const decode = Schema.decodeUnknownEffect(PriceModel)

export const decodePrices = (input: unknown, source = "given") =>
  decode(input).pipe(Effect.mapError((error) => new PricesInvalid({ source, reason: error.message })))

/** Reads and checks a JSON price file (the whole model: every region it prices). */
export const loadPriceFile = Effect.fn("PriceModel.loadPriceFile")(function* (path: string) {
  const json = yield* readJsonFile(path, (reason) => new PricesInvalid({ source: path, reason }))
  return yield* decodePrices(json, path)
})

/** The prices of one region. */
export const regionPrices = (model: PriceModel, region: string): Effect.Effect<RegionPrices, RegionNotPriced> => {
  const prices = model.regions[region]
  return prices === undefined
    ? Effect.fail(new RegionNotPriced({ region, priced: Object.keys(model.regions) }))
    : Effect.succeed(prices)
}

/** The cost of `gb` under tiered prices, each tier's price on the part of `gb` that falls in it. */
export const tieredCost = (gb: number, tiers: ReadonlyArray<PriceTier>): number => {
  let cost = 0
  let floor = 0
  for (const tier of tiers) {
    const ceiling = tier.upToGb ?? Number.POSITIVE_INFINITY
    if (gb <= floor) break
    cost += (Math.min(gb, ceiling) - floor) * tier.perGb
    floor = ceiling
  }
  return cost
}

/** The classes the model prices; an unknown class (an engine's own, e.g. Ceph's COLD) is not among them. */
export const isPricedClass = (name: string): name is StorageClassName =>
  (StorageClassName.literals as ReadonlyArray<string>).includes(name)

/** Rounds to cents for display and comparisons (the computations keep full precision). */
export const cents = (usd: number): number => Math.round(usd * 100) / 100
