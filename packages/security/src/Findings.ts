/**
 * Findings of the posture audit and the IAM review: the rule catalogue (id, severity,
 * remediation), the exit code of a report (its worst finding) and the SARIF 2.1.0 rendering.
 *
 * | exit | the worst finding                                                        |
 * | ---- | ------------------------------------------------------------------------ |
 * | 0    | every check passed (or failed only at severity info)                     |
 * | 10   | low                                                                      |
 * | 11   | a check could not be made (the endpoint does not support it, or denied)  |
 * | 12   | medium                                                                   |
 * | 13   | high                                                                     |
 * | 14   | critical                                                                 |
 *
 * "Could not check" ranks above low and below medium: an unchecked control may hide anything,
 * but a known medium problem is worse than an unknown.
 */

import { createRequire } from "node:module"

/** The tool SARIF names: this package, at its version (read from its package.json, beside src and dist). */
export const SARIF_TOOL = {
  name: "localex-security",
  version: (createRequire(import.meta.url)("../package.json") as { version: string }).version,
  informationUri: "https://github.com/localex/localex-storage/tree/main/packages/security"
}

export type Severity = "critical" | "high" | "medium" | "low" | "info"

/** `fail`: the control is not in place; `unchecked`: the endpoint could not tell (never read as ok). */
export type FindingStatus = "pass" | "fail" | "unchecked"

export interface Rule {
  readonly id: string
  readonly title: string
  readonly severity: Severity
  /** What to do when the rule fails. */
  readonly remediation: string
}

export interface Finding {
  /** The rule id (`S3.PublicAccessBlock.Bucket`, `IAM.AccessKey.Age`, …). */
  readonly id: string
  readonly title: string
  readonly status: FindingStatus
  readonly severity: Severity
  /** The resource it is about: `arn:aws:s3:::bucket`, an account, an IAM user's ARN. */
  readonly resource: string
  /** One line a person reads: what was seen. */
  readonly message: string
  /** What was read, as data. */
  readonly evidence: unknown
  readonly remediation: string
}

export const finding = (
  rule: Rule,
  status: FindingStatus,
  resource: string,
  message: string,
  evidence: unknown
): Finding => ({
  id: rule.id,
  title: rule.title,
  status,
  severity: rule.severity,
  resource,
  message,
  evidence,
  remediation:
    status === "unchecked" ? `check by hand, or on an endpoint that supports it: ${rule.remediation}` : rule.remediation
})

const RANK: Record<Severity | "unchecked", number> = { info: 0, low: 1, unchecked: 2, medium: 3, high: 4, critical: 5 }
const EXIT: Record<number, number> = { 0: 0, 1: 10, 2: 11, 3: 12, 4: 13, 5: 14 }

/** The worst of the findings: a failed severity, `unchecked`, or undefined when all passed. */
export const worst = (findings: ReadonlyArray<Finding>): Severity | "unchecked" | undefined => {
  let found: Severity | "unchecked" | undefined
  for (const f of findings) {
    if (f.status === "pass") continue
    const level = f.status === "unchecked" ? "unchecked" : f.severity
    if (found === undefined || RANK[level] > RANK[found]) found = level
  }
  return found
}

/** The exit code of a set of findings (see the table above). */
export const exitCode = (findings: ReadonlyArray<Finding>): number => {
  const level = worst(findings)
  return level === undefined ? 0 : (EXIT[RANK[level]] ?? 1)
}

/** Counts by status and severity, for summaries. */
export const summarize = (findings: ReadonlyArray<Finding>) => {
  const failed = findings.filter((f) => f.status === "fail")
  return {
    checks: findings.length,
    passed: findings.filter((f) => f.status === "pass").length,
    failed: failed.length,
    unchecked: findings.filter((f) => f.status === "unchecked").length,
    bySeverity: Object.fromEntries(
      (["critical", "high", "medium", "low", "info"] as const).map((s) => [
        s,
        failed.filter((f) => f.severity === s).length
      ])
    ) as Record<Severity, number>,
    worst: worst(findings) ?? "none",
    exitCode: exitCode(findings)
  }
}

const SARIF_LEVEL: Record<Severity, "error" | "warning" | "note"> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note"
}

/** GitHub's `security-severity` property (CVSS-like, 0–10). */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
  info: "0.0"
}

/**
 * The findings as a SARIF 2.1.0 log: one run, the rules that appear as `tool.driver.rules`, and
 * one result per finding. A failed check is `kind: "fail"` with the rule's level; a pass is
 * `kind: "pass"` and one that could not be made `kind: "review"`, both with `level: "none"` as
 * the specification requires for any kind other than fail.
 */
export const toSarif = (
  findings: ReadonlyArray<Finding>,
  tool: { readonly name: string; readonly version: string; readonly informationUri?: string } = SARIF_TOOL
) => {
  const ids = [...new Set(findings.map((f) => f.id))]
  const first = (id: string) => findings.find((f) => f.id === id) as Finding
  const rules = ids.map((id) => {
    const f = first(id)
    return {
      id,
      name: id.replace(/[^A-Za-z0-9]/g, ""),
      shortDescription: { text: f.title },
      fullDescription: { text: f.title },
      help: { text: f.remediation.replace(/^check by hand, or on an endpoint that supports it: /, "") },
      defaultConfiguration: { level: SARIF_LEVEL[f.severity] },
      properties: { "security-severity": SECURITY_SEVERITY[f.severity], tags: ["security"], severity: f.severity }
    }
  })
  const results = findings.map((f) => ({
    ruleId: f.id,
    ruleIndex: ids.indexOf(f.id),
    kind: f.status === "fail" ? "fail" : f.status === "pass" ? "pass" : "review",
    level: f.status === "fail" ? SARIF_LEVEL[f.severity] : "none",
    message: { text: f.status === "unchecked" ? `Could not check: ${f.message}` : f.message },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: resourceUri(f.resource) } },
        logicalLocations: [{ fullyQualifiedName: f.resource, kind: "resource" }]
      }
    ],
    properties: { status: f.status, severity: f.severity, evidence: f.evidence, remediation: f.remediation }
  }))
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0" as const,
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            version: tool.version,
            ...(tool.informationUri === undefined ? {} : { informationUri: tool.informationUri }),
            rules
          }
        },
        results
      }
    ]
  }
}

/** `arn:aws:s3:::bucket` → `s3://bucket`; other ARNs as they are (a valid URI: `arn:` is a scheme). */
const resourceUri = (resource: string) =>
  resource.startsWith("arn:aws:s3:::") ? `s3://${resource.slice("arn:aws:s3:::".length)}` : resource
