/** Storage usage and statistics (monitoring's Stats and Quota). */
import { LifecyclePolicy } from "@localex/cost"
import { Quota, Stats, StatsHistory } from "@localex/monitoring"
import { ObjectStore, Units } from "@localex/storage-core"
import { Effect, Option } from "effect"
import { type Check, outcome } from "../Check.js"
import { CronConfig } from "../CronConfig.js"

const usageLine = (stats: Stats.StorageStats) =>
  `${stats.totals.objects} objects, ${Units.formatBytes(stats.totals.bytes)} in ${stats.location}`

/** The evidence a report keeps of the statistics (not the whole histogram set). */
const evidenceOf = (stats: Stats.StorageStats) => ({
  totals: stats.totals,
  byStorageClass: stats.byStorageClass,
  byPrefix: stats.byPrefix.entries,
  multipartUploads: stats.multipartUploads,
  versions: stats.versions,
  largest: stats.largest.slice(0, 5)
})

/** Keeps a snapshot of the whole bucket's statistics: the dashboard's growth over time. */
const keepSnapshot = (stats: Stats.StorageStats) =>
  Effect.gen(function* () {
    yield* StatsHistory.write(yield* ObjectStore, stats)
  })

/** Weekly: the statistics; incomplete multipart uploads are a warning (they cost money). */
export const statistics: Check = {
  id: "storage.statistics",
  title: "Review storage statistics",
  run: Effect.gen(function* () {
    const stats = yield* (yield* Stats.StorageStatistics).collect({ depth: 1 })
    yield* keepSnapshot(stats)
    const uploads = stats.multipartUploads?.uploads ?? 0
    return uploads > 0
      ? outcome(
          "warn",
          `${usageLine(stats)}; ${uploads} incomplete multipart uploads hold ${Units.formatBytes(stats.multipartUploads?.bytes ?? 0)}`,
          evidenceOf(stats),
          "abort them with a lifecycle rule (abortIncompleteMultipartUploadDays: `localex-storage lifecycle apply`)"
        )
      : outcome("pass", usageLine(stats), evidenceOf(stats))
  })
}

/** Daily: usage against the quota file (LOCALEX_CRON_QUOTA_FILE); skipped without one. */
export const quota: Check = {
  id: "storage.quota",
  title: "Monitor storage usage",
  run: Effect.gen(function* () {
    const config = yield* CronConfig
    if (Option.isNone(config.quotaFile)) {
      const stats = yield* (yield* Stats.StorageStatistics).collect({ depth: 1 })
      yield* keepSnapshot(stats)
      // Usage was measured (a pass); only the judgement against limits is not configured.
      return outcome(
        "pass",
        `${usageLine(stats)} (no quota configured)`,
        evidenceOf(stats),
        "set LOCALEX_CRON_QUOTA_FILE to a quota policy (JSON) to judge usage against limits"
      )
    }
    const json = yield* LifecyclePolicy.readPolicyJson(config.quotaFile.value)
    const policy = yield* Quota.decodePolicy(json)
    const { stats, verdict } = yield* Quota.checkQuota(policy, { depth: 1 })
    yield* keepSnapshot(stats)
    const status = verdict.status === "ok" ? "pass" : verdict.status === "warning" ? "warn" : "fail"
    return outcome(
      status,
      `${usageLine(stats)}: ${verdict.summary.join("; ")}`,
      { verdict, ...evidenceOf(stats) },
      status === "pass"
        ? undefined
        : "clean up (expired files, orphans), move old photos to colder storage, or raise the quota"
    )
  })
}
