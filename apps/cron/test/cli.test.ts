/**
 * `localex-cron` spawned as a user would (the built dist/bin.js) on an fs store: list, run with
 * --json, start serving /metrics and /health and stopping on SIGTERM with its lease handed back,
 * and a runner killed mid-job whose lease another takes over once it expires.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Lease, ObjectStore } from "@localex/storage-core"
import * as Fs from "@localex/storage-core/fs"
import { Effect, Option, Stream } from "effect"
import { afterAll, assert, beforeAll, describe, it } from "vitest"

const bin = resolve(import.meta.dirname, "../dist/bin.js")
let dir = ""
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "localex-cron-"))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const clean: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) if (!/^(LOCALEX_|AWS_)/.test(name)) clean[name] = value
  return { ...clean, LOCALEX_STORAGE_FS_ROOT: join(dir, "data"), LOCALEX_CRON_RUNNER_ID: "cli-runner", ...extra }
}

const start = (args: ReadonlyArray<string>, extra: Record<string, string> = {}) =>
  spawn(process.execPath, [bin, ...args], { cwd: dir, env: env(extra), stdio: ["ignore", "pipe", "pipe"] })

const run = (args: ReadonlyArray<string>, extra: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = start(args, extra)
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()))
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()))
    child.on("error", fail)
    child.on("close", (code) => done({ code, stdout, stderr }))
  })

const exited = (child: ChildProcess) =>
  new Promise<number | null>((done) => child.on("close", (code, signal) => done(code ?? (signal === null ? null : -1))))

/** The stored lease of `job`, read through the fs driver (undefined while there is none). */
const leaseRecord = (job: string) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        return Option.getOrUndefined(Option.map(yield* Lease.read(store, job), (found) => found.record))
      }).pipe(Effect.provide(Fs.layer({ root: join(dir, "data"), publicUrl: "http://127.0.0.1:8080" })))
    )
  )

const waitFor = async <A>(probe: () => Promise<A | undefined> | A | undefined, ms = 20_000): Promise<A> => {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error("timed out waiting")
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe("localex-cron", () => {
  it("run daily --json runs the checklist now and stores its report; list shows it", async () => {
    const result = await run(["run", "daily", "--json"])
    assert.strictEqual(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout)
    assert.strictEqual(report.job, "daily")
    assert.strictEqual(report.trigger, "manual")
    assert.strictEqual(report.runner, "cli-runner")
    assert.strictEqual(report.status, "pass")
    const byId = Object.fromEntries(report.checks.map((c: { id: string }) => [c.id, c]))
    assert.strictEqual(byId["storage.quota"].status, "pass")
    for (const id of ["metrics.review", "errors.rate", "backup.completion"]) {
      assert.strictEqual(byId[id].status, "skip", id)
      assert.match(byId[id].summary, /^not configured: set LOCALEX_CRON_(CLOUDWATCH_BUCKET|BACKUP_DESTINATION) \(/)
    }
    const stored = await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        return yield* Effect.all([store.exists(report.links.json), store.exists(report.links.markdown)])
      }).pipe(Effect.provide(Fs.layer({ root: join(dir, "data"), publicUrl: "http://127.0.0.1:8080" })))
    )
    assert.deepStrictEqual(stored, [true, true])
    const listed = await run(["list", "--json"])
    assert.strictEqual(listed.code, 0, listed.stderr)
    const jobs = JSON.parse(listed.stdout).jobs as Array<{
      job: string
      schedule: string
      nextRun: string
      last: { status: string } | null
    }>
    assert.deepStrictEqual(
      jobs.map((j) => j.job),
      ["daily", "weekly", "monthly", "quarterly"]
    )
    assert.strictEqual(jobs[0]?.last?.status, "pass")
    assert.isNull(jobs[1]?.last ?? null)
    assert.isAbove(Date.parse(jobs[0]?.nextRun ?? ""), Date.now())
    const text = await run(["list"], {
      LOCALEX_CRON_SCHEDULE_WEEKLY: "30 5 * * 1",
      LOCALEX_CRON_TIMEZONE: "Europe/Berlin"
    })
    assert.match(text.stdout, /^weekly +30 5 \* \* 1 Europe\/Berlin +next \S+ +last: never run$/m)
    assert.match(text.stdout, /^daily .* last: pass at \S+ \(cli-runner\)$/m)
  })

  it("a bad schedule or job is refused with one line and a non-zero exit", async () => {
    const bad = await run(["list"], { LOCALEX_CRON_SCHEDULE_DAILY: "every day" })
    assert.strictEqual(bad.code, 1)
    assert.include(bad.stderr, "LOCALEX_CRON_SCHEDULE_DAILY")
    const unknown = await run(["run", "hourly"])
    assert.notStrictEqual(unknown.code, 0)
  })

  it("start runs jobs on schedule, serves /metrics and /health, and hands its lease back on SIGTERM", async () => {
    const child = start(["start"], { LOCALEX_CRON_PORT: "0", LOCALEX_CRON_SCHEDULE_DAILY: "* * * * * *" })
    let output = ""
    child.stderr.on("data", (c: Buffer) => (output += c.toString()))
    const url = await waitFor(
      () =>
        new Promise<string | undefined>((done) => {
          child.stdout.once("data", (c: Buffer) => {
            output += c.toString()
            done(/listening on (http:\/\/\S+)/.exec(output)?.[1])
          })
          setTimeout(() => done(/listening on (http:\/\/\S+)/.exec(output)?.[1]), 200)
        })
    )
    const health = await fetch(`${url}/health`)
    assert.strictEqual(health.status, 200)
    assert.strictEqual(((await health.json()) as { runner: string }).runner, "cli-runner")
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`${url}/metrics`)).text()
      return /localex_cron_job_runs_total\{job="daily",result="pass"\} [1-9]/.test(text) ? text : undefined
    })
    assert.match(metrics, /localex_cron_job_duration_seconds_count\{job="daily",result="pass"\} [1-9]/)
    assert.match(metrics, /localex_cron_check_results_total\{job="daily",check="metrics.review",status="skip"\}/)
    child.kill("SIGTERM")
    assert.strictEqual(await exited(child), 0, output)
    assert.isTrue((await leaseRecord("daily"))?.released)
  })

  it("a runner killed mid-job keeps its lease until it expires; then another takes the job over", async () => {
    // The monthly performance review takes a few seconds: long enough to kill it halfway.
    // A lease long enough that the review's CPU-heavy moments (sharp, the sample photo) never
    // starve its renewal on a busy machine, short enough to wait out.
    const ttl = { LOCALEX_CRON_LEASE_TTL: "8s", LOCALEX_CRON_PERF_SAMPLES: "3" }
    const victim = start(["run", "monthly"], { ...ttl, LOCALEX_CRON_RUNNER_ID: "victim" })
    await waitFor(() => leaseRecord("monthly"))
    victim.kill("SIGKILL")
    await exited(victim)
    const abandoned = (await leaseRecord("monthly"))!
    assert.strictEqual(abandoned.holder, "victim")
    assert.isFalse(abandoned.released)

    // Until it expires nobody else gets it (checked in-process: a new CLI process can take longer
    // to start on a busy machine than the lease lasts).
    const refused = await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        return yield* Effect.flip(Lease.acquire(store, { name: "monthly", holder: "rescuer", ttl: "8 seconds" }))
      }).pipe(Effect.provide(Fs.layer({ root: join(dir, "data"), publicUrl: "http://127.0.0.1:8080" })))
    )
    assert.strictEqual(refused._tag, "LeaseHeld")
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(abandoned.expiresAt) - Date.now() + 200)))
    const taken = await run(["run", "monthly", "--json"], { ...ttl, LOCALEX_CRON_RUNNER_ID: "rescuer" })
    const report = JSON.parse(taken.stdout)
    assert.strictEqual(taken.code, report.status === "fail" ? 1 : 0, taken.stderr)
    assert.strictEqual(report.runner, "rescuer")
    assert.strictEqual(report.leaseToken, abandoned.token + 1)
    const perf = report.checks.find((c: { id: string }) => c.id === "performance.review")
    assert.deepStrictEqual(
      perf.evidence.lines.map((l: { id: string; samplesMs: Array<number> }) => [l.id, l.samplesMs.length]),
      [
        ["upload", 3],
        ["download", 3],
        ["thumbnail", 3],
        ["cdn", 0],
        ["signed-url", 3]
      ]
    )
    assert.strictEqual(perf.evidence.lines[3].hint, "no CDN configured")
    // The rescuer's review removed what it wrote; only the killed run's folder may be left.
    const perfKeys = await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const keys: Array<string> = []
        yield* store
          .list({ prefix: "_localex/perf/" })
          .pipe(Stream.runForEach((e) => Effect.sync(() => e._tag === "Object" && keys.push(e.key))))
        return keys
      }).pipe(Effect.provide(Fs.layer({ root: join(dir, "data"), publicUrl: "http://127.0.0.1:8080" })))
    )
    const runFolders = new Set(perfKeys.map((k) => k.split("/")[2]))
    assert.isAtMost(runFolders.size, 1, `only the killed run's objects may be left: ${perfKeys.join(", ")}`)
  }, 120_000)
})
