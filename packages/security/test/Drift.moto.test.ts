// Policy drift against a bucket on the local moto server: a baseline saved, then the same settings
// written differently (statement order, string-vs-array, key order, Sids) report no drift, and
// real changes are reported as readable lines.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  CreateBucketCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand
} from "@aws-sdk/client-s3"
import { assert } from "@effect/vitest"
import { createTestAccount, testAws, uniqueName } from "@localex/local-aws"
import { Effect, Exit } from "effect"
import { beforeAll, describe, it } from "vitest"
import { BASELINE_FORMAT, BaselineError, Drift } from "../src/index.js"
import type { Clients } from "../src/SecurityClients.js"
import { motoClients, runOn, securityOn } from "./support/postureAws.js"

const aws = testAws()

describe.skipIf(!aws)("policy drift on moto", () => {
  let clients: Clients
  let bucket: string
  const dir = mkdtempSync(join(tmpdir(), "localex-drift-"))
  const baseline = join(dir, "baseline.json")
  const run = <A, E>(effect: Effect.Effect<A, E, Drift>) => runOn(() => clients)(effect)
  const drift = () => run(Effect.flatMap(Drift, (d) => d.check(bucket, baseline)))
  const putPolicy = (policy: unknown) =>
    clients.s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }))

  beforeAll(async () => {
    clients = motoClients(aws!, await createTestAccount(aws!))
    bucket = uniqueName("drift")
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }))
    await putPolicy({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } }
        },
        {
          Sid: "AppReadsWrites",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::123456789012:role/app" },
          Action: ["s3:GetObject", "s3:PutObject"],
          Resource: `arn:aws:s3:::${bucket}/items/*`
        }
      ]
    })
    await clients.s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true
        }
      })
    )
    await clients.s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }]
        }
      })
    )
    await clients.s3.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            { ID: "site", AllowedOrigins: ["https://shop.example"], AllowedMethods: ["GET", "HEAD"] },
            { ID: "admin", AllowedOrigins: ["https://admin.example"], AllowedMethods: ["PUT"] }
          ]
        }
      })
    )
  })

  it("saves a baseline atomically: a whole file in normal form, no temporary file left", async () => {
    const saved = await run(Effect.flatMap(Drift, (d) => d.saveBaseline(bucket, baseline)))
    const file = JSON.parse(readFileSync(baseline, "utf8"))
    assert.strictEqual(file.format, BASELINE_FORMAT)
    assert.strictEqual(file.bucket, bucket)
    assert.deepStrictEqual(Object.keys(file.sections).sort(), ["cors", "encryption", "policy", "publicAccessBlock"])
    assert.strictEqual(file.sections.policy.Statement.length, 2)
    assert.deepStrictEqual(saved.unchecked, {})
    assert.deepStrictEqual(readdirSync(dir), ["baseline.json"])
  })

  it("reports no drift for the same settings written in another order and form", async () => {
    await putPolicy({
      Statement: [
        {
          Resource: `arn:aws:s3:::${bucket}/items/*`,
          Action: ["s3:putobject", "s3:GetObject", "s3:GetObject"],
          Principal: { AWS: ["arn:aws:iam::123456789012:role/app"] },
          Effect: "Allow",
          Sid: "RenamedSid"
        },
        {
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: ["s3:*"],
          Resource: [`arn:aws:s3:::${bucket}/*`, `arn:aws:s3:::${bucket}`],
          Condition: { Bool: { "aws:SecureTransport": ["false"] } }
        }
      ],
      Version: "2012-10-17"
    })
    await clients.s3.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            { AllowedMethods: ["PUT"], AllowedOrigins: ["https://admin.example"] },
            { AllowedMethods: ["HEAD", "GET"], AllowedOrigins: ["https://shop.example"] }
          ]
        }
      })
    )
    const report = await drift()
    assert.strictEqual(report.drifted, false)
    assert.deepStrictEqual(
      report.sections.map((s) => [s.section, s.status, s.changes.length]),
      [
        ["policy", "same", 0],
        ["publicAccessBlock", "same", 0],
        ["encryption", "same", 0],
        ["cors", "same", 0]
      ]
    )
  })

  it("reports a real change: a statement added, a block setting turned off, CORS widened", async () => {
    await putPolicy({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } }
        },
        {
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::123456789012:role/app" },
          Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
          Resource: `arn:aws:s3:::${bucket}/items/*`
        }
      ]
    })
    await clients.s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: false,
          RestrictPublicBuckets: true
        }
      })
    )
    await clients.s3.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            { AllowedOrigins: ["https://shop.example"], AllowedMethods: ["GET", "HEAD"] },
            { AllowedOrigins: ["*"], AllowedMethods: ["PUT"] }
          ]
        }
      })
    )
    const report = await drift()
    assert.strictEqual(report.drifted, true)
    const by = Object.fromEntries(report.sections.map((s) => [s.section, s]))
    assert.strictEqual(by.encryption?.status, "same")
    assert.deepStrictEqual(by.publicAccessBlock?.changes, ["BlockPublicPolicy: true → false"])
    // The statement as it was goes out, the statement as it is comes in.
    const policy = by.policy?.changes ?? []
    assert.strictEqual(policy.length, 2)
    assert.match(policy[0]!, /^- Statement: .*"s3:getobject","s3:putobject"\]/)
    assert.match(policy[1]!, /^\+ Statement: .*"s3:deleteobject","s3:getobject","s3:putobject"\]/)
    assert.deepStrictEqual(
      by.cors?.changes.map((line) => line.slice(0, 2)),
      ["- ", "+ "]
    )
    assert.match(by.cors!.changes[1]!, /"AllowedOrigins":\["\*"\]/)
  })

  it("refuses a file that is not a baseline, and a baseline that cannot be written, changing nothing", async () => {
    const bogus = join(dir, "bogus.json")
    writeFileSync(bogus, JSON.stringify({ hello: "world" }))
    const exit = await Effect.runPromiseExit(
      Effect.flatMap(Drift, (d) => d.check(bucket, bogus)).pipe(Effect.provide(securityOn(clients)))
    )
    assert.ok(Exit.isFailure(exit))
    const error = Exit.isFailure(exit) ? exit.cause : undefined
    assert.include(String(error), "BaselineError")
    const before = readFileSync(baseline, "utf8")
    const missingDir = join(dir, "no-such-dir", "baseline.json")
    const failed = await run(Effect.flip(Effect.flatMap(Drift, (d) => d.saveBaseline(bucket, missingDir))))
    assert.ok(failed instanceof BaselineError)
    assert.strictEqual((failed as BaselineError).operation, "write")
    assert.strictEqual(readFileSync(baseline, "utf8"), before)
    assert.deepStrictEqual(readdirSync(dir).sort(), ["baseline.json", "bogus.json"])
  })
})
