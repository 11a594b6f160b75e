/** Views of the audit commands: posture findings (table, JSON, SARIF), drift, the IAM review. */
import type { DriftReport, Findings as F, IamReport, PostureReport } from "@localex/security"
import type { Document } from "../Output.js"
import { columns, count, table } from "./format.js"

const STATUS: Record<F.FindingStatus, string> = { pass: "ok", fail: "FAIL", unchecked: "could not check" }

const findingRows = (findings: ReadonlyArray<F.Finding>) =>
  findings.map((f) => [STATUS[f.status], f.status === "pass" ? "" : f.severity, f.id, f.message])

const remediations = (findings: ReadonlyArray<F.Finding>) => {
  const open = findings.filter((f) => f.status !== "pass")
  return open.length === 0 ? [] : ["", "to do", ...open.map((f) => `  ${f.id}: ${f.remediation}`)]
}

const summaryLine = (s: PostureReport["summary"]) =>
  `${s.checks} checks: ${s.passed} ok, ${s.failed} failed, ${s.unchecked} could not be checked; worst: ${s.worst} (exit ${s.exitCode})`

/** The findings as a table for a person (the JSON is the whole report). */
export const posture = (report: PostureReport): Document => ({
  text: [
    ...columns([
      ["bucket", report.bucket],
      ["account", report.account ?? "(unknown)"],
      ["summary", summaryLine(report.summary)]
    ]),
    ...table("findings", ["status", "severity", "rule", "evidence"], findingRows(report.findings), []),
    ...remediations(report.findings)
  ],
  json: report
})

/** A document printed as JSON whatever the mode (`--format json|sarif`): the answer itself. */
export const raw = (value: unknown): Document => ({
  text: JSON.stringify(value, null, 2).split("\n"),
  json: value,
  primary: true
})

export const drift = (report: DriftReport): Document => ({
  text: [
    ...columns([
      ["bucket", report.bucket],
      ["baseline", `${report.baseline} (saved ${report.baselineSavedAt || "?"})`],
      ["verdict", report.drifted ? "DRIFTED" : "no drift"]
    ]),
    ...table(
      "sections",
      ["section", "status", "changes"],
      report.sections.map((s) => [s.section, s.status, s.reason ?? String(s.changes.length)]),
      []
    ),
    ...report.sections.flatMap((s) =>
      s.changes.length === 0 ? [] : ["", `${s.section}:`, ...s.changes.map((c) => `  ${c}`)]
    )
  ],
  json: report
})

export const baselineSaved = (
  path: string,
  bucket: string,
  sections: ReadonlyArray<string>,
  unchecked: ReadonlyArray<string>
): Document => ({
  text: columns([
    ["baseline", path],
    ["bucket", bucket],
    ["sections", sections.join(", ") || "(none)"],
    ...(unchecked.length === 0 ? [] : [["could not read", unchecked.join(", ")]])
  ]),
  json: { baseline: path, bucket, sections, unchecked }
})

export const iam = (report: IamReport): Document => ({
  text: [
    ...columns([
      ["bucket", report.bucket],
      [
        "scanned",
        `${count(report.users, "user")}, ${count(report.roles, "role")}, ${count(report.keys.length, "access key")}`
      ],
      ["thresholds", `keys older than ${report.maxKeyAgeDays} days, unused for ${report.unusedDays} days`],
      ["summary", summaryLine(report.summary)]
    ]),
    ...table(
      "users and roles with S3 access to the bucket",
      ["kind", "name", "access", "through"],
      report.principals.map((p) => [
        p.kind,
        p.name,
        p.deniedAll ? `${p.access} (denied by a Deny)` : p.access,
        [...new Set(p.grants.map((g) => `${g.source}${g.conditional ? " (conditional)" : ""}`))].join(", ")
      ]),
      []
    ),
    ...table(
      "findings",
      ["status", "severity", "rule", "evidence"],
      findingRows(report.findings.filter((f) => f.status !== "pass")),
      []
    ),
    ...remediations(report.findings)
  ],
  json: report
})
