// @localex/security — the operations guide's "Security Operations" and "Incident Response".
export {}
