// The Promise API of @localex/security as a team without Effect uses it: without a bucket the
// calls reject with the package's own error class; the findings helpers are plain functions.
import assert from "node:assert/strict"
import { AuditTargetMissing, createSecurityService, exitCode, toSarif } from "@localex/security/promise"

delete process.env.LOCALEX_STORAGE_BUCKET
const security = createSecurityService()
assert.ok((await security.auditBucket().catch((e) => e)) instanceof AuditTargetMissing)
assert.ok((await security.checkDrift("baseline.json").catch((e) => e)) instanceof AuditTargetMissing)
await security.close()

const finding = {
  id: "S3.Versioning",
  title: "Versioning is enabled",
  status: "fail",
  severity: "medium",
  resource: "arn:aws:s3:::photos",
  message: "versioning is Disabled",
  evidence: {},
  remediation: "enable it"
}
assert.equal(exitCode([finding]), 12)
const sarif = toSarif([finding])
assert.equal(sarif.version, "2.1.0")
assert.equal(sarif.runs[0].tool.driver.rules[0].id, "S3.Versioning")
assert.equal(sarif.runs[0].results[0].level, "warning")
console.log("ok")
