// @localex/security — the operations guide's "Security Operations" and "Incident Response".
export {}
export * as AccessLogReport from "./AccessLogReport.js"
export { InvalidReportOption } from "./AccessLogReport.js"
export * as Incident from "./Incident.js"
export { ContainmentIncomplete, InvalidIncidentRequest } from "./incident/Errors.js"
