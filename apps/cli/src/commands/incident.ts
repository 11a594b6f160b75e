/**
 * `localex-storage audit logs …` and `localex-storage incident changes|contain …`: the access-log
 * security report and incident response, a few lines each over @localex/security (loaded on
 * first use: it brings the CDN's AWS clients).
 */
import { writeFile } from "node:fs/promises"
import { TimeWindow } from "@localex/monitoring"
import type { LogSource } from "@localex/security"
import { Clock, Effect, Layer, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { LocalFileError } from "../failure.js"
import { storageOverrides } from "../GlobalFlags.js"
import { Output } from "../Output.js"
import { NAME, root } from "../root.js"
import { storeLayer } from "../services.js"
import { dryRun, force, intFlag, optionalString, repeated, some } from "./flags.js"
import { summaries } from "./summaries.js"

/** `@localex/security` (and the CloudFront client with it), imported on first use. */
const securityPackage = Effect.promise(() => import("@localex/security"))
const cdnPackage = Effect.promise(() => import("@localex/cdn"))

/** A time flag: an ISO time or a duration back from now. */
const instant = (flag: string, value: string) =>
  Effect.gen(function* () {
    const ms = TimeWindow.parseInstant(value, yield* Clock.currentTimeMillis)
    if (ms === undefined) return yield* new TimeWindow.InvalidTime({ flag, value })
    return new Date(ms)
  })

/** A local path, or `s3://bucket/prefix` read with the global flags' AWS settings. */
const logSource = (location: string) =>
  Effect.gen(function* () {
    const { AccessLogSecurity } = yield* securityPackage
    return yield* AccessLogSecurity.openLogSource(location, storageOverrides(yield* root))
  })

const writeReport = (path: Option.Option<string>, markdown: string) =>
  Option.isNone(path)
    ? Effect.void
    : Effect.tryPromise({
        try: () => writeFile(path.value, markdown),
        catch: (cause) => new LocalFileError({ path: path.value, operation: "write", reason: String(cause) })
      })

const timeFlag = (name: string, description: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.withMetavar("time"))
const logsFlag = optionalString(
  "logs",
  "Access logs to attribute the changes to requests: a file, a folder, or s3://bucket/prefix/",
  "path-or-location"
)
const reportFlag = optionalString("report", "Also write the Markdown incident report to this file", "file")
const prefixFlag = Flag.String("prefix").pipe(
  Flag.withDescription("The prefix the incident is about, e.g. items/"),
  Flag.withMetavar("prefix")
)

// ── audit logs ────────────────────────────────────────────────────────────────────────────

const seconds = (name: string, description: string) =>
  intFlag(name, description, 1).pipe(Flag.optional, Flag.map(Option.map((s) => s * 1000)))

export const auditLogs = Command.make(
  "logs",
  {
    location: Argument.String("path-or-location").pipe(
      Argument.withDescription(
        "A log file, a folder of logs (gzipped or not), or s3://bucket/prefix/ (date-partitioned keys)"
      )
    ),
    since: optionalString(
      "since",
      "Start of the window: an ISO date/time or a duration back from now (24h, 7d)",
      "time"
    ),
    until: optionalString("until", "End of the window (default now)", "time"),
    burstCount: intFlag("burst-count", "403s of one IP or requester that make a burst (default 10)", 1).pipe(
      Flag.optional
    ),
    burstWindow: seconds("burst-window", "…within this many seconds (default 60)"),
    bulkDeletes: intFlag("bulk-deletes", "Deletes of one requester that make a bulk delete (default 50)", 1).pipe(
      Flag.optional
    ),
    bulkWindow: seconds("bulk-window", "…within this many seconds (default 300)"),
    baselineSince: optionalString(
      "baseline-since",
      "Start of the period that says who usually deletes (default 7 days before --since)",
      "time"
    ),
    knownDeleters: repeated("known-deleter", "A requester whose deletes are expected (repeat for more)", "arn"),
    top: intFlag("top", "Rows in each list (default 20)", 1).pipe(Flag.optional)
  },
  Effect.fn("audit.logs")(function* (input) {
    const now = yield* Clock.currentTimeMillis
    const window = TimeWindow.parseWindow(Option.getOrUndefined(input.since), Option.getOrUndefined(input.until), now)
    if (window instanceof TimeWindow.InvalidTime) return yield* window
    const baseline = Option.isSome(input.baselineSince)
      ? yield* instant("--baseline-since", input.baselineSince.value)
      : undefined
    const { AccessLogSecurity } = yield* securityPackage
    const report = yield* Effect.scoped(
      Effect.flatMap(logSource(input.location), (source) =>
        AccessLogSecurity.analyze(source, {
          ...(window.since === undefined ? {} : { since: window.since }),
          ...(window.until === undefined && window.since === undefined ? {} : { until: window.until ?? now }),
          ...(baseline === undefined ? {} : { baselineSince: baseline.getTime() }),
          ...some("burstCount", input.burstCount),
          ...some("burstWindowMs", input.burstWindow),
          ...some("bulkDeleteCount", input.bulkDeletes),
          ...some("bulkDeleteWindowMs", input.bulkWindow),
          ...some("top", input.top),
          knownDeleters: input.knownDeleters
        })
      )
    )
    yield* (yield* Output).print({ primary: true, text: AccessLogSecurity.formatReport(report), json: report })
  })
).pipe(
  Command.withDescription(
    "Security review of S3 access logs: 403 bursts by IP and requester, anonymous access, failed deletes, deletes by new requesters, bulk deletes"
  ),
  Command.withExamples([
    {
      command: `${NAME} audit logs s3://localex-storage-logs/ --since 2026-12-01 --until 2026-12-02`,
      description: "One day of logs"
    }
  ]),
  Command.provide(Layer.unwrap(Effect.map(root, (options) => Output.layer(options))))
)

// ── incident changes | contain ──────────────────────────────────────────────────────────────

/** Output and the Incident service over the configured store and CDN (LOCALEX_CDN_*, AWS_*). */
const incidentServices = Layer.unwrap(
  Effect.gen(function* () {
    const options = yield* root
    const { Incident } = yield* securityPackage
    const { Cdn } = yield* cdnPackage
    const { region, profile } = storageOverrides(options)
    const cdn = Cdn.layerConfig(
      {},
      { ...(region === undefined ? {} : { region }), ...(profile === undefined ? {} : { profile }) }
    )
    return Layer.merge(
      Output.layer(options),
      Incident.layer.pipe(Layer.provide(Layer.merge(storeLayer(options, "read"), cdn)))
    )
  })
)

const useIncident = Effect.gen(function* () {
  const { Incident } = yield* securityPackage
  return yield* Incident
})

type LogsOption = { readonly logs?: { readonly source: LogSource; readonly name: string } }

const logsOf = (logs: Option.Option<string>) =>
  Option.match(logs, {
    onNone: () => Effect.succeed<LogsOption>({}),
    onSome: (location) =>
      Effect.map(logSource(location), (source): LogsOption => ({ logs: { source, name: location } }))
  })

const changes = Command.make(
  "changes",
  {
    prefix: prefixFlag,
    since: timeFlag("since", "Start of the window: an ISO time or a duration back from now (2h)"),
    until: timeFlag("until", "End of the window: an ISO time or a duration back from now"),
    logs: logsFlag,
    report: reportFlag
  },
  Effect.fn("incident.changes")(function* (input) {
    const since = yield* instant("--since", input.since)
    const until = yield* instant("--until", input.until)
    const incident = yield* useIncident
    const report = yield* Effect.scoped(
      Effect.flatMap(logsOf(input.logs), (logs) => incident.changes({ prefix: input.prefix, since, until, ...logs }))
    )
    yield* writeReport(input.report, report.markdown)
    const { IncidentResponse } = yield* securityPackage
    const { markdown: _, ...json } = report
    yield* (yield* Output).print({
      primary: true,
      text: [
        ...IncidentResponse.formatChanges(report),
        `manifest: ${report.manifestKey}`,
        `report: ${report.reportKey}`
      ],
      json
    })
  })
).pipe(
  Command.withDescription(
    "What changed under a prefix between two times (versioned bucket): created, overwritten, deleted keys, and with --logs who did it"
  ),
  Command.withExamples([
    {
      command: `${NAME} --bucket localex-storage incident changes --prefix items/ --since 2026-12-01T10:00:00Z --until 2026-12-01T14:00:00Z --report incident.md`,
      description: "Four hours of changes, with a Markdown report"
    }
  ]),
  Command.provide(incidentServices)
)

const contain = Command.make(
  "contain",
  {
    prefix: prefixFlag,
    before: timeFlag(
      "before",
      "When the incident started: keys go back to their state just before it (ISO time or 2h)"
    ),
    dryRun,
    force,
    wait: Flag.Boolean("wait").pipe(
      Flag.withDescription("Wait for the CDN invalidations to complete"),
      Flag.withDefault(false)
    ),
    logs: logsFlag,
    report: reportFlag
  },
  Effect.fn("incident.contain")(function* (input) {
    const before = yield* instant("--before", input.before)
    const incident = yield* useIncident
    const report = yield* Effect.scoped(
      Effect.flatMap(logsOf(input.logs), (logs) =>
        incident.contain({
          prefix: input.prefix,
          before,
          dryRun: input.dryRun,
          force: input.force,
          waitForCdn: input.wait,
          ...logs
        })
      )
    )
    yield* writeReport(input.report, report.markdown)
    const { IncidentResponse, ContainmentIncomplete } = yield* securityPackage
    const { markdown: _, ...json } = report
    yield* (yield* Output).print({ primary: true, text: IncidentResponse.formatContain(report), json })
    if (!report.dryRun && !report.ok)
      return yield* new ContainmentIncomplete({
        failures: [
          ...report.restore.failed.map((f) => `${f.key}: ${f.message}`),
          ...(report.cdn.status === "failed" ? [`CDN: ${report.cdn.note ?? "failed"}`] : []),
          ...(report.remaining !== null && report.remaining.length > 0
            ? [`still different: ${report.remaining.join(", ")}`]
            : [])
        ],
        reportKey: report.reportKey
      })
  })
).pipe(
  Command.withDescription(
    "Contain an incident: restore every key of the prefix changed since --before to its earlier state (keys created since get a delete marker), invalidate them on the CDN; manifest and report under _localex/"
  ),
  Command.withExamples([
    {
      command: `${NAME} --bucket localex-storage incident contain --prefix items/ --before 2026-12-01T10:00:00Z --dry-run`,
      description: "The plan, changing nothing"
    }
  ]),
  Command.provide(incidentServices)
)

export const incident = Command.make("incident").pipe(
  Command.withDescription(summaries.incident),
  Command.withSubcommands([changes, contain])
)

/** `audit` with only `logs`; the posture commands (`audit bucket|drift|iam`) join it at merge. */
