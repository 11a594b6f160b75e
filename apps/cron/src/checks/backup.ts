/** Backup completion and the disaster-recovery drill (backup's Checklist), against LOCALEX_CRON_BACKUP_DESTINATION. */
import { Checklist, Location, type Side } from "@localex/backup"
import { BucketAdmin, ObjectStore } from "@localex/storage-core"
import { Effect, Option } from "effect"
import { type Check, notConfigured, type Outcome } from "../Check.js"
import { CronConfig } from "../CronConfig.js"

const SETTING = "LOCALEX_CRON_BACKUP_DESTINATION"

/** Runs `check` with this store as the source and the configured backup as the destination. */
const withBackup = <E>(what: string, check: (source: Side, backup: Side) => Effect.Effect<Outcome, E>): Check["run"] =>
  Effect.gen(function* () {
    const config = yield* CronConfig
    if (Option.isNone(config.backupDestination)) return notConfigured(SETTING, what)
    const source = Location.sideOf({ store: yield* ObjectStore, admin: yield* BucketAdmin })
    return yield* Effect.scoped(
      Effect.flatMap(Location.open(config.backupDestination.value), (backup) => check(source, backup))
    )
  })

/** Daily: the newest snapshot is recent, complete, matches the source's count, and a sample hashes equal. */
export const completion: Check = {
  id: "backup.completion",
  title: "Verify backup completion",
  run: withBackup("the backup to verify", (source, backup) =>
    Effect.map(Checklist.status(source, backup), (report) => {
      const failed = report.checks.filter((check) => !check.ok)
      return report.ok
        ? {
            status: "pass",
            summary: `backup ${report.destination} verified (${report.checks.length} checks)`,
            evidence: report
          }
        : {
            status: "fail",
            summary: failed.map((check) => `${check.name}: ${check.detail}`).join("; "),
            evidence: report,
            hint: "run `localex-storage backup snapshot`, then `localex-storage backup status`"
          }
    })
  )
}

/** Quarterly: a sample restored from the backup and verified, with the RTO and RPO it supports. */
export const drTest: Check = {
  id: "backup.dr-test",
  title: "Disaster-recovery test",
  run: withBackup("the backup to restore from", (source, backup) =>
    Effect.map(Checklist.drill(source, backup), (report) => {
      const figures = `${report.restored.objects} objects restored in ${report.restoreMs} ms; RTO ${report.estimatedRtoSeconds ?? "?"} s, RPO ${report.rpoSeconds ?? "?"} s`
      return report.ok
        ? { status: "pass", summary: figures, evidence: report }
        : {
            status: "fail",
            summary: `${figures}; ${report.mismatches.length} mismatches: ${report.mismatches.slice(0, 3).join("; ")}`,
            evidence: report,
            hint: `see the drill report at ${report.reportKey}`
          }
    })
  )
}
