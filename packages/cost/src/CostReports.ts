/**
 * The operations guide's Cost Explorer reports:
 * - `daily`: the last 7 days, day by day, BlendedCost grouped by service
 *   (`aws ce get-cost-and-usage --granularity DAILY --group-by Type=DIMENSION,Key=SERVICE`);
 * - `monthly`: the previous month's BlendedCost of S3 only (`--filter` SERVICE = Amazon Simple
 *   Storage Service);
 * either grouped by service or by usage type instead, over any `since`/`until`; with the trend
 * against the period just before, of the same length.
 *
 * Every Cost Explorer request costs $0.01, so answers are cached in the store, under
 * `_localex/cache/cost-explorer/` (one object per query): every runner of the bucket (CLI, cron,
 * HTTP) shares them, and they stay out of statistics and clean-ups like the project's other
 * objects. An answer younger than the TTL (`LOCALEX_COST_CACHE_TTL`, 6 h) is used; `refresh`
 * asks again. Cache writes are conditional (create-only, or replace-if-unchanged), so two
 * runners refreshing at once never overwrite each other's newer answer.
 */
import { createHash } from "node:crypto"
import { Keys, ObjectStore, type StoreError } from "@localex/storage-core"
import { Clock, Context, Effect, Layer, Schema, Stream } from "effect"
import {
  type CostAnswer,
  CostExplorer,
  type CostExplorerError,
  type CostGroup,
  type CostPeriod,
  type CostQuery,
  type Dimension
} from "./CostExplorer.js"

export type ReportKind = "daily" | "monthly"
export type GroupBy = "service" | "usage-type"

export interface ReportRequest {
  readonly kind: ReportKind
  /** Default: daily by service; monthly not grouped (S3 only). */
  readonly groupBy?: GroupBy
  /** Default: daily 7 days before `until`; monthly the month before `until`'s. */
  readonly since?: Date
  /** Exclusive. Default: daily today (UTC); monthly the first day of this month. */
  readonly until?: Date
  /** Ask Cost Explorer even when the cache holds a fresh answer. */
  readonly refresh?: boolean
}

export interface Trend {
  readonly previous: { readonly start: string; readonly end: string; readonly amount: number }
  /** amount − previous amount. */
  readonly change: number
  /** change / previous amount; null when the previous period cost nothing. */
  readonly changeRatio: number | null
}

export interface CostReport {
  readonly kind: ReportKind
  readonly query: CostQuery
  readonly periods: ReadonlyArray<CostPeriod>
  readonly amount: number
  readonly unit: string
  /** Summed over the periods, largest first (empty when not grouped). */
  readonly groups: ReadonlyArray<CostGroup>
  readonly trend: Trend
  readonly source: {
    /** Cost Explorer requests this report sent (each billed $0.01); 0 when both answers came from the cache. */
    readonly requests: number
    readonly cached: boolean
    /** When the report's own answer was fetched from Cost Explorer. */
    readonly fetchedAt: string
  }
}

/** The period asked for is empty or reversed. */
export class ReportPeriodInvalid extends Schema.TaggedError<ReportPeriodInvalid>()("ReportPeriodInvalid", {
  start: Schema.String,
  end: Schema.String
}) {
  override get message() {
    return `The report period ${this.start} to ${this.end} is empty: --since must be before --until`
  }
}

export const S3_SERVICE = "Amazon Simple Storage Service"
export const CACHE_PREFIX = `${Keys.RESERVED_PREFIX}cache/cost-explorer/`
const METRIC = "BlendedCost"
const DAY = 86_400_000

const isoDay = (time: Date) => time.toISOString().slice(0, 10)
const utcDay = (time: Date) => new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate()))
const monthStart = (time: Date, shift = 0) => new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth() + shift, 1))
const isMonthStart = (day: string) => day.endsWith("-01")

/** The Cost Explorer query of a report (pure). */
export const queryFor = (request: ReportRequest, now: Date): Effect.Effect<CostQuery, ReportPeriodInvalid> => {
  const daily = request.kind === "daily"
  const end = request.until !== undefined ? utcDay(request.until) : daily ? utcDay(now) : monthStart(now)
  const start =
    request.since !== undefined
      ? utcDay(request.since)
      : daily
        ? new Date(end.getTime() - 7 * DAY)
        : monthStart(new Date(end.getTime() - DAY))
  const groupBy = request.groupBy ?? (daily ? "service" : undefined)
  const dimension: Dimension | undefined =
    groupBy === undefined ? undefined : groupBy === "service" ? "SERVICE" : "USAGE_TYPE"
  if (start.getTime() >= end.getTime())
    return Effect.fail(new ReportPeriodInvalid({ start: isoDay(start), end: isoDay(end) }))
  return Effect.succeed({
    start: isoDay(start),
    end: isoDay(end),
    granularity: daily ? "DAILY" : "MONTHLY",
    metric: METRIC,
    groupBy: dimension,
    services: daily ? undefined : [S3_SERVICE]
  })
}

/** The period just before, as long: whole months back for a month-aligned period, else days. */
export const previousQuery = (query: CostQuery): CostQuery => {
  const start = new Date(`${query.start}T00:00:00Z`)
  const end = new Date(`${query.end}T00:00:00Z`)
  if (isMonthStart(query.start) && isMonthStart(query.end)) {
    const months = (end.getUTCFullYear() - start.getUTCFullYear()) * 12 + (end.getUTCMonth() - start.getUTCMonth())
    return { ...query, start: isoDay(monthStart(start, -months)), end: query.start }
  }
  return { ...query, start: isoDay(new Date(start.getTime() - (end.getTime() - start.getTime()))), end: query.start }
}

const total = (periods: ReadonlyArray<CostPeriod>) => periods.reduce((sum, p) => sum + p.amount, 0)

const sumGroups = (periods: ReadonlyArray<CostPeriod>): Array<CostGroup> => {
  const sums = new Map<string, number>()
  for (const period of periods) for (const g of period.groups) sums.set(g.key, (sums.get(g.key) ?? 0) + g.amount)
  return [...sums]
    .map(([key, amount]) => ({ key, amount }))
    .sort((a, b) => b.amount - a.amount || (a.key < b.key ? -1 : 1))
}

const CacheEntry = Schema.Struct({
  version: Schema.Literal(1),
  endpoint: Schema.String,
  query: Schema.Unknown,
  fetchedAt: Schema.String,
  periods: Schema.Array(
    Schema.Struct({
      start: Schema.String,
      end: Schema.String,
      amount: Schema.Number,
      unit: Schema.String,
      estimated: Schema.Boolean,
      groups: Schema.Array(Schema.Struct({ key: Schema.String, amount: Schema.Number }))
    })
  )
})
const decodeEntry = Schema.decodeUnknownOption(Schema.fromJsonString(CacheEntry))

/** The cache object of a query: the same query to the same endpoint, the same key. */
export const cacheKey = (endpoint: string, query: CostQuery): string =>
  `${CACHE_PREFIX}${createHash("sha256").update(JSON.stringify({ endpoint, query })).digest("hex").slice(0, 32)}.json`

export type ReportError = CostExplorerError | ReportPeriodInvalid | StoreError

export class CostReports extends Context.Service<
  CostReports,
  { readonly report: (request: ReportRequest) => Effect.Effect<CostReport, ReportError> }
>()("@localex/cost/CostReports") {}

interface Fetched {
  readonly periods: ReadonlyArray<CostPeriod>
  readonly fetchedAt: string
  readonly requests: number
}

export interface CostReportsOptions {
  /** How long a cached answer is used (ms). */
  readonly cacheTtlMs: number
}

export const make = (options: CostReportsOptions) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const explorer = yield* CostExplorer

    /** The cached answer and the ETag to replace it by; a missing or unreadable entry is none. */
    const readCache = (key: string) =>
      store.get(key).pipe(
        Effect.flatMap((result) =>
          result.body.pipe(
            Stream.decodeText,
            Stream.mkString,
            Effect.map((text) => ({ etag: result.info.etag, entry: decodeEntry(text) }))
          )
        ),
        Effect.catchTag("ObjectNotFound", () => Effect.succeed(undefined)),
        Effect.catchTag(["InvalidKey", "NotModified", "RangeNotSatisfiable"], (error) => Effect.die(error))
      )

    /** Create-only, or replace only the entry read: a concurrent refresh wins, ours is dropped. */
    const writeCache = (key: string, etag: string | undefined, entry: typeof CacheEntry.Type) =>
      store
        .put(key, new TextEncoder().encode(JSON.stringify(entry)), {
          contentType: "application/json",
          ...(etag === undefined ? { ifNoneMatch: "*" as const } : { ifMatch: etag })
        })
        .pipe(
          Effect.asVoid,
          Effect.catchTag("PreconditionFailed", () =>
            Effect.logDebug(`cost explorer cache: ${key} was refreshed by another runner; kept theirs`)
          ),
          Effect.catchTag(["InvalidKey", "InvalidMetadata", "ObjectTooLarge"], (error) => Effect.die(error))
        )

    const fetch = Effect.fn("CostReports.fetch")(function* (query: CostQuery, refresh: boolean) {
      const key = cacheKey(explorer.endpoint, query)
      const now = yield* Clock.currentTimeMillis
      const cached = yield* readCache(key)
      if (!refresh && cached !== undefined && cached.entry._tag === "Some") {
        const entry = cached.entry.value
        if (now - Date.parse(entry.fetchedAt) < options.cacheTtlMs)
          return { periods: entry.periods, fetchedAt: entry.fetchedAt, requests: 0 } satisfies Fetched
      }
      const answer: CostAnswer = yield* explorer.getCostAndUsage(query)
      const fetchedAt = new Date(now).toISOString()
      yield* writeCache(key, cached?.etag, {
        version: 1,
        endpoint: explorer.endpoint,
        query,
        fetchedAt,
        periods: answer.periods
      })
      return { periods: answer.periods, fetchedAt, requests: answer.requests } satisfies Fetched
    })

    const report = Effect.fn("CostReports.report")(function* (request: ReportRequest) {
      const now = new Date(yield* Clock.currentTimeMillis)
      const query = yield* queryFor(request, now)
      const before = previousQuery(query)
      const current = yield* fetch(query, request.refresh === true)
      const previous = yield* fetch(before, request.refresh === true)
      const amount = total(current.periods)
      const previousAmount = total(previous.periods)
      return {
        kind: request.kind,
        query,
        periods: current.periods,
        amount,
        unit: current.periods[0]?.unit ?? "USD",
        groups: sumGroups(current.periods),
        trend: {
          previous: { start: before.start, end: before.end, amount: previousAmount },
          change: amount - previousAmount,
          changeRatio: previousAmount === 0 ? null : (amount - previousAmount) / previousAmount
        },
        source: {
          requests: current.requests + previous.requests,
          cached: current.requests + previous.requests === 0,
          fetchedAt: current.fetchedAt
        }
      } satisfies CostReport
    })

    return CostReports.of({ report })
  })

export const layer = (options: CostReportsOptions): Layer.Layer<CostReports, never, ObjectStore | CostExplorer> =>
  Layer.effect(CostReports, make(options))
