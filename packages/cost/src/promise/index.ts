/**
 * `@localex/cost/promise`: clean-ups, lifecycle and tiering as plain async methods, for code that
 * does not use Effect. A failed call rejects with the packages' own error classes.
 */
import {
  type DeletionPlan,
  type LifecycleRule,
  Storage,
  type StorageOverrides,
  type TieringConfiguration
} from "@localex/storage-core"
import { type CallOptions, type Plain, serviceRuntime } from "@localex/storage-core/promise"
import { Effect, Layer, Stream } from "effect"
import * as Cleanup from "../Cleanup.js"
import * as LifecyclePolicy from "../LifecyclePolicy.js"
import * as Orphans from "../Orphans.js"
import * as ReferenceSource from "../ReferenceSource.js"
import * as Tiering from "../Tiering.js"

export { ManifestUnreadable, SafetyLimitExceeded } from "@localex/storage-core"
export * from "@localex/storage-core/errors"
export type { CallOptions } from "@localex/storage-core/promise"
export type { ExpiredPlanOptions } from "../Cleanup.js"
export { ConfigurationNotApplied, PolicyInvalid } from "../LifecyclePolicy.js"
export type { OrphanPlanOptions } from "../Orphans.js"
export { ReferenceSourceError } from "../ReferenceSource.js"

type Plan = DeletionPlan.DeletionPlan
type Outcome = DeletionPlan.CleanupOutcome
type RunOptions = DeletionPlan.CleanupRunOptions

/**
 * The keys the application still uses, for orphan clean-up: keys in memory, an async iterable (a
 * database cursor), a file with one key per line, an object in the store, or an HTTP endpoint.
 */
export type References =
  | Iterable<string>
  | AsyncIterable<string>
  | { readonly file: string }
  | { readonly key: string }
  | ({ readonly url: string } & ReferenceSource.HttpSourceOptions)

export interface CostService extends AsyncDisposable {
  /** The objects no reference names (past the grace period), as the guide's `findOrphanedFiles()` returns them. */
  readonly findOrphanedFiles: (
    references: References,
    options?: Plain<Orphans.OrphanPlanOptions> & CallOptions
  ) => Promise<ReadonlyArray<DeletionPlan.DeletionCandidate>>
  /** The whole orphan plan: candidates, totals, the safety assessment, warnings. */
  readonly planOrphanCleanup: (
    references: References,
    options?: Plain<Orphans.OrphanPlanOptions> & CallOptions
  ) => Promise<Plan>
  /** Plans, writes the manifest, re-checks and deletes the orphans (nothing with `dryRun`). */
  readonly cleanupOrphans: (
    references: References,
    options?: Plain<Orphans.OrphanPlanOptions> & RunOptions & CallOptions
  ) => Promise<Outcome>
  readonly findExpiredFiles: (
    options?: Plain<Cleanup.ExpiredPlanOptions> & CallOptions
  ) => Promise<ReadonlyArray<DeletionPlan.DeletionCandidate>>
  readonly planExpiredCleanup: (options?: Plain<Cleanup.ExpiredPlanOptions> & CallOptions) => Promise<Plan>
  /** The guide's weekly "clean up expired files". */
  readonly cleanupExpired: (options?: Plain<Cleanup.ExpiredPlanOptions> & RunOptions & CallOptions) => Promise<Outcome>
  /** What applying the lifecycle policy (default: the guide's) would change on the bucket. */
  readonly planLifecycle: (
    policy?: LifecyclePolicy.LifecyclePolicyInput,
    options?: CallOptions
  ) => Promise<ReturnType<typeof LifecyclePolicy.diff>>
  readonly applyLifecycle: (
    policy?: LifecyclePolicy.LifecyclePolicyInput,
    options?: CallOptions
  ) => Promise<LifecyclePolicy.ApplyResult<LifecycleRule>>
  readonly planTiering: (
    policy?: Tiering.TieringPolicyInput,
    options?: CallOptions
  ) => Promise<ReturnType<typeof Tiering.diff>>
  readonly applyTiering: (
    policy?: Tiering.TieringPolicyInput,
    options?: CallOptions
  ) => Promise<LifecyclePolicy.ApplyResult<TieringConfiguration>>
  readonly close: () => Promise<void>
}

const referenceSource = (references: References) => {
  if ("key" in references && typeof references.key === "string") return ReferenceSource.fromObject(references.key)
  if ("file" in references) return Effect.succeed(ReferenceSource.fromFile(references.file))
  if ("url" in references) return Effect.succeed(ReferenceSource.fromHttp(references.url, references))
  if (Symbol.asyncIterator in references) {
    const description = "keys from an async iterable"
    const keys = Stream.fromAsyncIterable(
      references,
      (cause) => new ReferenceSource.ReferenceSourceError({ source: description, reason: String(cause) })
    )
    return Effect.succeed({ description, keys })
  }
  return Effect.succeed(ReferenceSource.fromKeys(references as Iterable<string>))
}

export const createCostService = (settings: StorageOverrides = {}): CostService => {
  const services = Layer.mergeAll(Orphans.layer, Cleanup.layer, LifecyclePolicy.layer, Tiering.layer)
  const { run, close } = serviceRuntime(Layer.provideMerge(services, Storage.layerConfig(settings)))
  const orphanPlan = (references: References, options: Orphans.OrphanPlanOptions) =>
    Effect.flatMap(referenceSource(references), (s) => Effect.flatMap(Orphans.OrphanCleanup, (c) => c.plan(s, options)))
  const expiredPlan = (options: Cleanup.ExpiredPlanOptions) =>
    Effect.flatMap(Cleanup.ExpiredCleanup, (c) => c.plan(options))
  const lifecyclePolicy = (policy: LifecyclePolicy.LifecyclePolicyInput | undefined) =>
    policy === undefined ? Effect.succeed(LifecyclePolicy.defaultPolicy()) : LifecyclePolicy.decodePolicy(policy)
  const tieringPolicy = (policy: Tiering.TieringPolicyInput | undefined) =>
    policy === undefined ? Effect.succeed(Tiering.defaultTieringPolicy()) : Tiering.decodeTieringPolicy(policy)
  return {
    findOrphanedFiles: (references, { signal, ...options } = {}) =>
      run(
        Effect.map(orphanPlan(references, options), (plan) => plan.candidates),
        { signal }
      ),
    planOrphanCleanup: (references, { signal, ...options } = {}) => run(orphanPlan(references, options), { signal }),
    cleanupOrphans: (references, { signal, ...options } = {}) =>
      run(
        Effect.flatMap(referenceSource(references), (s) =>
          Effect.flatMap(Orphans.OrphanCleanup, (c) => c.run(s, options))
        ),
        { signal }
      ),
    findExpiredFiles: ({ signal, ...options } = {}) =>
      run(
        Effect.map(expiredPlan(options), (plan) => plan.candidates),
        { signal }
      ),
    planExpiredCleanup: ({ signal, ...options } = {}) => run(expiredPlan(options), { signal }),
    cleanupExpired: ({ signal, ...options } = {}) =>
      run(
        Effect.flatMap(Cleanup.ExpiredCleanup, (c) => c.run(options)),
        { signal }
      ),
    planLifecycle: (policy, options) =>
      run(
        Effect.flatMap(lifecyclePolicy(policy), (p) => Effect.flatMap(LifecyclePolicy.Lifecycle, (l) => l.plan(p))),
        options
      ),
    applyLifecycle: (policy, options) =>
      run(
        Effect.flatMap(lifecyclePolicy(policy), (p) => Effect.flatMap(LifecyclePolicy.Lifecycle, (l) => l.apply(p))),
        options
      ),
    planTiering: (policy, options) =>
      run(
        Effect.flatMap(tieringPolicy(policy), (p) => Effect.flatMap(Tiering.Tiering, (t) => t.plan(p))),
        options
      ),
    applyTiering: (policy, options) =>
      run(
        Effect.flatMap(tieringPolicy(policy), (p) => Effect.flatMap(Tiering.Tiering, (t) => t.apply(p))),
        options
      ),
    close,
    [Symbol.asyncDispose]: close
  }
}
