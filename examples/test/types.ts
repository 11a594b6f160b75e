// Type-level check, run by `tsc` (the package's typecheck): no Effect type shows in the Promise
// APIs' signatures. Effect 4 marks its data types with string keys "~effect/…" (Effect, Stream,
// Layer, Scope, Option, …); `EffectIn<T>` finds such a key anywhere in a method's parameters or
// result, a few levels deep.
import type { BackupService } from "@localex/backup/promise"
import type { CdnService } from "@localex/cdn/promise"
import type { CostService } from "@localex/cost/promise"
import type { ImageService } from "@localex/image-processing/promise"
import type { MonitoringService } from "@localex/monitoring/promise"
import type { StorageService } from "@localex/storage-core/promise"

type Marked<T> = T extends object ? Extract<keyof T, `~effect/${string}`> : never
type Dec = [never, 0, 1, 2, 3, 4]
type EffectIn<T, Depth extends number = 4> = [Depth] extends [never]
  ? never
  : [Marked<T>] extends [never]
    ? T extends (...args: infer A) => infer R
      ? EffectIn<A[number], Dec[Depth]> | EffectIn<Awaited<R>, Dec[Depth]>
      : T extends NodeJS.ReadableStream | Uint8Array | Date | AbortSignal
        ? never
        : T extends ReadonlyArray<infer E>
          ? EffectIn<E, Dec[Depth]>
          : T extends AsyncIterable<infer E>
            ? EffectIn<E, Dec[Depth]>
            : T extends object
              ? { [K in keyof T]-?: EffectIn<T[K], Dec[Depth]> }[keyof T]
              : never
    : Marked<T>

type Clean<S> = { [K in keyof S]-?: EffectIn<S[K]> }[keyof S]
const noEffect = <S>(_: [Clean<S>] extends [never] ? true : Clean<S>) => undefined

noEffect<StorageService>(true)
noEffect<ImageService>(true)
noEffect<MonitoringService>(true)
noEffect<CostService>(true)
noEffect<CdnService>(true)
noEffect<BackupService>(true)

// The check can fail: a service object that leaks a Stream is caught.
type Leaky = { readonly list: () => Promise<{ readonly "~effect/Stream": unknown }> }
// @ts-expect-error — a leaked Effect type is an error
noEffect<Leaky>(true)

// The methods added for issue 19's second round take and give plain data: times as a Date,
// epoch milliseconds or text, durations as milliseconds or text, specs and policies as JSON.
declare const monitoring: MonitoringService
declare const cost: CostService
export const plainCalls = async () => {
  const logs = await monitoring.analyzeAccessLogs({ path: "logs/" }, { since: "24h", until: new Date(), top: 5 })
  const html: string = await monitoring.renderAccessLogReport(logs)
  const storage = await monitoring.getStorageMetrics({ bucket: "b", since: Date.now() - 86_400_000 })
  const requests = await monitoring.getRequestMetrics({ bucket: "b", filterId: "EntireBucket" })
  const alarms = await monitoring.applyAlarms({ bucket: "b", snsTopics: [] }, { prunePrefix: "localex-" })
  const dashboard = await monitoring.planDashboard({ bucket: "b", region: "us-east-1" })
  const daily = await monitoring.dailyCheck({ bucket: "b", accessLogs: logs })
  const latest = await monitoring.latestReport("daily")
  const perf = await monitoring.checkPerformance({ samples: 1, thumbnail: async () => undefined })
  const uploads = await cost.cleanupIncompleteUploads({ olderThan: "24 hours", dryRun: true })
  const estimate = await cost.estimateMonthlyCost({ getRequests: 1 })
  const whatIf = await cost.lifecycleWhatIf({ afterDays: 365, storageClass: "GLACIER" })
  const report = await cost.getCostReport({ kind: "monthly", refresh: true })
  const budget = await cost.applyBudget({ limitUsd: 120, emails: ["ops@localex.test"] })
  const advice = await cost.getSavingsAdvice({ references: ["items/1/photo.jpg"], cdn: { requests: 10, hits: 9 } })
  const figures: Array<number | string | boolean | null | undefined> = [
    html,
    storage.totalBytes[0]?.value,
    requests.totals.AllRequests,
    alarms.written.length,
    dashboard.empty,
    daily.status,
    latest?.status,
    perf.status,
    uploads.plan.totals.uploads,
    estimate.metrics.total,
    whatIf.monthlySaving,
    report.amount,
    budget.applied,
    advice.advice[0]?.monthlySaving
  ]
  return figures
}

// A Duration (an Effect data type) is refused where a duration option takes milliseconds or text.
declare const effectDuration: { readonly "~effect/Duration": unknown; readonly value: unknown }
// @ts-expect-error — not a Promise-API duration
void cost.findIncompleteUploads({ olderThan: effectDuration })
