// @localex/security — the operations guide's "Security Operations" and "Incident Response".

export * as ApiKeys from "./ApiKeys.js"
