/**
 * The operations guide's maintenance checklists as jobs: each a default schedule and a list of
 * checks. A check whose package is still being built is `pending` (see checks/pending.ts); none is now.
 */

import type { Check } from "./Check.js"
import { costAnalysis } from "./checks/analysis.js"
import { completion, drTest } from "./checks/backup.js"
import { cdnPerformance } from "./checks/cdn.js"
import { expired, lifecycle, tiering } from "./checks/cost.js"
import { alarms, errorRates, metricsReview } from "./checks/monitoring.js"
import { performance } from "./checks/performance.js"
import { iamReview, securityAudit } from "./checks/security.js"
import { quota, statistics } from "./checks/storage.js"

export const JOB_NAMES = ["daily", "weekly", "monthly", "quarterly"] as const
export type JobName = (typeof JOB_NAMES)[number]

export interface Job {
  readonly name: string
  readonly description: string
  /** Cron expression used unless LOCALEX_CRON_SCHEDULE_<JOB> overrides it. */
  readonly defaultSchedule: string
  readonly checks: ReadonlyArray<Check>
}

export const JOBS: ReadonlyArray<Job> = [
  {
    name: "daily",
    description: "review metrics, check error rates, verify backup completion, monitor storage usage",
    defaultSchedule: "0 6 * * *",
    checks: [metricsReview, errorRates, completion, quota]
  },
  {
    name: "weekly",
    description: "clean up expired files, review storage statistics, optimise storage costs, check CDN performance",
    defaultSchedule: "0 7 * * 1",
    checks: [expired, statistics, lifecycle, tiering, cdnPerformance]
  },
  {
    name: "monthly",
    description: "cost analysis and optimisation, security audit, performance review",
    defaultSchedule: "0 8 1 * *",
    checks: [costAnalysis, securityAudit, performance]
  },
  {
    name: "quarterly",
    description: "IAM policies, disaster-recovery test, lifecycle policies, monitoring alerts review",
    defaultSchedule: "0 9 1 1,4,7,10 *",
    checks: [iamReview, drTest, lifecycle, alarms]
  }
]

export const findJob = (name: string): Job | undefined => JOBS.find((job) => job.name === name)
