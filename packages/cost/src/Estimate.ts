/**
 * The monthly cost of the bucket, from monitoring's storage statistics and the month's request
 * volumes (given as data: from CloudWatch metrics, access logs, or a guess), broken down as the
 * operations guide's cost metrics: storage, requests, data transfer, CDN, and the total.
 *
 * Pure: prices in, statistics in, dollars out. What the statistics cannot tell is priced on
 * the safe side and said in `assumptions`.
 */
import type { StorageStats } from "@localex/monitoring"
import { Effect, Schema } from "effect"
import { readJsonFile } from "./internal/jsonFile.js"
import {
  GB,
  isPricedClass,
  type PriceModel,
  type RegionPrices,
  type StorageClassName,
  tieredCost
} from "./PriceModel.js"

/** A month of traffic. Every field defaults to 0. */
export interface RequestVolumes {
  /** CloudFront requests answered from its cache (for the hit-ratio advice). */
  readonly cdnHits?: number
  /** PUT, COPY, POST and LIST requests to the bucket. */
  readonly putRequests?: number
  /** GET and other requests to the bucket (not those CloudFront answers from its cache). */
  readonly getRequests?: number
  /** Bytes the bucket sends straight to the internet (S3 to CloudFront is free). */
  readonly dataTransferOutBytes?: number
  /** CloudFront: bytes it delivers to viewers and requests it answers. */
  readonly cdnBytesOut?: number
  readonly cdnRequests?: number
  /** Share of CloudFront requests over HTTPS (0–1). Default 1. */
  readonly cdnHttpsShare?: number
}

export type CostCategory = "storage" | "requests" | "dataTransfer" | "cdn"

export interface CostLine {
  readonly category: CostCategory
  readonly item: string
  readonly quantity: number
  /** What `quantity` counts: "GB-month", "requests", "GB", "objects". */
  readonly unit: string
  readonly usd: number
}

/** The guide's cost metrics, in USD a month. */
export interface CostMetrics {
  readonly storage: number
  readonly requests: number
  readonly dataTransfer: number
  readonly cdn: number
  readonly total: number
}

export interface Estimate {
  readonly region: string
  readonly location: string
  readonly prices: { readonly effectiveDate: string; readonly source: string }
  readonly metrics: CostMetrics
  readonly lines: ReadonlyArray<CostLine>
  /** How figures the statistics cannot tell were priced. */
  readonly assumptions: ReadonlyArray<string>
}

const sum = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0)

/** STANDARD's price for `extraGb` on top of `baseGb` (the volume steps apply to the class's whole usage). */
const standardCost = (prices: RegionPrices, baseGb: number, extraGb: number) =>
  tieredCost(baseGb + extraGb, prices.storageClasses.STANDARD.storage) -
  tieredCost(baseGb, prices.storageClasses.STANDARD.storage)

const storageLines = (stats: StorageStats, prices: RegionPrices, assumptions: Array<string>): Array<CostLine> => {
  const lines: Array<CostLine> = []
  // Everything billed at STANDARD's price, summed first so that its volume steps apply once.
  const standardParts: Array<{ item: string; bytes: number; objects: number }> = []
  for (const entry of stats.byStorageClass) {
    const name = entry.storageClass
    if (!isPricedClass(name)) {
      assumptions.push(`storage class ${name} is not in the price model: priced as STANDARD`)
      standardParts.push({ item: `${name} (as STANDARD)`, bytes: entry.bytes, objects: entry.objects })
      continue
    }
    if (name === "STANDARD") {
      standardParts.push({ item: "STANDARD", bytes: entry.bytes, objects: entry.objects })
      continue
    }
    const classPrices = prices.storageClasses[name as StorageClassName]
    const gb = (entry.bytes + entry.objects * classPrices.overheadBytes) / GB
    lines.push({
      category: "storage",
      item: name,
      quantity: gb,
      unit: "GB-month",
      usd: tieredCost(gb, classPrices.storage)
    })
    if (classPrices.standardOverheadBytes > 0)
      standardParts.push({
        item: `${name} metadata (${classPrices.standardOverheadBytes} B an object at STANDARD)`,
        bytes: entry.objects * classPrices.standardOverheadBytes,
        objects: 0
      })
    if (name === "INTELLIGENT_TIERING") {
      assumptions.push(
        "INTELLIGENT_TIERING objects are priced at the Frequent Access tier and all pay the monitoring fee (the statistics do not show their tiers or which are under 128 KiB)"
      )
      lines.push({
        category: "storage",
        item: "INTELLIGENT_TIERING monitoring",
        quantity: entry.objects,
        unit: "objects",
        usd: (entry.objects / 1000) * prices.intelligentTiering.monitoringPer1000Objects
      })
    }
    if (classPrices.minimumBillableBytes > 0)
      assumptions.push(
        `${name} objects under ${classPrices.minimumBillableBytes} B are billed as that size; the estimate uses their real size`
      )
  }
  if (stats.versions !== null && stats.versions.noncurrentBytes > 0) {
    assumptions.push("noncurrent versions are priced as STANDARD")
    standardParts.push({
      item: "noncurrent versions",
      bytes: stats.versions.noncurrentBytes,
      objects: stats.versions.noncurrentVersions
    })
  }
  if (stats.multipartUploads !== null && stats.multipartUploads.bytes > 0)
    standardParts.push({
      item: "incomplete multipart uploads",
      bytes: stats.multipartUploads.bytes,
      objects: stats.multipartUploads.uploads
    })
  let base = 0
  for (const part of standardParts) {
    const gb = part.bytes / GB
    lines.push({
      category: "storage",
      item: part.item,
      quantity: gb,
      unit: "GB-month",
      usd: standardCost(prices, base, gb)
    })
    base += gb
  }
  return lines
}

const requestLines = (volumes: RequestVolumes, prices: RegionPrices): Array<CostLine> => {
  const standard = prices.storageClasses.STANDARD
  const puts = volumes.putRequests ?? 0
  const gets = volumes.getRequests ?? 0
  return [
    {
      category: "requests",
      item: "PUT, COPY, POST, LIST",
      quantity: puts,
      unit: "requests",
      usd: (puts / 1000) * standard.putPer1000
    },
    {
      category: "requests",
      item: "GET and others",
      quantity: gets,
      unit: "requests",
      usd: (gets / 1000) * standard.getPer1000
    }
  ]
}

const transferLines = (volumes: RequestVolumes, prices: RegionPrices): Array<CostLine> => {
  const outGb = (volumes.dataTransferOutBytes ?? 0) / GB
  const billedOut = Math.max(0, outGb - prices.dataTransferOut.freeGb)
  const cf = prices.cloudFront
  const cdnGb = (volumes.cdnBytesOut ?? 0) / GB
  const cdnRequests = volumes.cdnRequests ?? 0
  const https = Math.min(1, Math.max(0, volumes.cdnHttpsShare ?? 1))
  const billedRequests = Math.max(0, cdnRequests - cf.freeRequests)
  return [
    {
      category: "dataTransfer",
      item: `S3 to the internet (first ${prices.dataTransferOut.freeGb} GB free)`,
      quantity: outGb,
      unit: "GB",
      usd: tieredCost(billedOut, prices.dataTransferOut.tiers)
    },
    {
      category: "cdn",
      item: `CloudFront to viewers (first ${cf.freeGb} GB free)`,
      quantity: cdnGb,
      unit: "GB",
      usd: tieredCost(Math.max(0, cdnGb - cf.freeGb), cf.tiers)
    },
    {
      category: "cdn",
      item: `CloudFront requests (first ${cf.freeRequests} free)`,
      quantity: cdnRequests,
      unit: "requests",
      usd: (billedRequests / 10_000) * (https * cf.httpsPer10000 + (1 - https) * cf.httpPer10000)
    }
  ]
}

const metricsOf = (lines: ReadonlyArray<CostLine>): CostMetrics => {
  const of = (category: CostCategory) => sum(lines.filter((l) => l.category === category).map((l) => l.usd))
  const storage = of("storage")
  const requests = of("requests")
  const dataTransfer = of("dataTransfer")
  const cdn = of("cdn")
  return { storage, requests, dataTransfer, cdn, total: storage + requests + dataTransfer + cdn }
}

/** The month's cost of what the statistics show, plus the given traffic, at `prices` (one region's). */
export const estimate = (
  stats: StorageStats,
  model: PriceModel,
  prices: RegionPrices,
  region: string,
  volumes: RequestVolumes = {}
): Estimate => {
  const assumptions: Array<string> = []
  if (stats.multipartUploads === null) assumptions.push("incomplete multipart uploads unknown (not counted)")
  if (stats.versions === null) assumptions.push("noncurrent versions unknown (not counted)")
  const lines = [
    ...storageLines(stats, prices, assumptions),
    ...requestLines(volumes, prices),
    ...transferLines(volumes, prices)
  ]
  return {
    region,
    location: stats.location,
    prices: { effectiveDate: model.effectiveDate, source: model.source },
    metrics: metricsOf(lines),
    lines,
    assumptions
  }
}

const Volume = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

/** A traffic file: the `RequestVolumes` of a month, as JSON. */
export const TrafficFile = Schema.Struct({
  putRequests: Schema.optionalKey(Volume),
  getRequests: Schema.optionalKey(Volume),
  dataTransferOutBytes: Schema.optionalKey(Volume),
  cdnBytesOut: Schema.optionalKey(Volume),
  cdnRequests: Schema.optionalKey(Volume),
  cdnHits: Schema.optionalKey(Volume),
  cdnHttpsShare: Schema.optionalKey(Volume.check(Schema.isLessThanOrEqualTo(1)))
})

const decodeTraffic = Schema.decodeUnknownEffect(TrafficFile)

/** A traffic file that cannot be read or does not decode. */
export class TrafficInvalid extends Schema.TaggedError<TrafficInvalid>()("TrafficInvalid", {
  source: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `The traffic file ${this.source} is not valid: ${this.reason}`
  }
}

/** Reads and checks a traffic file. */
export const loadTrafficFile = Effect.fn("Estimate.loadTrafficFile")(function* (path: string) {
  const json = yield* readJsonFile(path, (reason) => new TrafficInvalid({ source: path, reason }))
  const volumes: RequestVolumes = yield* decodeTraffic(json).pipe(
    Effect.mapError((error) => new TrafficInvalid({ source: path, reason: error.message }))
  )
  return volumes
})
