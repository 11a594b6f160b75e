/** Views of the storage operations: statistics (with a quota verdict), clean-ups, configuration plans. */
import type { LifecyclePolicy, Uploads } from "@localex/cost"
import type { Quota, StorageStats } from "@localex/monitoring"
import { DeletionPlan } from "@localex/storage-core"
import { type Document, formatText } from "../Output.js"
import { bytes, count, percent, table, usage, usageRows } from "./format.js"

export const storageStats = (stats: StorageStats, verdict?: Quota.QuotaVerdict): Document => {
  const multipart = stats.multipartUploads
  const versions = stats.versions
  const listingLine =
    stats.listing.mode === "inventory"
      ? `inventory report (${count(stats.listing.shards, "file")}), ${stats.listing.durationMs} ms`
      : `${stats.listing.mode} (${count(stats.listing.shards, "key range")}), ${stats.listing.durationMs} ms`
  const pairs: Array<readonly [string, string]> = [
    ["location", stats.location],
    ["scope", stats.scope === "" ? "(whole bucket)" : stats.scope],
    ["objects", String(stats.totals.objects)],
    ["bytes", `${stats.totals.bytes} (${bytes(stats.totals.bytes)})`],
    [
      "multipart uploads",
      multipart === null
        ? "unknown"
        : `${count(multipart.uploads, "incomplete upload")}, ${bytes(multipart.bytes)}${multipart.oldestInitiated === null ? "" : `, oldest ${multipart.oldestInitiated}`}`
    ],
    [
      "versions",
      versions === null
        ? "unknown"
        : `versioning ${versions.versioning}: ${count(versions.noncurrentVersions, "noncurrent version")} (${bytes(versions.noncurrentBytes)}), ${count(versions.deleteMarkers, "delete marker")}`
    ],
    ["oldest", stats.oldest === null ? "-" : `${stats.oldest.lastModified}  ${stats.oldest.key}`],
    ["newest", stats.newest === null ? "-" : `${stats.newest.lastModified}  ${stats.newest.key}`],
    ["listing", listingLine],
    ["generated", stats.generatedAt]
  ]
  const prefixes = usageRows(stats.byPrefix.entries, (e) => (e.prefix === "" ? "(top level)" : e.prefix))
  if (stats.byPrefix.truncated)
    prefixes.push(["(other prefixes)", String(stats.byPrefix.other.objects), bytes(stats.byPrefix.other.bytes)])
  const text = [
    ...formatText(pairs),
    ...table(
      "by storage class",
      ["class", "objects", "bytes"],
      usageRows(stats.byStorageClass, (e) => e.storageClass),
      [1, 2]
    ),
    ...table(`by prefix (depth ${stats.byPrefix.depth})`, ["prefix", "objects", "bytes"], prefixes, [1, 2]),
    ...table(
      "by size",
      ["size", "objects", "bytes"],
      usageRows(stats.sizeHistogram, (e) => e.label),
      [1, 2]
    ),
    ...table(
      "by age",
      ["age", "objects", "bytes"],
      usageRows(stats.ageHistogram, (e) => e.label),
      [1, 2]
    ),
    ...table(
      "largest",
      ["bytes", "last modified", "key"],
      stats.largest.map((o) => [bytes(o.size), o.lastModified, o.key]),
      [0]
    ),
    ...(verdict === undefined ? [] : ["", `quota: ${verdict.status}`, ...verdict.summary.map((line) => `  ${line}`)])
  ]
  return { primary: true, text, json: verdict === undefined ? stats : { ...stats, quota: verdict } }
}

/**
 * A cleanup (expired files, orphans): what the plan holds and, after a real run, what was done.
 * The JSON is `{ plan: summarize(plan, sample), report }` (report null on a dry run).
 */
export const cleanupOutcome = (
  outcome: { readonly plan: DeletionPlan.DeletionPlan; readonly report: DeletionPlan.DeletionReport | null },
  sampleSize: number
): Document => {
  const { plan, report } = outcome
  const summary = DeletionPlan.summarize(plan, sampleSize)
  const safety = plan.safety.exceeded
    ? `over the limit: ${plan.safety.reason}`
    : `ok (${percent(plan.safety.share)} of the objects considered; limits ${plan.safety.limits.maxObjects} objects, ${percent(plan.safety.limits.maxShare)} above ${plan.safety.limits.shareAppliesAbove})`
  const pairs: Array<readonly [string, string]> = [
    ["cleanup", `${plan.kind} on ${plan.location}${report === null ? " (dry run: nothing deleted)" : ""}`],
    ["considered", usage(plan.population)],
    [report === null ? "would delete" : "planned", usage(plan.totals)],
    ["safety", safety]
  ]
  if (report !== null) {
    pairs.push(
      ["deleted", usage(report.deleted)],
      ["skipped", `${report.skipped.length} (changed or gone since planning)`],
      ["failed", String(report.failed.length)],
      ["manifest", report.manifestKey ?? "- (nothing to delete)"],
      ["report", report.reportKey ?? "-"]
    )
  }
  const sample = summary.sample.map((c) => [bytes(c.size), c.key, c.reason])
  const more = plan.candidates.length - summary.sample.length
  const text = [
    ...formatText(pairs),
    ...table(report === null ? "would delete" : "planned", ["bytes", "key", "reason"], sample, [0]),
    ...(more > 0 ? [`  … and ${more} more (see the manifest, or --json)`] : []),
    ...(plan.warnings.length === 0 ? [] : ["", "warnings", ...plan.warnings.map((w) => `  ${w}`)]),
    ...(report === null ? [] : report.failed.map((f) => `not deleted ${f.key}: ${f.message} (${f.code})`)),
    ...(report === null ? [] : report.skipped.map((s) => `skipped ${s.key}: ${s.reason}, ${s.detail}`))
  ]
  return { primary: report === null, text, json: { plan: summary, report } }
}

/**
 * The clean-up of incomplete uploads: what the plan holds and, after a real run, what was aborted.
 * The JSON is `{ plan, report }` with every candidate (report null on a dry run).
 */
export const uploadsOutcome = (outcome: Uploads.UploadsOutcome, sampleSize: number): Document => {
  const { plan, report } = outcome
  const candidates = plan.candidates
  const sample = candidates.slice(0, sampleSize)
  const sized = (u: { readonly uploads: number; readonly bytes: number }) =>
    `${count(u.uploads, "upload")}, ${bytes(u.bytes)}`
  const pairs: Array<readonly [string, string]> = [
    ["cleanup", `incomplete uploads on ${plan.location}${report === null ? " (dry run: nothing aborted)" : ""}`],
    [
      "criteria",
      `started more than ${plan.criteria.olderThan} ago${plan.criteria.prefix === "" ? "" : ` under "${plan.criteria.prefix}"`}`
    ],
    ["considered", sized(plan.population)],
    [report === null ? "would abort" : "planned", sized(plan.totals)]
  ]
  if (report !== null) {
    pairs.push(
      ["aborted", sized(report.aborted)],
      ["failed", String(report.failed.length)],
      ["report", report.reportKey ?? "-"]
    )
  }
  const more = candidates.length - sample.length
  const text = [
    ...formatText(pairs),
    ...table(
      report === null ? "would abort" : "planned",
      ["bytes", "started", "key", "upload id"],
      sample.map((c) => [bytes(c.bytes), c.initiated, c.key, c.uploadId]),
      [0]
    ),
    ...(more > 0 ? [`  … and ${more} more (--json lists them all)`] : []),
    ...(plan.warnings.length === 0 ? [] : ["", "notes", ...plan.warnings.map((w) => `  ${w}`)]),
    ...(report === null ? [] : report.failed.map((f) => `not aborted ${f.key} (${f.uploadId}): ${f.message}`))
  ]
  return { primary: report === null, text, json: { plan, report } }
}

/** A configuration plan (lifecycle rules, tiering), as the package formats it; `applied` after apply. */
export const configPlan = <T>(
  plan: LifecyclePolicy.ConfigPlan<T>,
  lines: ReadonlyArray<string>,
  applied?: boolean
): Document => ({
  primary: true,
  text:
    applied === undefined
      ? lines
      : [...lines, applied ? "applied: the bucket now matches the policy" : "nothing to apply"],
  json: applied === undefined ? plan : { plan, applied }
})
