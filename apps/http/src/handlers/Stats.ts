/**
 * /v1/stats: storage-core's StorageStatistics, cached per query (prefix, depth, largest) for
 * LOCALEX_HTTP_STATS_TTL. Statistics list the whole bucket, so the cache is what keeps a
 * dashboard polling this route from listing the bucket on every request; `refresh=true`
 * computes anew (and refills the cache). Failures are not cached.
 */

import { Stats } from "@localex/monitoring"
import { Cache, Effect, Exit } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { HttpConfig } from "../HttpConfig.js"
import { problems } from "../Problems.js"

/** Distinct queries kept at once. */
const CAPACITY = 64

export const StatsHandlers = HttpApiBuilder.group(
  Api,
  "stats",
  Effect.fn(function* (handlers) {
    const statistics = yield* Stats.StorageStatistics
    const config = yield* HttpConfig
    const cache = yield* Cache.makeWith(
      (query: string) => statistics.collect(JSON.parse(query) as Stats.StatsOptions),
      { capacity: CAPACITY, timeToLive: (exit) => (Exit.isSuccess(exit) ? config.statsTtl : 0) }
    )
    return handlers.handle("stats", ({ query }) => {
      const key = JSON.stringify({
        ...(query.prefix === undefined ? {} : { prefix: query.prefix }),
        ...(query.depth === undefined ? {} : { depth: query.depth }),
        ...(query.largest === undefined ? {} : { largest: query.largest })
      })
      return problems(query.refresh === "true" ? Cache.refresh(cache, key) : Cache.get(cache, key))
    })
  })
)
