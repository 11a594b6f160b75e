// @localex/security — the operations guide's "Security Operations" and "Incident Response".

export * as AccessLogSecurity from "./AccessLogReport.js"
export {
  AccessLogReport,
  InvalidReportOption,
  type LogSource,
  type ReportError,
  type SecurityLogOptions,
  type SecurityLogReport
} from "./AccessLogReport.js"
export * as ApiKeys from "./ApiKeys.js"
export {
  BASELINE_FORMAT,
  type Baseline,
  Drift,
  type DriftReport,
  type Section,
  type SectionDrift,
  type SectionStatus
} from "./Drift.js"
export type { Finding, FindingStatus, Severity } from "./Findings.js"
export * as Findings from "./Findings.js"
export {
  type AccessKeyInfo,
  type IamReport,
  IamReview,
  type IamReviewOptions,
  type PrincipalAccess,
  RULES as IAM_RULES
} from "./IamReview.js"
export * as IncidentResponse from "./Incident.js"
export {
  type ChangesOptions,
  type ChangesReport,
  type ContainOptions,
  type ContainReport,
  Incident,
  type IncidentError
} from "./Incident.js"
export { ContainmentIncomplete, InvalidIncidentRequest } from "./incident/Errors.js"
export { Posture, type PostureReport, RULES as POSTURE_RULES } from "./Posture.js"
export * from "./PostureConfig.js"
export * from "./PostureErrors.js"
export * as PosturePolicy from "./PosturePolicy.js"
export { SecurityClients } from "./SecurityClients.js"
