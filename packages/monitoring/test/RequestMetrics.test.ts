/**
 * Request metrics configurations as code. moto answers PutBucketMetricsConfiguration with 200 but
 * keeps nothing, and Ceph RGW has no such API: the behaviour is tested at the SDK boundary over a
 * mocked bucket that keeps what it is given (pagination, put, delete, prune, an invalid id), and
 * on moto what an endpoint that accepts but does not keep gives: `RequestMetricsNotApplied`.
 */
import {
  CreateBucketCommand,
  DeleteBucketMetricsConfigurationCommand,
  ListBucketMetricsConfigurationsCommand,
  type MetricsConfiguration,
  PutBucketMetricsConfigurationCommand,
  S3Client,
  S3ServiceException
} from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { createTestAccount, s3ClientConfig, testAws, uniqueName } from "@localex/local-aws"
import * as Fs from "@localex/storage-core/fs"
import * as S3 from "@localex/storage-core/s3"
import * as Testing from "@localex/storage-core/testing"
import { mockClient } from "aws-sdk-client-mock"
import { Effect } from "effect"
import { afterAll, afterEach } from "vitest"
import * as RequestMetrics from "../src/RequestMetrics.js"

const settings = (bucket: string, endpoint?: string, credentials = { accessKeyId: "AKID", secretAccessKey: "s" }) => ({
  bucket,
  region: "us-east-1",
  ...(endpoint === undefined ? {} : { endpoint }),
  forcePathStyle: true,
  credentials,
  checksums: "when_supported" as const,
  multipartThreshold: 8 * 2 ** 20,
  partSize: 8 * 2 ** 20,
  concurrency: 4,
  maxAttempts: 2
})

describe("request metrics configurations at the SDK boundary", () => {
  const s3 = mockClient(S3Client)
  afterEach(() => s3.reset())
  afterAll(() => s3.restore())

  /** A bucket that keeps its configurations and lists them one per page. */
  const bucketKeeping = (initial: ReadonlyArray<MetricsConfiguration> = []) => {
    const kept = new Map(initial.map((c) => [c.Id as string, c]))
    s3.on(ListBucketMetricsConfigurationsCommand).callsFake(async (input: { ContinuationToken?: string }) => {
      const all = [...kept.values()]
      const index = input.ContinuationToken === undefined ? 0 : Number(input.ContinuationToken)
      const more = index + 1 < all.length
      return {
        MetricsConfigurationList: all.slice(index, index + 1),
        IsTruncated: more,
        ...(more ? { NextContinuationToken: String(index + 1) } : {})
      }
    })
    s3.on(PutBucketMetricsConfigurationCommand).callsFake(
      async (input: { Id: string; MetricsConfiguration: MetricsConfiguration }) => {
        kept.set(input.Id, input.MetricsConfiguration)
        return {}
      }
    )
    s3.on(DeleteBucketMetricsConfigurationCommand).callsFake(async (input: { Id: string }) => {
      kept.delete(input.Id)
      return {}
    })
    return kept
  }

  it.live("plan, apply, apply again changes nothing; the guide's EntireBucket by default", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const kept = bucketKeeping()
        const { admin } = yield* S3.makeServices(settings("photos"))
        const first = yield* RequestMetrics.plan(admin)
        assert.deepStrictEqual(
          first.changes.map((c) => `${c.action} ${c.name}`),
          ["add EntireBucket"]
        )
        assert.match(RequestMetrics.formatPlan(first).join("\n"), /1 to add/)
        const applied = yield* RequestMetrics.apply(admin)
        assert.deepStrictEqual(applied.written, ["EntireBucket"])
        assert.deepStrictEqual([...kept.values()], [{ Id: "EntireBucket" }])
        const again = yield* RequestMetrics.apply(admin)
        assert.deepStrictEqual(again.written, [])
        assert.isTrue(again.plan.empty)
        assert.strictEqual(s3.commandCalls(PutBucketMetricsConfigurationCommand).length, 1)
      })
    )
  )

  it.live("a changed prefix is rewritten; others are kept unless pruned (read across pages)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const kept = bucketKeeping([
          { Id: "EntireBucket" },
          { Id: "items", Filter: { Prefix: "items/" } },
          { Id: "someone-else", Filter: { Prefix: "tmp/" } }
        ])
        const { admin } = yield* S3.makeServices(settings("photos"))
        const desired = [{ id: "EntireBucket" }, { id: "items", prefix: "items/photos/" }]
        const kept1 = yield* RequestMetrics.apply(admin, desired)
        assert.deepStrictEqual(kept1.written, ["items"])
        assert.deepStrictEqual(kept1.deleted, [])
        assert.deepStrictEqual(kept.get("items"), { Id: "items", Filter: { Prefix: "items/photos/" } })
        assert.isTrue(kept.has("someone-else"), "not named, not pruned: left alone")
        const pruned = yield* RequestMetrics.apply(admin, desired, { prune: true })
        assert.deepStrictEqual(pruned.deleted, ["someone-else"])
        assert.deepStrictEqual([...kept.keys()].sort(), ["EntireBucket", "items"])
      })
    )
  )

  it.live("an invalid or repeated id is refused before anything is sent", () =>
    Effect.scoped(
      Effect.gen(function* () {
        bucketKeeping()
        const { admin } = yield* S3.makeServices(settings("photos"))
        const bad = yield* Effect.flip(RequestMetrics.apply(admin, [{ id: "has space" }]))
        assert.strictEqual(bad._tag, "RequestMetricsInvalid")
        const twice = yield* Effect.flip(RequestMetrics.apply(admin, [{ id: "a" }, { id: "a" }]))
        assert.strictEqual(twice._tag, "RequestMetricsInvalid")
        assert.strictEqual(s3.commandCalls(PutBucketMetricsConfigurationCommand).length, 0)
      })
    )
  )

  it.live("an endpoint without the API (Ceph RGW: 501) is NotImplementedByEndpoint", () =>
    Effect.scoped(
      Effect.gen(function* () {
        s3.on(ListBucketMetricsConfigurationsCommand).rejects(
          new S3ServiceException({
            name: "NotImplemented",
            $fault: "server",
            $metadata: { httpStatusCode: 501 },
            message: "not implemented"
          })
        )
        const { admin } = yield* S3.makeServices(settings("photos", "http://127.0.0.1:9"))
        const error = yield* Effect.flip(RequestMetrics.plan(admin))
        assert.strictEqual(error._tag, "NotImplementedByEndpoint")
      })
    )
  )
})

describe("request metrics configurations elsewhere", () => {
  it.live("the fs driver has none: UnsupportedByDriver", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { admin } = yield* Fs.makeServices({
          root: Testing.tempDir("request-metrics"),
          publicUrl: "http://127.0.0.1:8080",
          signingSecret: "test"
        })
        const error = yield* Effect.flip(RequestMetrics.plan(admin))
        assert.strictEqual(error._tag, "UnsupportedByDriver")
      })
    )
  )

  const aws = testAws()
  it.live.skipIf(!aws)("moto accepts the put but keeps nothing: apply says so (RequestMetricsNotApplied)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const account = yield* Effect.promise(() => createTestAccount(aws!))
        const bucket = uniqueName("localex-metrics")
        const raw = new S3Client(s3ClientConfig(aws!, account))
        yield* Effect.promise(() => raw.send(new CreateBucketCommand({ Bucket: bucket })))
        const { admin } = yield* S3.makeServices(settings(bucket, aws!.endpoint, account))
        const error = yield* Effect.flip(RequestMetrics.apply(admin))
        assert.strictEqual(error._tag, "RequestMetricsNotApplied")
        assert.match(error.message, /EntireBucket/)
      })
    )
  )
})
