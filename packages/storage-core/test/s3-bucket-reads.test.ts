/**
 * The bucket reads `stats` makes in every run, signed and parsed by the driver (s3/bucketXml.ts),
 * against a real Ceph RGW: GetBucketVersioning through its three states, ListMultipartUploads
 * over more than one page (RGW answers at most 1,000 uploads a page), under a prefix, with keys
 * XML cannot carry as they are.
 */
import { randomUUID } from "node:crypto"
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  UploadPartCommand
} from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { testS3 } from "@localex/local-s3"
import { Effect, Stream } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as S3 from "../src/drivers/S3.js"
import { rawClient, s3Options } from "../src/testing.js"

const engine = testS3()

describe.skipIf(engine === undefined)("bucket reads on Ceph RGW", () => {
  const s3 = engine ?? { endpoint: "http://127.0.0.1:9", region: "us-east-1", accessKeyId: "-", secretAccessKey: "-" }
  const bucket = `s3-reads-${randomUUID().slice(0, 8)}`
  const raw = rawClient(engine)
  const options = s3Options(s3, bucket, { concurrency: 4 })
  const started: Array<{ Key: string; UploadId: string }> = []
  const start = async (Key: string) => {
    const { UploadId } = await raw.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }))
    started.push({ Key, UploadId: UploadId ?? "" })
    return UploadId ?? ""
  }
  /** Runs `f` over `items`, `width` at a time. */
  const inBatches = async <A>(items: ReadonlyArray<A>, width: number, f: (item: A) => Promise<unknown>) => {
    for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(f))
  }

  beforeAll(async () => {
    await raw.send(new CreateBucketCommand({ Bucket: bucket }))
  })
  afterAll(async () => {
    await inBatches(started, 32, (u) => raw.send(new AbortMultipartUploadCommand({ Bucket: bucket, ...u })))
    await raw.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined)
    raw.destroy()
  })

  it.effect("reads versioning as never enabled, enabled, then suspended", () =>
    Effect.gen(function* () {
      const { admin } = yield* S3.makeServices(options)
      assert.strictEqual(yield* admin.getVersioning(), "Disabled")
      yield* admin.putVersioning("Enabled")
      assert.strictEqual(yield* admin.getVersioning(), "Enabled")
      assert.deepStrictEqual(yield* admin.getVersioningConfiguration(), { status: "Enabled", mfaDelete: "Disabled" })
      yield* admin.putVersioning("Suspended")
      assert.strictEqual(yield* admin.getVersioning(), "Suspended")
    }).pipe(Effect.scoped)
  )

  it.effect(
    "lists every incomplete upload under a prefix across pages, awkward keys exactly, with their parts",
    () =>
      Effect.gen(function* () {
        const many = Array.from({ length: 1003 }, (_, i) => `up/${String(i).padStart(4, "0")}`)
        const awkward = ["up/a b+c&d<e>", "up/\u65e5\u672c/\u{1F600}", "up/tab\there"]
        yield* Effect.promise(async () => {
          await inBatches([...many, ...awkward, "other/x", "upx"], 32, start)
          const UploadId = started.find((u) => u.Key === "up/a b+c&d<e>")?.UploadId
          await raw.send(
            new UploadPartCommand({ Bucket: bucket, Key: "up/a b+c&d<e>", UploadId, PartNumber: 1, Body: "12345" })
          )
        })
        const { admin } = yield* S3.makeServices(options)
        const uploads = yield* Stream.runCollect(admin.listIncompleteUploads({ prefix: "up/" }))
        assert.deepStrictEqual(uploads.map((u) => u.key).sort(), [...many, ...awkward].sort())
        const withPart = uploads.find((u) => u.key === "up/a b+c&d<e>")
        assert.deepStrictEqual([withPart?.parts, withPart?.bytes], [1, 5])
        assert.strictEqual(new Set(uploads.map((u) => u.uploadId)).size, uploads.length)
        assert.isTrue(uploads.every((u) => Math.abs(u.initiated.getTime() - Date.now()) < 10 * 60_000))
        const all = yield* Stream.runCount(admin.listIncompleteUploads())
        assert.strictEqual(all, many.length + awkward.length + 2)
      }).pipe(Effect.scoped),
    120_000
  )
})
