/**
 * The security checks run by the runner: on a bucket of the local moto server (its S3 and IAM, in
 * an account of this file's own) they report the posture's and the review's worst finding; on the
 * fs driver they are skipped, naming the settings that turn them on.
 */
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { createTestAccount, s3ClientConfig, testAws } from "@localex/local-aws"
import { ObjectStore } from "@localex/storage-core"
import * as S3 from "@localex/storage-core/s3"
import { bucketName, layerFs, s3Options } from "@localex/storage-core/testing"
import { ConfigProvider, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { afterEach, vi } from "vitest"
import { iamReview, securityAudit } from "../src/checks/security.js"
import { runJob } from "../src/Runner.js"
import { job, runnerLayer } from "./support.js"

const aws = testAws()
const live = TestClock.withLive

const runChecks = (env: Record<string, string>) =>
  Effect.gen(function* () {
    const outcome = yield* runJob(job("security", [securityAudit, iamReview]), { trigger: "manual" }).pipe(
      Effect.provide(runnerLayer()),
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))
    )
    assert.strictEqual(outcome._tag, "Completed")
    return outcome._tag === "Completed" ? Object.fromEntries(outcome.report.checks.map((c) => [c.id, c])) : {}
  })

describe("security checks", () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it.effect("on the fs driver: skipped, naming the s3 settings", () =>
    live(
      Effect.gen(function* () {
        const checks = yield* runChecks({})
        for (const id of ["security.audit", "security.iam"]) {
          assert.strictEqual(checks[id]?.status, "skip", id)
          assert.include(checks[id]?.summary ?? "", "not configured: set LOCALEX_STORAGE_DRIVER=s3")
        }
      }).pipe(Effect.provide(layerFs()))
    )
  )

  it.effect.skipIf(!aws)(
    "on a moto bucket: the audit fails on a public policy, and passes the IAM review with only fresh keys",
    () =>
      live(
        Effect.gen(function* () {
          const account = yield* Effect.promise(() => createTestAccount(aws!))
          const engine = { ...aws!, accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey }
          const env = {
            AWS_ENDPOINT_URL: aws!.endpoint,
            AWS_REGION: aws!.region,
            AWS_ACCESS_KEY_ID: account.accessKeyId,
            AWS_SECRET_ACCESS_KEY: account.secretAccessKey
          }
          // The SDK's credential chain reads process.env itself (not Effect's ConfigProvider).
          for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value)
          const s3 = new S3Client(s3ClientConfig(aws!, account))
          // The bucket stays (moto is throwaway): a bucket deleted with objects in it (the runner's
          // report) makes moto's /moto-api/data.json answer 500, which breaks reusing the server.
          const name = bucketName("cron-security")
          yield* Effect.promise(() => s3.send(new CreateBucketCommand({ Bucket: name })))
          const checks = yield* Effect.gen(function* () {
            const store = yield* ObjectStore
            const bucket = store.location.slice(5)
            yield* Effect.promise(() =>
              s3.send(
                new PutBucketPolicyCommand({
                  Bucket: bucket,
                  Policy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                      { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }
                    ]
                  })
                })
              )
            )
            const first = yield* runChecks(env)
            return { first, bucket }
          }).pipe(Effect.provide(Layer.orDie(S3.layer(s3Options(engine, name)))))
          const audit = checks.first["security.audit"]
          assert.strictEqual(audit?.status, "fail")
          assert.match(
            audit?.summary ?? "",
            /worst: critical \(S3\.PublicAccessBlock\.Bucket, S3\.PublicAccessBlock\.Account, S3\.BucketPolicy\.PublicPrincipal/
          )
          assert.include(audit?.hint ?? "", "localex-storage audit bucket")
          assert.strictEqual((audit?.evidence as { bucket: string } | undefined)?.bucket, checks.bucket)
          // The account's only user (localex-test) has no policy and a key created just now.
          const iam = checks.first["security.iam"]
          assert.strictEqual(iam?.status, "pass", iam?.summary)
          assert.match(iam?.summary ?? "", /^\d+ ok, 0 failed, 0 could not be checked; worst: none$/)
        })
      )
  )
})
