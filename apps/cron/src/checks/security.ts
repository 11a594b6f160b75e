/**
 * The security audit (monthly) and the IAM review (quarterly): @localex/security's Posture and
 * IamReview on the store's bucket (clients from AWS_*; thresholds from LOCALEX_SECURITY_*).
 * The worst finding decides: high or critical fail, medium fail, low or "could not check" warn.
 */
import { Findings, IamReview, loadReviewOptions, Posture, SecurityClients } from "@localex/security"
import { ObjectStore } from "@localex/storage-core"
import { Effect, Layer } from "effect"
import { type Check, notConfigured, type Outcome, outcome } from "../Check.js"

const services = Layer.mergeAll(Posture.layer, IamReview.layer).pipe(Layer.provide(SecurityClients.layerConfig()))

/** The bucket of the store, or undefined on a driver without one (fs). */
const storeBucket = Effect.map(ObjectStore, (store) =>
  store.driver === "s3" && store.location.startsWith("s3://") ? store.location.slice(5).split("/")[0] : undefined
)

const verdict = (findings: ReadonlyArray<Findings.Finding>, hint: string, evidence: unknown): Outcome => {
  const summary = Findings.summarize(findings)
  const open = findings.filter((f) => f.status !== "pass")
  const status =
    summary.worst === "none" || summary.worst === "info"
      ? "pass"
      : summary.worst === "low" || summary.worst === "unchecked"
        ? "warn"
        : "fail"
  const line = `${summary.passed} ok, ${summary.failed} failed, ${summary.unchecked} could not be checked; worst: ${summary.worst}`
  const first = open.slice(0, 5).map((f) => `${f.id}${f.status === "unchecked" ? " (could not check)" : ""}`)
  return outcome(
    status,
    first.length === 0 ? line : `${line} (${first.join(", ")}${open.length > 5 ? ", …" : ""})`,
    evidence,
    status === "pass" ? undefined : hint
  )
}

const NEEDS_S3 = [
  "LOCALEX_STORAGE_DRIVER=s3 and LOCALEX_STORAGE_BUCKET",
  "the bucket to audit (the fs driver has no bucket)"
] as const

/** Monthly: the bucket's posture (public access, policy, encryption, versioning, logging, ownership, lifecycle, CORS). */
export const securityAudit: Check = {
  id: "security.audit",
  title: "Security audit",
  run: Effect.gen(function* () {
    const bucket = yield* storeBucket
    if (bucket === undefined) return notConfigured(...NEEDS_S3)
    const report = yield* Effect.flatMap(Posture, (p) => p.auditBucket(bucket)).pipe(Effect.provide(services))
    return verdict(report.findings, "see `localex-storage audit bucket` for the findings and what to do", report)
  })
}

/** Quarterly: users and roles with S3 access to the bucket, old and unused access keys. */
export const iamReview: Check = {
  id: "security.iam",
  title: "Review IAM policies",
  run: Effect.gen(function* () {
    const bucket = yield* storeBucket
    if (bucket === undefined) return notConfigured(...NEEDS_S3)
    const options = yield* loadReviewOptions()
    const report = yield* Effect.flatMap(IamReview, (r) => r.review(bucket, options)).pipe(Effect.provide(services))
    return verdict(report.findings, "see `localex-storage audit iam` for the principals and keys", report)
  })
}
