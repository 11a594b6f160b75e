// @localex/security — the operations guide's "Security Operations" and "Incident Response".
export {}
export * as ApiKeys from "./ApiKeys.js"
