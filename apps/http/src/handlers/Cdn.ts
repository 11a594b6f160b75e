/**
 * /v1/admin/cdn/…: CloudFront invalidations and cache warming, a few lines each over
 * @localex/cdn's Cdn service (settings: LOCALEX_CDN_*; local mode without a distribution).
 */
import { Cdn } from "@localex/cdn"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { problems } from "../Problems.js"

export const CdnHandlers = HttpApiBuilder.group(
  Api,
  "cdn",
  Effect.fn(function* (handlers) {
    const cdn = yield* Cdn
    return handlers
      .handle("invalidate", ({ payload }) =>
        problems(
          cdn.invalidateCache(payload.paths, {
            dryRun: payload.dryRun === true,
            wait: payload.wait === true
          })
        )
      )
      .handle("warm", ({ payload }) =>
        problems(
          cdn.warmCache(payload.keys, payload.concurrency === undefined ? {} : { concurrency: payload.concurrency })
        )
      )
  })
)
