/** The containment report (shared by the run and its renderers). */
import type { Changes } from "./changes.js"

export type PlannedAction =
  | {
      readonly action: "restore"
      readonly key: string
      readonly versionId: string
      readonly size: number
      readonly versionTime: string
    }
  | { readonly action: "delete"; readonly key: string; readonly size: number }

export interface CdnStep {
  readonly status: "invalidated" | "planned" | "skipped" | "failed" | "nothing to invalidate"
  readonly distributionId: string | null
  readonly paths: ReadonlyArray<string>
  readonly invalidationIds: ReadonlyArray<string>
  readonly note: string | null
}

export interface ContainReport {
  readonly kind: "incident-contain"
  readonly location: string
  readonly prefix: string
  readonly before: string
  readonly dryRun: boolean
  readonly startedAt: string
  readonly changes: Changes
  /** The restore plan's actions in key order: the first 1,000 (backup's report keeps no more); the counts in `restore` are complete. */
  readonly plan: ReadonlyArray<PlannedAction>
  readonly restore: {
    readonly toRestore: number
    readonly bytesToRestore: number
    readonly restored: number
    readonly bytesRestored: number
    readonly toDelete: number
    readonly deleted: number
    readonly failed: ReadonlyArray<{ readonly key: string; readonly error: string; readonly message: string }>
    readonly pitrReportKey: string | null
  }
  readonly cdn: CdnStep
  /** Keys still not in their state before T after the run (null on a dry run). */
  readonly remaining: ReadonlyArray<string> | null
  readonly ok: boolean
  readonly manifestKey: string | null
  readonly resultKey: string | null
  readonly reportKey: string | null
}
