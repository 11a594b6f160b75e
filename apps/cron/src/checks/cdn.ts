/** CDN performance (cdn's Statistics daily check over the last week). */
import { Cdn, loadCdnSettings, type Statistics } from "@localex/cdn"
import { Clock, Effect } from "effect"
import { type Check, notConfigured, outcome } from "../Check.js"

const WEEK = 7 * 86_400_000

const line = (check: Statistics.Check) => `${check.name}: ${check.detail}`

/** Weekly: traffic, error rates and cache hit rate of the distribution; skipped without LOCALEX_CDN_DISTRIBUTION_ID. */
export const cdnPerformance: Check = {
  id: "cdn.performance",
  title: "Check CDN performance",
  run: Effect.gen(function* () {
    const settings = yield* loadCdnSettings()
    if (settings.distributionId === undefined)
      return notConfigured("LOCALEX_CDN_DISTRIBUTION_ID", "the CloudFront distribution to review")
    const now = yield* Clock.currentTimeMillis
    const { stats, check } = yield* Effect.gen(function* () {
      const cdn = yield* Cdn
      return yield* cdn.stats({ since: new Date(now - WEEK), until: new Date(now) })
    }).pipe(Effect.provide(Cdn.layerConfig()))
    const bad = check.checks.filter((c) => c.verdict !== "pass")
    return outcome(
      check.verdict,
      (bad.length > 0 ? bad : check.checks).map(line).join("; "),
      { stats, checks: check.checks },
      bad.length > 0 ? "see `localex-storage cdn stats` and `localex-storage cdn review`" : undefined
    )
  })
}
