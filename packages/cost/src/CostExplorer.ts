/**
 * Cost Explorer's `GetCostAndUsage`, the one call the reports need, behind a service so the
 * SDK stays in this file: pages are followed to the end and come back as plain data. The
 * client is built from storage-core's AwsSettings (`AWS_ENDPOINT_URL_COST_EXPLORER`, else
 * `AWS_ENDPOINT_URL`). Every request costs $0.01 on AWS: see CostReports' cache.
 */
import { CostExplorerClient, GetCostAndUsageCommand, type ResultByTime } from "@aws-sdk/client-cost-explorer"
import { loadAwsSettings, type StorageConfigError, type StorageOverrides } from "@localex/storage-core"
import { awsCall, clientConfig } from "@localex/storage-core/aws"
import { Context, Effect, Layer, Schema } from "effect"

export type Granularity = "DAILY" | "MONTHLY"
export type Dimension = "SERVICE" | "USAGE_TYPE"

/** What to ask: `start` inclusive, `end` exclusive (YYYY-MM-DD); one metric; at most one grouping. */
export interface CostQuery {
  readonly start: string
  readonly end: string
  readonly granularity: Granularity
  readonly metric: string
  readonly groupBy: Dimension | undefined
  /** Only these services (`SERVICE` dimension values), e.g. "Amazon Simple Storage Service". */
  readonly services: ReadonlyArray<string> | undefined
}

export interface CostGroup {
  readonly key: string
  readonly amount: number
}

export interface CostPeriod {
  readonly start: string
  readonly end: string
  /** The metric's total (the sum of the groups when grouped). */
  readonly amount: number
  readonly unit: string
  /** AWS has not closed the period's figures yet. */
  readonly estimated: boolean
  readonly groups: ReadonlyArray<CostGroup>
}

export interface CostAnswer {
  readonly periods: ReadonlyArray<CostPeriod>
  /** Requests sent (pages): each one is billed. */
  readonly requests: number
}

/** Cost Explorer refused or failed: the AWS code says which (AccessDeniedException, DataUnavailableException, …). */
export class CostExplorerError extends Schema.TaggedError<CostExplorerError>()("CostExplorerError", {
  code: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    const hint =
      this.code === "AccessDeniedException"
        ? " — the credentials need ce:GetCostAndUsage (and Cost Explorer enabled for the account)"
        : this.code === "DataUnavailableException"
          ? " — Cost Explorer has no data for that period yet (it takes up to 24 hours after enabling)"
          : ""
    return `Cost Explorer answered ${this.code}: ${this.reason}${hint}`
  }
}

export class CostExplorer extends Context.Service<
  CostExplorer,
  {
    /** Where requests go: the endpoint, or "aws". Part of the cache key. */
    readonly endpoint: string
    readonly getCostAndUsage: (query: CostQuery) => Effect.Effect<CostAnswer, CostExplorerError>
  }
>()("@localex/cost/CostExplorer") {}

/** Most pages followed for one query: a guard against an endpoint repeating its token. */
const MAX_PAGES = 100

type SdkResult = ResultByTime

/**
 * Pages split a period's groups between them: periods are merged by their start, groups
 * appended; a period's amount is its groups' sum when grouped, else its Total.
 */
export const mergePages = (pages: ReadonlyArray<ReadonlyArray<SdkResult>>, metric: string): Array<CostPeriod> => {
  const byStart = new Map<
    string,
    {
      start: string
      end: string
      total: number | undefined
      unit: string
      estimated: boolean
      groups: Array<CostGroup>
    }
  >()
  for (const page of pages) {
    for (const result of page) {
      const start = result.TimePeriod?.Start ?? ""
      const entry = byStart.get(start) ?? {
        start,
        end: result.TimePeriod?.End ?? "",
        total: undefined,
        unit: "USD",
        estimated: false,
        groups: []
      }
      const total = result.Total?.[metric]
      if (total?.Amount !== undefined) {
        entry.total = Number(total.Amount)
        entry.unit = total.Unit ?? entry.unit
      }
      entry.estimated ||= result.Estimated === true
      for (const group of result.Groups ?? []) {
        const value = group.Metrics?.[metric]
        entry.groups.push({ key: (group.Keys ?? []).join(" / "), amount: Number(value?.Amount ?? 0) })
        if (value?.Unit !== undefined) entry.unit = value.Unit
      }
      byStart.set(start, entry)
    }
  }
  return [...byStart.values()]
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
    .map((p) => ({
      start: p.start,
      end: p.end,
      amount: p.groups.length > 0 ? p.groups.reduce((sum, g) => sum + g.amount, 0) : (p.total ?? 0),
      unit: p.unit,
      estimated: p.estimated,
      groups: p.groups
    }))
}

export const make = (client: CostExplorerClient, endpoint: string): CostExplorer["Service"] => {
  const getCostAndUsage = Effect.fn("CostExplorer.getCostAndUsage")(function* (query: CostQuery) {
    const pages: Array<ReadonlyArray<SdkResult>> = []
    let token: string | undefined
    do {
      const command = new GetCostAndUsageCommand({
        TimePeriod: { Start: query.start, End: query.end },
        Granularity: query.granularity,
        Metrics: [query.metric],
        ...(query.groupBy === undefined ? {} : { GroupBy: [{ Type: "DIMENSION", Key: query.groupBy }] }),
        ...(query.services === undefined
          ? {}
          : { Filter: { Dimensions: { Key: "SERVICE", Values: [...query.services] } } }),
        ...(token === undefined ? {} : { NextPageToken: token })
      })
      const answer = yield* awsCall(
        (abortSignal) => client.send(command, { abortSignal }),
        (failure) => new CostExplorerError({ code: failure.code, reason: failure.detail })
      )
      pages.push(answer.ResultsByTime ?? [])
      const next = answer.NextPageToken === undefined || answer.NextPageToken === "" ? undefined : answer.NextPageToken
      if (next !== undefined && (next === token || pages.length >= MAX_PAGES))
        return yield* new CostExplorerError({
          code: "PagingStuck",
          reason: `the next page token did not move after ${pages.length} pages`
        })
      token = next
    } while (token !== undefined)
    return { periods: mergePages(pages, query.metric), requests: pages.length } satisfies CostAnswer
  })
  return CostExplorer.of({ endpoint, getCostAndUsage })
}

/** The client from the environment (`loadAwsSettings("COST_EXPLORER")`), flags' region/profile first. */
export const layerConfig = (
  overrides: Pick<StorageOverrides, "region" | "profile"> = {}
): Layer.Layer<CostExplorer, StorageConfigError> =>
  Layer.effect(
    CostExplorer,
    Effect.gen(function* () {
      const settings = yield* loadAwsSettings("COST_EXPLORER", overrides)
      const client = yield* Effect.acquireRelease(
        Effect.sync(() => new CostExplorerClient(clientConfig(settings))),
        (c) => Effect.sync(() => c.destroy())
      )
      return make(client, settings.endpoint ?? "aws")
    })
  )
