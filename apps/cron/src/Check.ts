/**
 * A check of a checklist job: an id, a title, and an effect that calls a package and says pass,
 * warn, fail or skip, with evidence. Checks hold no logic of their own beyond reading the
 * package's verdict (see checks/). A check whose package is not part of this build is `pending`:
 * it reports "skip: not configured" (never a pass), so wiring it in later is replacing one line.
 */
import type { Cleanup, LifecyclePolicy, Tiering } from "@localex/cost"
import type { Report, Stats } from "@localex/monitoring"
import type { BucketAdmin, ObjectStore } from "@localex/storage-core"
import type { Effect } from "effect"
import type { CronConfig } from "./CronConfig.js"

/** What a check found. */
export interface Outcome {
  readonly status: Report.CheckStatus
  readonly summary: string
  readonly hint?: string
  readonly evidence: unknown
}

/** The services a check may use: the (fenced) store and the packages' services over it. */
export type CheckServices =
  | ObjectStore
  | BucketAdmin
  | Stats.StorageStatistics
  | Cleanup.ExpiredCleanup
  | LifecyclePolicy.Lifecycle
  | Tiering.Tiering
  | CronConfig

export interface Check {
  readonly id: string
  readonly title: string
  /** Any failure is reported as `fail` with its message (transient ones are retried first). */
  readonly run: Effect.Effect<Outcome, unknown, CheckServices>
}

export const outcome = (status: Report.CheckStatus, summary: string, evidence: unknown, hint?: string): Outcome =>
  hint === undefined ? { status, summary, evidence } : { status, summary, evidence, hint }

/** A check whose setting is missing: skipped (never a pass), saying which setting turns it on. */
export const notConfigured = (setting: string, what: string): Outcome =>
  outcome(
    "skip",
    `not configured: set ${setting} (${what})`,
    { configured: false, setting },
    `set ${setting} to run it`
  )
