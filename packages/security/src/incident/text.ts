/** The incident reports as text lines for a terminal (JSON is the report itself; Markdown is for people). */
import type { Changes } from "./changes.js"
import type { ContainReport } from "./report.js"

export const formatChanges = (changes: Changes): ReadonlyArray<string> => [
  `${changes.counts.keys} key(s) changed under ${changes.prefix}, ${changes.since} → ${changes.until}: ` +
    `created ${changes.counts.created}, deleted ${changes.counts.deleted}, modified ${changes.counts.modified}, ` +
    `created and deleted ${changes.counts.createdAndDeleted} (${changes.counts.versions} versions, ${changes.counts.bytesWritten} bytes written)`,
  ...changes.changes.map(
    (c) =>
      `  ${c.change.padEnd(20)} ${c.key}  ${c.events.map((e) => `${e.time} ${e.kind}`).join(", ")}` +
      (c.requests.length > 0
        ? `  by ${[...new Set(c.requests.map((r) => `${r.requester ?? "(anonymous)"}@${r.remoteIp ?? "?"}`))].join(", ")}`
        : "")
  ),
  ...(changes.logs === null
    ? []
    : [
        `logs: ${changes.logs.requests} write request(s) on these keys; unattributed: ${changes.logs.unattributed.join(", ") || "none"}`
      ])
]

export const formatContain = (report: ContainReport): ReadonlyArray<string> => {
  const r = report.restore
  return [
    `${report.dryRun ? "plan (dry run, nothing changed)" : report.ok ? "contained" : "INCOMPLETE"}: ${report.prefix} back to before ${report.before}`,
    ...report.plan.map((a) =>
      a.action === "restore"
        ? `  restore ${a.key} ← ${a.versionId} (${a.size} B)`
        : `  delete  ${a.key} (${a.size} B, did not exist before)`
    ),
    report.dryRun
      ? `would restore ${r.toRestore} key(s) (${r.bytesToRestore} bytes), remove ${r.toDelete}`
      : `restored ${r.restored} of ${r.toRestore} key(s) (${r.bytesRestored} bytes), removed ${r.deleted} of ${r.toDelete}, failed ${r.failed.length}`,
    ...r.failed.map((f) => `  ✗ ${f.key}: ${f.message}`),
    `cdn: ${report.cdn.status}${report.cdn.paths.length > 0 ? ` ${report.cdn.paths.join(" ")}` : ""}${report.cdn.invalidationIds.length > 0 ? ` (${report.cdn.invalidationIds.join(", ")})` : ""}${report.cdn.note === null ? "" : ` — ${report.cdn.note}`}`,
    ...(report.remaining === null ? [] : [`remaining: ${report.remaining.join(", ") || "none"}`]),
    ...(report.manifestKey === null ? [] : [`manifest: ${report.manifestKey}`, `report: ${report.reportKey}`])
  ]
}
