/**
 * Intelligent tiering at the SDK boundary (Ceph RGW does not implement it): the exact requests
 * plan and apply send, pagination, idempotence, and how S3's errors arrive typed. The bucket
 * behind the mock is a small stateful fake, so "apply, then plan" reads what apply wrote.
 * Also the exact lifecycle and multipart requests AWS would receive.
 */

import { rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import {
  DeleteBucketIntelligentTieringConfigurationCommand,
  GetBucketLifecycleConfigurationCommand,
  type IntelligentTieringConfiguration,
  ListBucketIntelligentTieringConfigurationsCommand,
  ListPartsCommand,
  PutBucketIntelligentTieringConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  S3ServiceException
} from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import type { S3Options } from "@localex/storage-core"
import * as S3 from "@localex/storage-core/s3"
import { RetryBaseDelay } from "@localex/storage-core/s3"
import * as Testing from "@localex/storage-core/testing"
import { mockClient } from "aws-sdk-client-mock"
import { Duration, Effect, Layer, Stream } from "effect"
import { afterEach, beforeEach } from "vitest"
import * as LifecyclePolicy from "../src/LifecyclePolicy.js"
import * as Tiering from "../src/Tiering.js"
import { decodeTieringPolicy, defaultTieringPolicy, formatTieringPlan } from "../src/Tiering.js"

const s3 = mockClient(S3Client)
const options: S3Options = {
  bucket: "photos",
  region: "eu-west-1",
  forcePathStyle: false,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  checksums: "when_supported",
  multipartThreshold: 8 * 2 ** 20,
  partSize: 8 * 2 ** 20,
  concurrency: 4,
  maxAttempts: 3
}
const layers = Layer.mergeAll(Tiering.layer, LifecyclePolicy.layer).pipe(Layer.provideMerge(S3.layer(options)))
const fastRetries = Effect.provideService(RetryBaseDelay, Duration.millis(1))

/** S3's configurations, kept by the fake; listed one per page to exercise pagination. */
let configurations: Map<string, IntelligentTieringConfiguration>

const serviceError = (name: string, status: number) =>
  new S3ServiceException({
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
    message: name
  })

beforeEach(() => {
  s3.reset()
  configurations = new Map()
  s3.on(ListBucketIntelligentTieringConfigurationsCommand).callsFake(async (input) => {
    const all = [...configurations.values()].sort((a, b) => (a.Id! < b.Id! ? -1 : 1))
    const start = input.ContinuationToken === undefined ? 0 : Number(input.ContinuationToken)
    const page = all.slice(start, start + 1)
    const more = start + 1 < all.length
    return {
      IsTruncated: more,
      ...(more ? { NextContinuationToken: String(start + 1) } : {}),
      ...(page.length === 0 ? {} : { IntelligentTieringConfigurationList: page })
    }
  })
  s3.on(PutBucketIntelligentTieringConfigurationCommand).callsFake(async (input) => {
    configurations.set(input.Id, input.IntelligentTieringConfiguration)
    return {}
  })
  s3.on(DeleteBucketIntelligentTieringConfigurationCommand).callsFake(async (input) => {
    configurations.delete(input.Id)
    return {}
  })
})
afterEach(() => s3.reset())

const puts = () => s3.commandCalls(PutBucketIntelligentTieringConfigurationCommand).map((c) => c.args[0].input)
const deletes = () => s3.commandCalls(DeleteBucketIntelligentTieringConfigurationCommand).map((c) => c.args[0].input)
const lists = () => s3.commandCalls(ListBucketIntelligentTieringConfigurationsCommand).map((c) => c.args[0].input)

describe("intelligent tiering at the SDK boundary", () => {
  it.effect("apply on an empty bucket: one exact PUT per configuration, then nothing on the second apply", () =>
    Effect.gen(function* () {
      const tiering = yield* Tiering.Tiering
      const policy = defaultTieringPolicy()
      const result = yield* tiering.apply(policy)
      assert.isTrue(result.applied)
      assert.deepStrictEqual(
        result.plan.changes.map((c) => [c.action, c.id]),
        [
          ["add", "archive-unread-item-photos"],
          ["add", "archive-unread-profile-photos"]
        ]
      )
      assert.deepStrictEqual(puts(), [
        {
          Bucket: "photos",
          Id: "archive-unread-item-photos",
          IntelligentTieringConfiguration: {
            Id: "archive-unread-item-photos",
            Status: "Enabled",
            Filter: { Prefix: "items/" },
            Tierings: [{ Days: 180, AccessTier: "ARCHIVE_ACCESS" }]
          }
        },
        {
          Bucket: "photos",
          Id: "archive-unread-profile-photos",
          IntelligentTieringConfiguration: {
            Id: "archive-unread-profile-photos",
            Status: "Enabled",
            Filter: { Prefix: "profiles/" },
            Tierings: [{ Days: 180, AccessTier: "ARCHIVE_ACCESS" }]
          }
        }
      ])
      assert.deepStrictEqual(deletes(), [])

      s3.resetHistory()
      const again = yield* tiering.apply(policy)
      assert.isFalse(again.applied)
      assert.isTrue(again.plan.empty)
      assert.deepStrictEqual(puts(), [])
      assert.deepStrictEqual(deletes(), [])
      // Two configurations, one per page: the listing followed the continuation token.
      assert.deepStrictEqual(lists(), [{ Bucket: "photos" }, { Bucket: "photos", ContinuationToken: "1" }])
    }).pipe(Effect.provide(layers))
  )

  it.effect("changes and removals: PUT the changed one (tags as And), DELETE the one the policy dropped", () =>
    Effect.gen(function* () {
      configurations.set("old", {
        Id: "old",
        Status: "Enabled",
        Filter: { Prefix: "legacy/" },
        Tierings: [{ Days: 90, AccessTier: "ARCHIVE_ACCESS" }]
      })
      configurations.set("photos", {
        Id: "photos",
        Status: "Enabled",
        Filter: { Prefix: "items/" },
        Tierings: [{ Days: 90, AccessTier: "ARCHIVE_ACCESS" }]
      })
      const policy = yield* decodeTieringPolicy({
        configurations: [
          { id: "photos", prefix: "items/", tags: { tier: "cold" }, archiveAccessDays: 120, deepArchiveAccessDays: 365 }
        ]
      })
      const tiering = yield* Tiering.Tiering
      const plan = yield* tiering.plan(policy)
      assert.deepStrictEqual(formatTieringPlan(plan), [
        '~ change intelligent-tiering configuration "photos"',
        '    tags: (none) → {"tier":"cold"}',
        "    archiveAccessDays: 90 → 120",
        "    deepArchiveAccessDays: (none) → 365",
        '- remove intelligent-tiering configuration "old"',
        "    enabled: true → (none)",
        '    prefix: "legacy/" → (none)',
        "    archiveAccessDays: 90 → (none)",
        "Plan: 0 to add, 1 to change, 1 to remove, 0 unchanged."
      ])
      yield* tiering.apply(policy)
      assert.deepStrictEqual(puts(), [
        {
          Bucket: "photos",
          Id: "photos",
          IntelligentTieringConfiguration: {
            Id: "photos",
            Status: "Enabled",
            Filter: { And: { Prefix: "items/", Tags: [{ Key: "tier", Value: "cold" }] } },
            Tierings: [
              { Days: 120, AccessTier: "ARCHIVE_ACCESS" },
              { Days: 365, AccessTier: "DEEP_ARCHIVE_ACCESS" }
            ]
          }
        }
      ])
      assert.deepStrictEqual(deletes(), [{ Bucket: "photos", Id: "old" }])
      assert.isTrue((yield* tiering.plan(policy)).empty)
    }).pipe(Effect.provide(layers))
  )

  it.effect("an endpoint that ignores the PUT: ConfigurationNotApplied, not a silent success", () =>
    Effect.gen(function* () {
      s3.on(PutBucketIntelligentTieringConfigurationCommand).resolves({})
      const error = yield* Effect.flip((yield* Tiering.Tiering).apply(defaultTieringPolicy()))
      assert.strictEqual(error._tag, "ConfigurationNotApplied")
    }).pipe(Effect.provide(layers))
  )

  // Real time: the retries of 5xx and SlowDown sleep (1 ms here).
  it.live(
    "S3's errors arrive typed: AccessDenied, BucketNotFound, NotImplementedByEndpoint (not retried); SlowDown is retried",
    () =>
      Effect.gen(function* () {
        const tiering = yield* Tiering.Tiering
        const cases = [
          [serviceError("AccessDenied", 403), "AccessDenied", 1],
          [serviceError("NoSuchBucket", 404), "BucketNotFound", 1],
          [serviceError("NotImplemented", 501), "NotImplementedByEndpoint", 1],
          [serviceError("InternalError", 500), "TransportError", 3]
        ] as const
        for (const [error, tag, attempts] of cases) {
          s3.reset()
          s3.on(ListBucketIntelligentTieringConfigurationsCommand).rejects(error)
          const failure = yield* Effect.flip(tiering.plan(defaultTieringPolicy()))
          assert.strictEqual(failure._tag, tag)
          assert.strictEqual(lists().length, attempts, `${tag}: ${attempts} attempt(s)`)
        }
        s3.reset()
        s3.on(ListBucketIntelligentTieringConfigurationsCommand)
          .rejectsOnce(serviceError("SlowDown", 503))
          .resolves({ IsTruncated: false })
        assert.strictEqual((yield* tiering.plan(defaultTieringPolicy())).changes.length, 2)
        assert.strictEqual(lists().length, 2)
      }).pipe(Effect.provide(layers), fastRetries)
  )

  it.effect("policies are checked: days within S3's ranges, deep archive after archive, unique ids", () =>
    Effect.gen(function* () {
      for (const [configuration, reason] of [
        [{ id: "a", archiveAccessDays: 30 }, "90"],
        [{ id: "a", deepArchiveAccessDays: 100 }, "180"],
        [{ id: "a", archiveAccessDays: 200, deepArchiveAccessDays: 190 }, "greater than archiveAccessDays"],
        [{ id: "a" }, "needs archiveAccessDays"]
      ] as const) {
        const error = yield* Effect.flip(decodeTieringPolicy({ configurations: [configuration] }))
        assert.include(error.message, reason)
      }
      const twice = yield* Effect.flip(
        decodeTieringPolicy({
          configurations: [
            { id: "a", archiveAccessDays: 90 },
            { id: "a", archiveAccessDays: 91 }
          ]
        })
      )
      assert.include(twice.message, "unique")
      const file = path.join(os.tmpdir(), `tiering-${process.pid}-${Date.now()}.json`)
      writeFileSync(
        file,
        JSON.stringify({ configurations: [{ id: "photos", prefix: "items/", archiveAccessDays: 120 }] })
      )
      const loaded = yield* Tiering.loadTieringPolicyFile(file)
      assert.deepStrictEqual(loaded.configurations, [
        { id: "photos", enabled: true, prefix: "items/", archiveAccessDays: 120 }
      ])
      writeFileSync(file, JSON.stringify({ configurations: [{ id: "photos" }] }))
      assert.include((yield* Effect.flip(Tiering.loadTieringPolicyFile(file))).message, file)
      rmSync(file)
    })
  )

  it.effect("on fs: UnsupportedByDriver", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip((yield* Tiering.Tiering).plan(defaultTieringPolicy()))
      assert.strictEqual(error._tag, "UnsupportedByDriver")
    }).pipe(Effect.provide(Tiering.layer.pipe(Layer.provide(Testing.layerFs()))))
  )
})

describe("lifecycle and uploads at the SDK boundary", () => {
  it.effect("the default policy is sent as AWS expects it", () =>
    Effect.gen(function* () {
      s3.on(GetBucketLifecycleConfigurationCommand)
        .rejectsOnce(serviceError("NoSuchLifecycleConfiguration", 404))
        .callsFake(async () => ({
          Rules: s3.commandCalls(PutBucketLifecycleConfigurationCommand)[0]?.args[0].input.LifecycleConfiguration?.Rules
        }))
      s3.on(PutBucketLifecycleConfigurationCommand).resolves({})
      yield* (yield* LifecyclePolicy.Lifecycle).apply(LifecyclePolicy.defaultPolicy())
      const sent = s3.commandCalls(PutBucketLifecycleConfigurationCommand).map((c) => c.args[0].input)
      assert.deepStrictEqual(sent, [
        {
          Bucket: "photos",
          LifecycleConfiguration: {
            Rules: [
              { ID: "expire-temp", Status: "Enabled", Filter: { Prefix: "temp/" }, Expiration: { Days: 1 } },
              {
                ID: "archive-item-photos",
                Status: "Enabled",
                Filter: { Prefix: "items/" },
                Transitions: [{ Days: 365, StorageClass: "GLACIER" }]
              },
              {
                ID: "archive-profile-photos",
                Status: "Enabled",
                Filter: { Prefix: "profiles/" },
                Transitions: [{ Days: 365, StorageClass: "GLACIER" }]
              },
              {
                ID: "abort-incomplete-uploads",
                Status: "Enabled",
                Filter: { Prefix: "" },
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }
              },
              {
                ID: "expire-noncurrent-versions",
                Status: "Enabled",
                Filter: { Prefix: "" },
                NoncurrentVersionExpiration: { NoncurrentDays: 30 }
              }
            ]
          }
        }
      ])
    }).pipe(Effect.provide(layers))
  )

  it.effect("incomplete uploads: paged listing, parts summed across ListParts pages", () =>
    Effect.gen(function* () {
      // ListMultipartUploads is the driver's own signed GET (not the SDK's): a local endpoint
      // answers its two pages; ListParts still goes through the SDK client, mocked.
      const upload = (key: string, id: string, at: string) =>
        `<Upload><Key>${key}</Key><UploadId>${id}</UploadId><Initiated>${at}</Initiated></Upload>`
      const pages = [
        `<IsTruncated>true</IsTruncated><NextKeyMarker>b</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>${upload("a", "u1", "2026-01-02T00:00:00Z")}${upload("b", "u2", "2026-01-01T00:00:00Z")}`,
        `<IsTruncated>false</IsTruncated>${upload("c", "u3", "2026-02-01T00:00:00Z")}`
      ]
      const queries: Array<Record<string, string>> = []
      const server = createServer((request, response) => {
        queries.push(Object.fromEntries(new URL(request.url ?? "/", "http://x").searchParams))
        response.end(
          `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>photos</Bucket>${pages[queries.length - 1] ?? ""}</ListMultipartUploadsResult>`
        )
      })
      yield* Effect.acquireRelease(
        Effect.promise(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))),
        () => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
      )
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      s3.on(ListPartsCommand, { UploadId: "u1" })
        .resolvesOnce({ IsTruncated: true, NextPartNumberMarker: "2", Parts: [{ Size: 5 }, { Size: 6 }] })
        .resolvesOnce({ IsTruncated: false, Parts: [{ Size: 7 }] })
      s3.on(ListPartsCommand, { UploadId: "u2" }).resolves({ IsTruncated: false, Parts: [{ Size: 100 }] })
      // u3 was completed between the listing and its parts: nothing to count.
      s3.on(ListPartsCommand, { UploadId: "u3" }).rejects(serviceError("NoSuchUpload", 404))
      const { admin } = yield* S3.makeServices({ ...options, endpoint, forcePathStyle: true })
      const uploads = yield* Stream.runCollect(admin.listIncompleteUploads())
      assert.deepStrictEqual(
        uploads.map((u) => [u.key, u.bytes, u.parts]),
        [
          ["a", 18, 3],
          ["b", 100, 1],
          ["c", 0, 0]
        ]
      )
      assert.deepStrictEqual(queries, [{ uploads: "" }, { uploads: "", "key-marker": "b", "upload-id-marker": "u2" }])
      assert.deepStrictEqual(
        s3.commandCalls(ListPartsCommand, { UploadId: "u1" }).map((c) => c.args[0].input.PartNumberMarker),
        [undefined, "2"]
      )
    }).pipe(Effect.scoped, fastRetries)
  )
})
