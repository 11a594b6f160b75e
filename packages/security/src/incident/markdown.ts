/**
 * The Markdown incident report handed to the security team: what changed (timeline, keys, who
 * did it when the logs say), what was done about it, and what to review next.
 */
import type { Changes, KeyChange, VersionState } from "./changes.js"
import type { ContainReport } from "./report.js"

/** Timeline rows shown; the JSON manifest holds them all. */
const MAX_TIMELINE = 500

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ")
const version = (state: VersionState | null) =>
  state === null ? "—" : `\`${state.versionId}\` (${state.size} B, ${state.lastModified})`
const who = (change: KeyChange) =>
  [...new Set(change.requests.map((r) => `${r.requester ?? "(anonymous)"} from ${r.remoteIp ?? "?"}`))].join("; ") ||
  "—"

const timeline = (changes: Changes): Array<string> => {
  const rows = [
    ...changes.changes.flatMap((c) =>
      c.events.map((e) => ({
        time: e.time,
        line: `| ${e.time} | version | \`${cell(c.key)}\` | ${e.kind} (\`${e.versionId}\`, ${e.size} B) |`
      }))
    ),
    ...changes.changes.flatMap((c) =>
      c.requests.map((r) => ({
        time: r.time,
        line: `| ${r.time} | request | \`${cell(c.key)}\` | ${r.operation} ${r.status ?? "-"} by ${cell(r.requester ?? "(anonymous)")} from ${r.remoteIp ?? "?"} (request ${r.requestId ?? "-"}) |`
      }))
    )
  ].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))
  return [
    "| time (UTC) | source | key | what |",
    "| --- | --- | --- | --- |",
    ...rows.slice(0, MAX_TIMELINE).map((r) => r.line),
    ...(rows.length > MAX_TIMELINE ? [``, `(${rows.length - MAX_TIMELINE} more rows in the JSON manifest)`] : [])
  ]
}

const keysTable = (changes: Changes): Array<string> =>
  changes.changes.length === 0
    ? ["No key changed."]
    : [
        "| key | change | before | after | requests by |",
        "| --- | --- | --- | --- | --- |",
        ...changes.changes.map(
          (c) => `| \`${cell(c.key)}\` | ${c.change} | ${version(c.before)} | ${version(c.after)} | ${cell(who(c))} |`
        )
      ]

const summary = (changes: Changes): Array<string> => [
  `- Location: \`${changes.location}\`, prefix \`${changes.prefix}\``,
  `- Window: ${changes.since} → ${changes.until}`,
  `- Keys changed: ${changes.counts.keys} (created ${changes.counts.created}, deleted ${changes.counts.deleted}, modified ${changes.counts.modified}, created and deleted ${changes.counts.createdAndDeleted})`,
  `- Versions written in the window: ${changes.counts.versions} (${changes.counts.bytesWritten} bytes)`,
  changes.logs === null
    ? "- Access logs: not given — who made the changes is not known from this report"
    : `- Access logs (${changes.logs.source}): ${changes.logs.requests} write requests on these keys; by requester: ${changes.logs.byRequester.map((r) => `${r.name} (${r.count})`).join(", ") || "none"}`
]

const reviewNext = (changes: Changes, contained: boolean): Array<string> => {
  const requesters = changes.logs?.byRequester.map((r) => r.name) ?? []
  return [
    ...(requesters.length > 0
      ? [
          `- Rotate or disable the credentials of the requesters that wrote: ${requesters.map((r) => `\`${r}\``).join(", ")}; review their IAM policies (\`localex-storage audit iam\`).`
        ]
      : [
          "- Find who made the changes: run `localex-storage incident changes` again with the access logs of the window (`--logs`), once they are delivered."
        ]),
    ...(changes.logs !== null && changes.logs.unattributed.length > 0
      ? [
          `- ${changes.logs.unattributed.length} changed key(s) have no request in the logs given (late delivery, or another path to the bucket): ${changes.logs.unattributed
            .slice(0, 20)
            .map((k) => `\`${k}\``)
            .join(", ")}.`
        ]
      : []),
    "- Review the bucket policy and public access settings against the baseline (`localex-storage audit bucket`, `audit drift`).",
    "- Review the access logs of the window for 403 bursts, anonymous access and unusual deletes (`localex-storage audit logs … --since … --until …`).",
    contained
      ? "- Check the restored objects (the keys above) and keep every version and delete marker: they are the evidence, and containment can be undone from them."
      : "- Contain: `localex-storage incident contain --prefix … --before …` (first with `--dry-run`).",
    "- Notify the affected users and the security team; record this report with the incident."
  ]
}

export const changesMarkdown = (changes: Changes): string =>
  [
    `# Incident: changes under \`${changes.prefix}\``,
    "",
    ...summary(changes),
    "",
    "## Keys",
    "",
    ...keysTable(changes),
    "",
    "## Timeline",
    "",
    ...timeline(changes),
    "",
    "## What to review next",
    "",
    ...reviewNext(changes, false),
    ""
  ].join("\n")

const actions = (report: ContainReport): Array<string> => {
  const r = report.restore
  const verb = report.dryRun ? "Would" : "Did"
  return [
    report.dryRun ? "**Dry run: nothing was changed.** The plan:" : "Actions taken:",
    "",
    `- ${verb} restore ${r.toRestore} key(s) to their version before ${report.before} (${r.bytesToRestore} bytes)${report.dryRun ? "" : `: restored ${r.restored} (${r.bytesRestored} bytes)`}.`,
    `- ${verb} remove ${r.toDelete} key(s) that did not exist before (a delete marker: the versions stay)${report.dryRun ? "" : `: removed ${r.deleted}`}.`,
    ...report.plan.map((a) =>
      a.action === "restore"
        ? `  - restore \`${cell(a.key)}\` ← version \`${a.versionId}\` (${a.size} B, ${a.versionTime})`
        : `  - delete \`${cell(a.key)}\` (${a.size} B, created during the incident)`
    ),
    `- CDN: ${report.cdn.status}${report.cdn.distributionId === null ? "" : ` on distribution \`${report.cdn.distributionId}\``}${report.cdn.paths.length > 0 ? ` — paths ${report.cdn.paths.map((p) => `\`${p}\``).join(", ")}` : ""}${report.cdn.invalidationIds.length > 0 ? ` (invalidations ${report.cdn.invalidationIds.join(", ")})` : ""}${report.cdn.note === null ? "" : `. ${report.cdn.note}`}`,
    ...r.failed.map((f) => `- **Failed**: \`${cell(f.key)}\`: ${cell(f.message)}`),
    ...(report.remaining === null
      ? []
      : report.remaining.length === 0
        ? ["- Check after the run: every key is in its state before the incident."]
        : [
            `- **Still different** after the run: ${report.remaining.map((k) => `\`${k}\``).join(", ")} — run the command again.`
          ]),
    ...(report.manifestKey === null ? [] : [`- Manifest: \`${report.manifestKey}\`; result: \`${report.resultKey}\``])
  ]
}

export const containMarkdown = (report: ContainReport): string =>
  [
    `# Incident: containment of \`${report.prefix}\` to its state before ${report.before}`,
    "",
    `- Run at ${report.startedAt}${report.dryRun ? " (dry run)" : ""}; outcome: ${report.dryRun ? "plan only" : report.ok ? "contained" : "**incomplete**"}`,
    ...summary(report.changes),
    "",
    "## Actions",
    "",
    ...actions(report),
    "",
    "## Keys",
    "",
    ...keysTable(report.changes),
    "",
    "## Timeline",
    "",
    ...timeline(report.changes),
    "",
    "## What to review next",
    "",
    ...reviewNext(report.changes, !report.dryRun),
    ""
  ].join("\n")
