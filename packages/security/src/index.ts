// @localex/security — the operations guide's "Security Operations" and "Incident Response".

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
export { Posture, type PostureReport, RULES as POSTURE_RULES } from "./Posture.js"
export * from "./PostureConfig.js"
export * from "./PostureErrors.js"
export * as PosturePolicy from "./PosturePolicy.js"
export { SecurityClients } from "./SecurityClients.js"
