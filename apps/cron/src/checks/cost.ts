/** Expired clean-up and lifecycle/tiering drift (cost's Cleanup, Lifecycle and Tiering). */
import { Cleanup, LifecyclePolicy, Tiering } from "@localex/cost"
import { Units } from "@localex/storage-core"
import { Effect, Option } from "effect"
import { type Check, type Outcome, outcome } from "../Check.js"
import { CronConfig } from "../CronConfig.js"

/** Bucket configuration the store cannot have (fs) or the endpoint does not implement: skipped, saying why. */
const unsupported = <R>(effect: Effect.Effect<Outcome, unknown, R>) =>
  effect.pipe(
    Effect.catchIf(
      (error): error is { readonly _tag: string; readonly message: string } =>
        typeof error === "object" &&
        error !== null &&
        "_tag" in error &&
        (error._tag === "UnsupportedByDriver" || error._tag === "NotImplementedByEndpoint"),
      (error) => Effect.succeed(outcome("skip", `not available on this store: ${error.message}`, null))
    )
  )

/**
 * Weekly: expired files. With LOCALEX_CRON_CLEANUP=plan (the default) the check is the dry run:
 * expired files waiting are a warning. With `delete` it runs the clean-up (manifest first, safety
 * limit, re-checked deletes); a plan over the safety limit fails and deletes nothing.
 */
export const expired: Check = {
  id: "cleanup.expired",
  title: "Clean up expired files",
  run: Effect.gen(function* () {
    const config = yield* CronConfig
    const cleanup = yield* Cleanup.ExpiredCleanup
    const result = yield* cleanup.run({ dryRun: config.cleanup === "plan" })
    const { plan, report } = result
    const planned = `${plan.totals.objects} expired files (${Units.formatBytes(plan.totals.bytes)})`
    const evidence = {
      mode: config.cleanup,
      criteria: plan.criteria,
      totals: plan.totals,
      safety: plan.safety,
      sample: plan.candidates.slice(0, 10).map((c) => c.key),
      warnings: plan.warnings,
      report
    }
    if (report !== null) {
      const failed = report.failed.length
      return outcome(
        failed > 0 ? "fail" : "pass",
        `deleted ${report.deleted.objects} of ${planned}${failed > 0 ? `; ${failed} failed` : ""}`,
        evidence,
        failed > 0 ? `see the clean-up report at ${report.reportKey}` : undefined
      )
    }
    if (plan.totals.objects === 0) return outcome("pass", "no expired files", evidence)
    return outcome(
      "warn",
      `${planned} wait to be deleted (dry run)`,
      evidence,
      plan.safety.exceeded
        ? `over the safety limit (${plan.safety.reason}): review the plan, then run \`localex-storage cleanup expired --force\``
        : "run `localex-storage cleanup expired`, or set LOCALEX_CRON_CLEANUP=delete to clean up weekly"
    )
  })
}

const lifecyclePolicy = Effect.gen(function* () {
  const config = yield* CronConfig
  return Option.isSome(config.lifecyclePolicy)
    ? yield* LifecyclePolicy.loadPolicyFile(config.lifecyclePolicy.value)
    : LifecyclePolicy.defaultPolicy()
})

/** Weekly and quarterly: the bucket's lifecycle rules against the policy as code; drift is a warning. */
export const lifecycle: Check = {
  id: "cost.lifecycle",
  title: "Review lifecycle policies",
  run: unsupported(
    Effect.gen(function* () {
      const plan = yield* (yield* LifecyclePolicy.Lifecycle).plan(yield* lifecyclePolicy)
      if (plan.empty)
        return outcome("pass", `the bucket's ${plan.unchanged.length} lifecycle rules match the policy`, plan)
      return outcome(
        "warn",
        `lifecycle drift: ${LifecyclePolicy.formatLifecyclePlan(plan).join("; ")}`,
        plan,
        "review it with `localex-storage lifecycle plan`, then `localex-storage lifecycle apply`"
      )
    })
  )
}

/** Weekly: intelligent-tiering configurations against the guide's; drift is a warning. */
export const tiering: Check = {
  id: "cost.tiering",
  title: "Optimise storage costs (intelligent tiering)",
  run: unsupported(
    Effect.gen(function* () {
      const plan = yield* (yield* Tiering.Tiering).plan(Tiering.defaultTieringPolicy())
      if (plan.empty) return outcome("pass", "intelligent-tiering configurations match the policy", plan)
      return outcome(
        "warn",
        `tiering drift: ${Tiering.formatTieringPlan(plan).join("; ")}`,
        plan,
        "review it with `localex-storage tiering plan`, then `localex-storage tiering apply`"
      )
    })
  )
}
