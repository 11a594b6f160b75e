/**
 * The checklist report: what one run of a maintenance job (daily, weekly, monthly, quarterly)
 * found. Each check says pass, warn, fail or skip, with one summary line, its evidence (JSON) and
 * the hint that applies; the report is stored as JSON and Markdown under
 * `_localex/reports/{job}/{yyyy}/{mm}/…`, and `_localex/reports/{job}/latest.json` points at the
 * newest (replaced only by compare-and-swap, never by an older run or a lower fencing token).
 * The cron app writes them; the HTTP dashboard and `localex-cron list` read them.
 */
import { Keys, type ObjectStore, writeObject } from "@localex/storage-core"
import { Effect, Option, Schema, Stream } from "effect"

export const CheckStatus = Schema.Literals(["pass", "warn", "fail", "skip"])
export type CheckStatus = typeof CheckStatus.Type

export const ReportStatus = Schema.Literals(["pass", "warn", "fail"])
export type ReportStatus = typeof ReportStatus.Type

export const CheckResult = Schema.Struct({
  /** Stable id, e.g. `storage.quota`. */
  id: Schema.String,
  title: Schema.String,
  status: CheckStatus,
  /** One line a person reads first. */
  summary: Schema.String,
  /** What to do about a warn or fail (or why a check was skipped). */
  hint: Schema.optionalKey(Schema.String),
  /** The numbers behind the verdict (plain JSON). */
  evidence: Schema.Unknown,
  durationMs: Schema.Number,
  /** Tries it took (retries of transient failures). */
  attempts: Schema.Number
})
export type CheckResult = typeof CheckResult.Type

export const ChecklistReport = Schema.Struct({
  schemaVersion: Schema.Literal(1),
  job: Schema.String,
  runId: Schema.String,
  status: ReportStatus,
  counts: Schema.Struct({ pass: Schema.Number, warn: Schema.Number, fail: Schema.Number, skip: Schema.Number }),
  /** Which runner ran it, under which lease fencing token. */
  runner: Schema.String,
  leaseToken: Schema.Number,
  /** The store the checks looked at (`s3://bucket`, `file:///root`). */
  location: Schema.String,
  /** Why it ran: `schedule`, `manual`, `missed` (catching up after downtime). */
  trigger: Schema.String,
  /** The scheduled time this run is for (schedule and missed runs): a second runner skips a slot already done. */
  scheduledFor: Schema.optionalKey(Schema.String),
  startedAt: Schema.String,
  finishedAt: Schema.String,
  durationMs: Schema.Number,
  checks: Schema.Array(CheckResult),
  /** Where the JSON and Markdown copies are stored. */
  links: Schema.Struct({ json: Schema.String, markdown: Schema.String })
})
export type ChecklistReport = typeof ChecklistReport.Type

/** Reading a stored report that does not decode. */
export class ReportUnreadable extends Schema.TaggedError<ReportUnreadable>()("ReportUnreadable", {
  key: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `The report at "${this.key}" cannot be read (${this.reason})`
  }
}

const RANK: Record<ReportStatus, number> = { pass: 0, warn: 1, fail: 2 }

/**
 * The worst of the checks that ran. A skipped check is neither a pass nor a failure; a run where
 * every check was skipped checked nothing, which is a warning.
 */
export const overallStatus = (checks: ReadonlyArray<Pick<CheckResult, "status">>): ReportStatus => {
  const ran = checks.flatMap((c) => (c.status === "skip" ? [] : [c.status]))
  if (ran.length === 0) return "warn"
  return ran.reduce<ReportStatus>((worst, s) => (RANK[s] > RANK[worst] ? s : worst), "pass")
}

export const countStatuses = (checks: ReadonlyArray<Pick<CheckResult, "status">>) => ({
  pass: checks.filter((c) => c.status === "pass").length,
  warn: checks.filter((c) => c.status === "warn").length,
  fail: checks.filter((c) => c.status === "fail").length,
  skip: checks.filter((c) => c.status === "skip").length
})

/** Where the reports of `job` live. */
export const jobPrefix = (job: string): string => `${Keys.prefixes.reports}${job}/`

/** The key of the pointer to the newest report of `job`. */
export const latestKey = (job: string): string => `${jobPrefix(job)}latest.json`

/** The keys of one run's report: `…/{job}/{yyyy}/{mm}/{startedAt}-{runId}.json|.md`. */
export const reportKeys = (job: string, startedAt: Date, runId: string) => {
  const iso = startedAt.toISOString()
  const stem = `${jobPrefix(job)}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.replace(/[:.]/g, "-")}-${runId}`
  return { json: `${stem}.json`, markdown: `${stem}.md` }
}

const ICON: Record<CheckStatus, string> = { pass: "✅ pass", warn: "⚠️ warn", fail: "❌ fail", skip: "⏭️ skip" }

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ")

/** The report for people: a summary table, then each check's hint and evidence. */
export const toMarkdown = (report: ChecklistReport): string => {
  const lines = [
    `# ${report.job} checklist — ${report.status.toUpperCase()}`,
    "",
    `- started ${report.startedAt}, took ${(report.durationMs / 1000).toFixed(1)} s (${report.trigger})`,
    `- store ${report.location}; runner ${report.runner} (lease token ${report.leaseToken})`,
    `- ${report.counts.pass} pass, ${report.counts.warn} warn, ${report.counts.fail} fail, ${report.counts.skip} skipped`,
    `- JSON: \`${report.links.json}\``,
    "",
    "| check | status | summary |",
    "| --- | --- | --- |",
    ...report.checks.map((c) => `| ${cell(c.title)} (\`${c.id}\`) | ${ICON[c.status]} | ${cell(c.summary)} |`),
    ""
  ]
  for (const c of report.checks) {
    lines.push(`## ${c.title} — ${c.status}`, "", c.summary, "")
    if (c.hint !== undefined) lines.push(`**What to do:** ${c.hint}`, "")
    if (c.attempts > 1) lines.push(`(${c.attempts} attempts)`, "")
    if (c.evidence !== null && c.evidence !== undefined)
      lines.push("```json", JSON.stringify(c.evidence, null, 2), "```", "")
  }
  return lines.join("\n")
}

type Store = ObjectStore["Service"]
const encode = (text: string) => new TextEncoder().encode(text)
const decodeReport = Schema.decodeUnknownEffect(Schema.fromJsonString(ChecklistReport))

const readReport = (store: Store, key: string) =>
  store.get(key).pipe(
    Effect.flatMap((got) =>
      got.body.pipe(
        Stream.decodeText,
        Stream.mkString,
        Effect.flatMap((text) =>
          decodeReport(text).pipe(Effect.mapError((error) => new ReportUnreadable({ key, reason: error.message })))
        ),
        Effect.map((report) =>
          Option.some<{ report: ChecklistReport | undefined; etag: string }>({ report, etag: got.info.etag })
        )
      )
    ),
    Effect.catchTag("ObjectNotFound", () => Effect.succeed(Option.none())),
    Effect.catchTag(["NotModified", "RangeNotSatisfiable"], (error) => Effect.die(error))
  )

/** The newest report of `job`, if any run has written one. */
export const latest = Effect.fn("Report.latest")(function* (store: Store, job: string) {
  return Option.flatMap(yield* readReport(store, latestKey(job)), (found) => Option.fromNullishOr(found.report))
})

/** Is `a` a newer run than `b` (a later lease wins; within one lease, the later start)? */
const newer = (a: ChecklistReport, b: ChecklistReport) =>
  a.leaseToken !== b.leaseToken ? a.leaseToken > b.leaseToken : a.startedAt > b.startedAt

/**
 * Stores the report (JSON and Markdown, create-only: a run never overwrites another's) and
 * points `latest.json` at it unless a newer run already did. Returns whether the pointer moved.
 */
export const write = Effect.fn("Report.write")(function* (store: Store, report: ChecklistReport) {
  const json = JSON.stringify(report, null, 2)
  yield* writeObject(store, report.links.json, encode(json), { contentType: "application/json", ifNoneMatch: "*" })
  yield* writeObject(store, report.links.markdown, encode(toMarkdown(report)), {
    contentType: "text/markdown; charset=utf-8",
    ifNoneMatch: "*"
  })
  // Compare-and-swap on the pointer: a slow or fenced-off run never replaces a newer one. Each
  // lost race means another run wrote it: read again and judge again (a few times at most).
  const key = latestKey(report.job)
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = yield* readReport(store, key).pipe(
      // A pointer that does not decode is replaced (by its ETag, still conditionally).
      Effect.catchTag("ReportUnreadable", () =>
        Effect.map(store.head(key), (info) => Option.some({ report: undefined, etag: info.etag }))
      ),
      Effect.catchTag("ObjectNotFound", () => Effect.succeed(Option.none()))
    )
    if (Option.isSome(current) && current.value.report !== undefined && !newer(report, current.value.report))
      return false
    const moved = yield* writeObject(store, key, encode(json), {
      contentType: "application/json",
      ...(Option.isSome(current) ? { ifMatch: current.value.etag } : { ifNoneMatch: "*" as const })
    }).pipe(
      Effect.as(true),
      Effect.catchTag("PreconditionFailed", () => Effect.succeed(false))
    )
    if (moved) return true
  }
  return false
})
