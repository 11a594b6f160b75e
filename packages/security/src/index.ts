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
