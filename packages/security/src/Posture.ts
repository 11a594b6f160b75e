/**
 * The posture audit of a bucket: every control the operations guide's security checklist names,
 * each a finding with severity, evidence and remediation (pass, fail, or "could not check").
 */
import type { CORSRule, LifecycleRule, ServerSideEncryptionRule } from "@aws-sdk/client-s3"
import { Clock, Context, Effect, Layer } from "effect"
import { type Finding, finding, type Rule, summarize } from "./Findings.js"
import type { SecurityAwsError } from "./PostureErrors.js"
import { hasTlsOnlyDeny, isPublicPrincipal, parseStatements } from "./PosturePolicy.js"
import * as R from "./PostureRead.js"
import { SecurityClients } from "./SecurityClients.js"

const rule = (id: string, title: string, severity: Rule["severity"], remediation: string): Rule => ({
  id,
  title,
  severity,
  remediation
})

/** The audit's rules, in report order. */
export const RULES = {
  bucketBlock: rule(
    "S3.PublicAccessBlock.Bucket",
    "Block Public Access is on for the bucket (all four settings)",
    "high",
    "aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
  ),
  accountBlock: rule(
    "S3.PublicAccessBlock.Account",
    "Block Public Access is on for the account (all four settings)",
    "medium",
    "aws s3control put-public-access-block --account-id ACCOUNT --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
  ),
  publicPolicy: rule(
    "S3.BucketPolicy.PublicPrincipal",
    "The bucket policy grants nothing to everyone without a condition",
    "critical",
    'Remove the statements with "Principal": "*" (or NotPrincipal) and no Condition, or narrow them (aws:SourceArn of the CloudFront distribution, aws:PrincipalOrgID); serve public files through CloudFront with origin access control'
  ),
  tlsOnly: rule(
    "S3.BucketPolicy.TlsOnly",
    "The bucket policy denies requests without TLS (aws:SecureTransport)",
    "medium",
    'Add to the bucket policy: {"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}'
  ),
  encryption: rule(
    "S3.DefaultEncryption",
    "Default encryption is configured",
    "medium",
    'aws s3api put-bucket-encryption --bucket BUCKET --server-side-encryption-configuration \'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"},"BucketKeyEnabled":true}]}\' (or AES256)'
  ),
  versioning: rule(
    "S3.Versioning",
    "Versioning is enabled",
    "medium",
    "localex-storage backup versioning enable (aws s3api put-bucket-versioning --versioning-configuration Status=Enabled)"
  ),
  mfaDelete: rule(
    "S3.Versioning.MfaDelete",
    "MFA delete is enabled",
    "low",
    "As the root user with its MFA device: aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration Status=Enabled,MFADelete=Enabled --mfa 'SERIAL CODE'"
  ),
  logging: rule(
    "S3.ServerAccessLogging",
    "Server access logging is enabled",
    "medium",
    'aws s3api put-bucket-logging --bucket BUCKET --bucket-logging-status \'{"LoggingEnabled":{"TargetBucket":"LOG-BUCKET","TargetPrefix":"BUCKET/"}}\' (the log bucket must allow log delivery)'
  ),
  ownership: rule(
    "S3.ObjectOwnership",
    "ACLs are disabled (Object Ownership: BucketOwnerEnforced)",
    "medium",
    "aws s3api put-bucket-ownership-controls --bucket BUCKET --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'"
  ),
  abortUploads: rule(
    "S3.Lifecycle.AbortIncompleteUploads",
    "A lifecycle rule for the whole bucket aborts incomplete multipart uploads",
    "low",
    "Add a lifecycle rule with AbortIncompleteMultipartUpload (DaysAfterInitiation 7) and an empty filter (localex-storage lifecycle plan|apply includes one)"
  ),
  corsWrite: rule(
    "S3.Cors.WildcardWrite",
    "CORS does not allow writes (PUT, POST, DELETE) from any origin",
    "high",
    "List the site's origins in AllowedOrigins of the rules that allow PUT, POST or DELETE (never *)"
  ),
  corsBroad: rule(
    "S3.Cors.Broad",
    "CORS origins are specific and use https",
    "low",
    "Replace * and http:// origins with the site's https origins"
  )
} as const

const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`

const SETTINGS = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] as const

/** A read that could not be made: the rule's "could not check" finding. */
const unchecked = (r: Rule, resource: string, reason: string) => finding(r, "unchecked", resource, reason, { reason })

const blockFinding = (r: Rule, resource: string, read: R.Read<R.PublicAccessBlock>, what: string): Finding => {
  if (read._tag === "unchecked") return unchecked(r, resource, read.reason)
  const block = read._tag === "found" ? read.value : undefined
  const off = SETTINGS.filter((s) => block?.[s] !== true)
  return off.length === 0
    ? finding(r, "pass", resource, `all four settings are on for the ${what}`, block)
    : finding(
        r,
        "fail",
        resource,
        block === undefined
          ? `the ${what} has no public access block (all four settings off)`
          : `off for the ${what}: ${off.join(", ")}`,
        { configured: block !== undefined, off, ...(block === undefined ? {} : { settings: block }) }
      )
}

/** The policy findings: public principals without conditions, and the TLS-only deny. */
export const policyFindings = (bucket: string, read: R.Read<string>): ReadonlyArray<Finding> => {
  const arn = bucketArn(bucket)
  if (read._tag === "unchecked")
    return [unchecked(RULES.publicPolicy, arn, read.reason), unchecked(RULES.tlsOnly, arn, read.reason)]
  if (read._tag === "none")
    return [
      finding(RULES.publicPolicy, "pass", arn, "the bucket has no policy", { policy: null }),
      finding(RULES.tlsOnly, "fail", arn, "the bucket has no policy, so nothing denies requests without TLS", {
        policy: null
      })
    ]
  const statements = parseStatements(read.value)
  if (statements === undefined)
    return [
      unchecked(RULES.publicPolicy, arn, "the policy is not JSON"),
      unchecked(RULES.tlsOnly, arn, "the policy is not JSON")
    ]
  const open = statements.filter((s) => s.Effect === "Allow" && isPublicPrincipal(s) && s.Condition === undefined)
  const evidence = open.map((s) => ({
    sid: s.Sid ?? null,
    principal: s.NotPrincipal === undefined ? s.Principal : { NotPrincipal: s.NotPrincipal },
    actions: s.Action ?? { NotAction: s.NotAction },
    resources: s.Resource ?? { NotResource: s.NotResource }
  }))
  const tls = hasTlsOnlyDeny(statements)
  return [
    open.length === 0
      ? finding(RULES.publicPolicy, "pass", arn, "no statement allows everyone without a condition", {
          statements: statements.length
        })
      : finding(
          RULES.publicPolicy,
          "fail",
          arn,
          `${open.length} statement(s) allow everyone without a condition: ${open
            .map((s) => `${s.Sid ?? "(no Sid)"} ${(s.Action ?? ["NotAction"]).join(",")}`)
            .join("; ")}`,
          { statements: evidence }
        ),
    tls
      ? finding(RULES.tlsOnly, "pass", arn, "a Deny with aws:SecureTransport=false covers s3:*", { tlsOnlyDeny: true })
      : finding(RULES.tlsOnly, "fail", arn, "no Deny of s3:* for aws:SecureTransport=false", { tlsOnlyDeny: false })
  ]
}

const encryptionFinding = (arn: string, read: R.Read<ReadonlyArray<ServerSideEncryptionRule>>): Finding => {
  if (read._tag === "unchecked") return unchecked(RULES.encryption, arn, read.reason)
  if (read._tag === "none") return finding(RULES.encryption, "fail", arn, "no default encryption", { rules: [] })
  const algorithms = read.value.map((r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm ?? "(none)")
  return finding(RULES.encryption, "pass", arn, `default encryption: ${algorithms.join(", ")}`, { rules: read.value })
}

export const versioningFindings = (arn: string, read: R.Read<R.Versioning>): ReadonlyArray<Finding> => {
  if (read._tag !== "found") {
    const reason = read._tag === "unchecked" ? read.reason : "no answer"
    return [unchecked(RULES.versioning, arn, reason), unchecked(RULES.mfaDelete, arn, reason)]
  }
  const { status, mfaDelete } = read.value
  return [
    status === "Enabled"
      ? finding(RULES.versioning, "pass", arn, "versioning is enabled", read.value)
      : finding(RULES.versioning, "fail", arn, `versioning is ${status}`, read.value),
    mfaDelete === "Enabled"
      ? finding(RULES.mfaDelete, "pass", arn, "MFA delete is enabled", read.value)
      : finding(RULES.mfaDelete, "fail", arn, "MFA delete is not enabled", read.value)
  ]
}

const loggingFinding = (
  arn: string,
  read: R.Read<{ TargetBucket?: string | undefined; TargetPrefix?: string | undefined }>
): Finding =>
  read._tag === "unchecked"
    ? unchecked(RULES.logging, arn, read.reason)
    : read._tag === "none"
      ? finding(RULES.logging, "fail", arn, "server access logging is off", { loggingEnabled: null })
      : finding(
          RULES.logging,
          "pass",
          arn,
          `logs go to s3://${read.value.TargetBucket ?? "?"}/${read.value.TargetPrefix ?? ""}`,
          { targetBucket: read.value.TargetBucket, targetPrefix: read.value.TargetPrefix }
        )

const ownershipFinding = (arn: string, read: R.Read<string>): Finding =>
  read._tag === "unchecked"
    ? unchecked(RULES.ownership, arn, read.reason)
    : read._tag === "found" && read.value === "BucketOwnerEnforced"
      ? finding(RULES.ownership, "pass", arn, "ACLs are disabled (BucketOwnerEnforced)", {
          objectOwnership: read.value
        })
      : finding(
          RULES.ownership,
          "fail",
          arn,
          read._tag === "none"
            ? "no ownership controls: ACLs are in effect"
            : `Object Ownership is ${read.value}: ACLs are in effect`,
          { objectOwnership: read._tag === "found" ? read.value : null }
        )

/** A rule with no filter, an empty prefix, or an empty `And` applies to the whole bucket. */
const wholeBucket = (r: LifecycleRule) => {
  const f = r.Filter
  const prefix = f?.Prefix ?? f?.And?.Prefix ?? r.Prefix ?? ""
  return (
    prefix === "" && f?.Tag === undefined && (f?.And?.Tags?.length ?? 0) === 0 && f?.ObjectSizeGreaterThan === undefined
  )
}

export const abortFinding = (arn: string, read: R.Read<ReadonlyArray<LifecycleRule>>): Finding => {
  if (read._tag === "unchecked") return unchecked(RULES.abortUploads, arn, read.reason)
  const rules = read._tag === "found" ? read.value : []
  const aborting = rules.filter((r) => r.Status === "Enabled" && r.AbortIncompleteMultipartUpload !== undefined)
  const whole = aborting.filter(wholeBucket)
  const evidence = aborting.map((r) => ({
    id: r.ID ?? null,
    days: r.AbortIncompleteMultipartUpload?.DaysAfterInitiation,
    wholeBucket: wholeBucket(r)
  }))
  if (whole.length > 0)
    return finding(
      RULES.abortUploads,
      "pass",
      arn,
      `rule ${whole[0]?.ID ?? "(no id)"} aborts incomplete uploads after ${whole[0]?.AbortIncompleteMultipartUpload?.DaysAfterInitiation} day(s)`,
      { rules: evidence }
    )
  return finding(
    RULES.abortUploads,
    "fail",
    arn,
    aborting.length === 0
      ? "no enabled lifecycle rule aborts incomplete multipart uploads"
      : "incomplete uploads are aborted only under some prefixes or tags",
    { rules: evidence }
  )
}

const WRITE_METHODS = new Set(["PUT", "POST", "DELETE"])

/** The CORS findings: wildcard origins with write methods (high); wildcard or http:// origins at all (low). */
export const corsFindings = (arn: string, read: R.Read<ReadonlyArray<CORSRule>>): ReadonlyArray<Finding> => {
  if (read._tag === "unchecked")
    return [unchecked(RULES.corsWrite, arn, read.reason), unchecked(RULES.corsBroad, arn, read.reason)]
  const rules = read._tag === "found" ? read.value : []
  const wildcard = (o: string) => o === "*" || o.includes("*")
  const writes = rules.flatMap((r, index) => {
    const methods = (r.AllowedMethods ?? []).map((m) => m.toUpperCase()).filter((m) => WRITE_METHODS.has(m))
    const origins = (r.AllowedOrigins ?? []).filter(wildcard)
    return methods.length > 0 && origins.length > 0 ? [{ rule: r.ID ?? index, origins, methods }] : []
  })
  const broad = rules.flatMap((r, index) => {
    const origins = (r.AllowedOrigins ?? []).filter((o) => wildcard(o) || o.startsWith("http://"))
    return origins.length > 0 ? [{ rule: r.ID ?? index, origins, methods: r.AllowedMethods ?? [] }] : []
  })
  const none = rules.length === 0 ? "the bucket has no CORS rules" : undefined
  return [
    writes.length === 0
      ? finding(RULES.corsWrite, "pass", arn, none ?? "no rule allows writes from a wildcard origin", {
          rules: rules.length
        })
      : finding(
          RULES.corsWrite,
          "fail",
          arn,
          `writes allowed from wildcard origins: ${writes.map((w) => `${w.origins.join(",")} ${w.methods.join(",")}`).join("; ")}`,
          { rules: writes }
        ),
    broad.length === 0
      ? finding(RULES.corsBroad, "pass", arn, none ?? "every origin is a specific https origin", {
          rules: rules.length
        })
      : finding(
          RULES.corsBroad,
          "fail",
          arn,
          `wildcard or http:// origins: ${broad.flatMap((b) => b.origins).join(", ")}`,
          {
            rules: broad
          }
        )
  ]
}

export interface PostureReport {
  readonly bucket: string
  readonly account: string | undefined
  readonly checkedAt: string
  readonly findings: ReadonlyArray<Finding>
  readonly summary: ReturnType<typeof summarize>
}

export class Posture extends Context.Service<
  Posture,
  {
    /** Reads the bucket's (and its account's) configuration and judges every rule of `RULES`. */
    readonly auditBucket: (bucket: string) => Effect.Effect<PostureReport, SecurityAwsError>
  }
>()("@localex/security/Posture") {
  static readonly layer: Layer.Layer<Posture, never, SecurityClients> = Layer.effect(
    Posture,
    Effect.gen(function* () {
      const clients = yield* SecurityClients
      const auditBucket = Effect.fn("Posture.auditBucket")(function* (bucket: string) {
        const arn = bucketArn(bucket)
        const reads = yield* Effect.all(
          {
            bucketBlock: R.readBucketPublicAccessBlock(bucket),
            account: R.readAccountPublicAccessBlock,
            policy: R.readPolicy(bucket),
            encryption: R.readEncryption(bucket),
            versioning: R.readVersioning(bucket),
            logging: R.readLogging(bucket),
            ownership: R.readOwnership(bucket),
            lifecycle: R.readLifecycle(bucket),
            cors: R.readCors(bucket)
          },
          { concurrency: 4 }
        ).pipe(Effect.provideService(SecurityClients, clients))
        const accountResource =
          reads.account.account === undefined ? "account" : `arn:aws:iam::${reads.account.account}:root`
        const findings = [
          blockFinding(RULES.bucketBlock, arn, reads.bucketBlock, "bucket"),
          blockFinding(RULES.accountBlock, accountResource, reads.account.block, "account"),
          ...policyFindings(bucket, reads.policy),
          encryptionFinding(arn, reads.encryption),
          ...versioningFindings(arn, reads.versioning),
          loggingFinding(arn, reads.logging),
          ownershipFinding(arn, reads.ownership),
          abortFinding(arn, reads.lifecycle),
          ...corsFindings(arn, reads.cors)
        ]
        return {
          bucket,
          account: reads.account.account,
          checkedAt: new Date(yield* Clock.currentTimeMillis).toISOString(),
          findings,
          summary: summarize(findings)
        }
      })
      return Posture.of({ auditBucket })
    })
  )
}
