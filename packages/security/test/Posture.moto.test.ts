// The posture audit against bucket configurations stored by the local moto server: one bucket
// that fails every rule, one that passes every rule, each in an account of its own (the account's
// public access block is one of the rules).
import {
  CreateBucketCommand,
  PutBucketAclCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketLoggingCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand
} from "@aws-sdk/client-s3"
import { PutPublicAccessBlockCommand as PutAccountBlock } from "@aws-sdk/client-s3-control"
import { assert } from "@effect/vitest"
import { createTestAccount, testAws, uniqueName } from "@localex/local-aws"
import { Effect } from "effect"
import { beforeAll, describe, it } from "vitest"
import { Findings, Posture, type PostureReport } from "../src/index.js"
import type { Clients } from "../src/SecurityClients.js"
import { motoClients, runOn } from "./support/postureAws.js"

const aws = testAws()

const ALL_ON = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true }

const audit = (clients: Clients, bucket: string) =>
  runOn(() => clients)(Effect.flatMap(Posture, (p) => p.auditBucket(bucket)))

const statusOf = (report: PostureReport) => Object.fromEntries(report.findings.map((f) => [f.id, f.status]))

describe.skipIf(!aws)("posture audit on moto", () => {
  let bad: { clients: Clients; bucket: string; report: PostureReport }
  let good: { clients: Clients; bucket: string; report: PostureReport }

  beforeAll(async () => {
    // Everything wrong: no block, a public policy without TLS deny, no encryption, no versioning,
    // no logging, ACLs on, only a prefixed abort rule, CORS writes from anywhere and http origins.
    const badClients = motoClients(aws!, await createTestAccount(aws!))
    const badBucket = uniqueName("posture-bad")
    const s3 = badClients.s3
    await s3.send(new CreateBucketCommand({ Bucket: badBucket }))
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: badBucket,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "PublicRead",
              Effect: "Allow",
              Principal: "*",
              Action: "s3:GetObject",
              Resource: `arn:aws:s3:::${badBucket}/*`
            },
            {
              Sid: "FromOurVpcOnly",
              Effect: "Allow",
              Principal: { AWS: "*" },
              Action: ["s3:PutObject"],
              Resource: `arn:aws:s3:::${badBucket}/*`,
              Condition: { StringEquals: { "aws:SourceVpce": "vpce-1234" } }
            }
          ]
        })
      })
    )
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: badBucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: "tmp-only",
              Status: "Enabled",
              Filter: { Prefix: "tmp/" },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }
            }
          ]
        }
      })
    )
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: badBucket,
        CORSConfiguration: {
          CORSRules: [
            { AllowedOrigins: ["*"], AllowedMethods: ["GET", "PUT"] },
            { AllowedOrigins: ["http://shop.example"], AllowedMethods: ["GET"] }
          ]
        }
      })
    )
    bad = { clients: badClients, bucket: badBucket, report: await audit(badClients, badBucket) }

    // Everything right, in another account whose own public access block is on.
    const account = await createTestAccount(aws!)
    const goodClients = motoClients(aws!, account)
    const goodBucket = uniqueName("posture-good")
    const logs = uniqueName("posture-logs")
    const g = goodClients.s3
    await g.send(new CreateBucketCommand({ Bucket: goodBucket }))
    await g.send(new CreateBucketCommand({ Bucket: logs }))
    // S3 accepts the log-delivery-write canned ACL on buckets; the SDK types list it for objects only.
    await g.send(new PutBucketAclCommand({ Bucket: logs, ACL: "log-delivery-write" as "private" }))
    await goodClients.s3control.send(
      new PutAccountBlock({ AccountId: account.accountId, PublicAccessBlockConfiguration: ALL_ON })
    )
    await g.send(new PutPublicAccessBlockCommand({ Bucket: goodBucket, PublicAccessBlockConfiguration: ALL_ON }))
    await g.send(
      new PutBucketPolicyCommand({
        Bucket: goodBucket,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [`arn:aws:s3:::${goodBucket}`, `arn:aws:s3:::${goodBucket}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } }
          }
        })
      })
    )
    await g.send(
      new PutBucketEncryptionCommand({
        Bucket: goodBucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }]
        }
      })
    )
    await g.send(
      new PutBucketVersioningCommand({
        Bucket: goodBucket,
        VersioningConfiguration: { Status: "Enabled", MFADelete: "Enabled" },
        MFA: "arn:aws:iam::123456789012:mfa/root 123456"
      })
    )
    await g.send(
      new PutBucketLoggingCommand({
        Bucket: goodBucket,
        BucketLoggingStatus: { LoggingEnabled: { TargetBucket: logs, TargetPrefix: `${goodBucket}/` } }
      })
    )
    await g.send(
      new PutBucketOwnershipControlsCommand({
        Bucket: goodBucket,
        OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] }
      })
    )
    await g.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: goodBucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: "abort-uploads",
              Status: "Enabled",
              Filter: { Prefix: "" },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }
            }
          ]
        }
      })
    )
    await g.send(
      new PutBucketCorsCommand({
        Bucket: goodBucket,
        CORSConfiguration: {
          CORSRules: [{ AllowedOrigins: ["https://shop.example"], AllowedMethods: ["GET", "PUT"] }]
        }
      })
    )
    good = { clients: goodClients, bucket: goodBucket, report: await audit(goodClients, goodBucket) }
  })

  it("fails every rule on the bucket configured wrongly, with evidence", () => {
    assert.deepStrictEqual(statusOf(bad.report), {
      "S3.PublicAccessBlock.Bucket": "fail",
      "S3.PublicAccessBlock.Account": "fail",
      "S3.BucketPolicy.PublicPrincipal": "fail",
      "S3.BucketPolicy.TlsOnly": "fail",
      "S3.DefaultEncryption": "fail",
      "S3.Versioning": "fail",
      "S3.Versioning.MfaDelete": "fail",
      "S3.ServerAccessLogging": "fail",
      "S3.ObjectOwnership": "fail",
      "S3.Lifecycle.AbortIncompleteUploads": "fail",
      "S3.Cors.WildcardWrite": "fail",
      "S3.Cors.Broad": "fail"
    })
    const byId = new Map(bad.report.findings.map((f) => [f.id, f]))
    // Only the unconditional statement is public; the one limited to a VPC endpoint is not.
    const publicPolicy = byId.get("S3.BucketPolicy.PublicPrincipal")!
    assert.deepStrictEqual(
      (publicPolicy.evidence as { statements: Array<{ sid: string }> }).statements.map((s) => s.sid),
      ["PublicRead"]
    )
    assert.strictEqual(publicPolicy.severity, "critical")
    assert.match(byId.get("S3.Lifecycle.AbortIncompleteUploads")!.message, /only under some prefixes/)
    assert.match(byId.get("S3.Cors.WildcardWrite")!.message, /\* PUT/)
    assert.match(byId.get("S3.Cors.Broad")!.message, /http:\/\/shop\.example/)
    assert.deepStrictEqual((byId.get("S3.PublicAccessBlock.Bucket")!.evidence as { off: string[] }).off, [
      "BlockPublicAcls",
      "IgnorePublicAcls",
      "BlockPublicPolicy",
      "RestrictPublicBuckets"
    ])
    for (const f of bad.report.findings) assert.notStrictEqual(f.remediation, "")
    // The worst is the public policy: critical, exit 14.
    assert.strictEqual(bad.report.summary.worst, "critical")
    assert.strictEqual(Findings.exitCode(bad.report.findings), 14)
  })

  it("passes every rule on the bucket configured as the guide asks (MFA delete aside: moto drops it)", () => {
    const failing = good.report.findings.filter((f) => f.status !== "pass").map((f) => `${f.id}: ${f.message}`)
    // moto accepts PutBucketVersioning with MFADelete=Enabled but does not store it (GetBucketVersioning
    // answers Status only), so MFA delete is the one rule left failing here; its pass is tested in Posture.test.ts.
    assert.deepStrictEqual(failing, ["S3.Versioning.MfaDelete: MFA delete is not enabled"])
    assert.strictEqual(good.report.summary.worst, "low")
    assert.strictEqual(good.report.summary.exitCode, 10)
    assert.match(good.report.findings.find((f) => f.id === "S3.DefaultEncryption")!.message, /AES256/)
  })

  it("renders SARIF 2.1.0: rules in the driver, one result per finding with level and location", () => {
    const sarif = Findings.toSarif(bad.report.findings, { name: "localex-security", version: "0.1.0" })
    assert.strictEqual(sarif.version, "2.1.0")
    const run = sarif.runs[0]!
    const ruleIds = run.tool.driver.rules.map((r) => r.id)
    assert.strictEqual(new Set(ruleIds).size, 12)
    for (const result of run.results) {
      assert.strictEqual(ruleIds[result.ruleIndex], result.ruleId)
      assert.strictEqual(result.kind, "fail")
      assert.include(["error", "warning", "note"], result.level)
      assert.ok(result.message.text.length > 0)
      assert.match(result.locations[0]!.physicalLocation.artifactLocation.uri, /^(s3:\/\/|arn:aws:iam::\d{12}:root$)/)
    }
    const critical = run.results.find((r) => r.ruleId === "S3.BucketPolicy.PublicPrincipal")!
    assert.strictEqual(critical.level, "error")
    assert.strictEqual(critical.locations[0]!.physicalLocation.artifactLocation.uri, `s3://${bad.bucket}`)
    // Passes are results of kind "pass" with level "none", as the specification requires.
    const passes = Findings.toSarif(good.report.findings, { name: "x", version: "1" }).runs[0]!.results
    const pass = passes.filter((r) => r.ruleId !== "S3.Versioning.MfaDelete")
    assert.strictEqual(pass.length, 11)
    assert.ok(pass.every((r) => r.kind === "pass" && r.level === "none"))
  })
})
