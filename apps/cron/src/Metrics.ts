/**
 * Prometheus metrics (prom-client) of the runner, served at /metrics:
 *
 * - `localex_cron_job_runs_total{job,result}`: runs by result — pass, warn, fail, `held` (another
 *   runner had the lease), `done` (the slot had already run elsewhere), `lost` (lease lost mid-run),
 *   `error` (a scheduled run that could not run: the store unreachable for the lease or report);
 * - `localex_cron_job_duration_seconds{job,result}`: how long a completed run took;
 * - `localex_cron_job_last_success_timestamp_seconds{job}` and `localex_cron_job_last_status{job}`
 *   (0 pass, 1 warn, 2 fail) of the runs this runner completed;
 * - `localex_cron_check_results_total{job,check,status}`: check verdicts;
 * - `localex_cron_notifications_total{result}`: webhook calls (`sent`, `failed`);
 * - the process metrics of prom-client.
 */
import { Context, Layer } from "effect"
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client"

export class Metrics extends Context.Service<
  Metrics,
  {
    readonly registry: Registry
    readonly runs: Counter<"job" | "result">
    readonly duration: Histogram<"job" | "result">
    readonly lastCompleted: Gauge<"job">
    readonly lastStatus: Gauge<"job">
    readonly checks: Counter<"job" | "check" | "status">
    readonly notifications: Counter<"result">
  }
>()("@localex/cron/Metrics") {
  static readonly layer = Layer.sync(Metrics, () => {
    const registry = new Registry()
    collectDefaultMetrics({ register: registry })
    return Metrics.of({
      registry,
      runs: new Counter({
        name: "localex_cron_job_runs_total",
        help: "Job runs by result (pass, warn, fail, held, done, lost, error)",
        labelNames: ["job", "result"] as const,
        registers: [registry]
      }),
      duration: new Histogram({
        name: "localex_cron_job_duration_seconds",
        help: "Duration of completed job runs, by result",
        labelNames: ["job", "result"] as const,
        buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
        registers: [registry]
      }),
      lastCompleted: new Gauge({
        name: "localex_cron_job_last_completed_timestamp_seconds",
        help: "When this runner last completed the job (Unix seconds)",
        labelNames: ["job"] as const,
        registers: [registry]
      }),
      lastStatus: new Gauge({
        name: "localex_cron_job_last_status",
        help: "Status of this runner's last completed run: 0 pass, 1 warn, 2 fail",
        labelNames: ["job"] as const,
        registers: [registry]
      }),
      checks: new Counter({
        name: "localex_cron_check_results_total",
        help: "Check verdicts by job, check and status",
        labelNames: ["job", "check", "status"] as const,
        registers: [registry]
      }),
      notifications: new Counter({
        name: "localex_cron_notifications_total",
        help: "Webhook notifications by result (sent, failed)",
        labelNames: ["result"] as const,
        registers: [registry]
      })
    })
  })
}
