/**
 * The clean-up of incomplete multipart uploads: on Ceph RGW with uploads left open by a plain
 * SDK client (the age filter keeps uploads that may still be running; a real run aborts the old
 * ones, writes a report, and a second run finds nothing); on fs an empty plan that says why.
 */
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, UploadPartCommand } from "@aws-sdk/client-s3"
import { assert, describe, layer } from "@effect/vitest"
import { testS3 } from "@localex/local-s3"
import { ObjectStore } from "@localex/storage-core"
import * as Testing from "@localex/storage-core/testing"
import { Effect, Layer } from "effect"
import { afterAll } from "vitest"
import * as Uploads from "../src/Uploads.js"

const engine = testS3()
const DAY = 86_400_000

layer(Uploads.layer.pipe(Layer.provideMerge(Testing.layerFs())))("incomplete uploads on fs", (it) => {
  it.effect("there are none: an empty plan that says why, and a run that writes nothing", () =>
    Effect.gen(function* () {
      const cleanup = yield* Uploads.UploadCleanup
      const outcome = yield* cleanup.run({ olderThan: 0 })
      assert.strictEqual(outcome.plan.totals.uploads, 0)
      assert.include(outcome.plan.warnings[0] ?? "", "no multipart uploads")
      assert.strictEqual(outcome.report?.reportKey, null)
      const store = yield* ObjectStore
      assert.deepStrictEqual(yield* Testing.allKeys(store), [])
    })
  )
})

describe.skipIf(engine === undefined)("incomplete uploads on Ceph RGW", () => {
  const s3 = engine ?? { endpoint: "http://127.0.0.1:9", region: "us-east-1", accessKeyId: "-", secretAccessKey: "-" }
  const raw = Testing.rawClient(engine)
  const bucket = Testing.bucketName("uploads")
  afterAll(() => raw.destroy())

  const open = (key: string, parts: number) =>
    Effect.promise(async () => {
      const { UploadId } = await raw.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))
      for (let n = 1; n <= parts; n++) {
        await raw.send(
          new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n, Body: Testing.bytes(1024, n) })
        )
      }
      return UploadId ?? ""
    })
  const openUploads = Effect.promise(() => raw.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).pipe(
    Effect.map((out) => (out.Uploads ?? []).map((u) => u.Key).sort())
  )

  layer(Uploads.layer.pipe(Layer.provideMerge(Testing.layerS3(s3, { bucket }))), { excludeTestServices: true })(
    "clean-up",
    (it) => {
      it.effect("plans by age and prefix, aborts the old ones, reports, and is idempotent", () =>
        Effect.gen(function* () {
          const cleanup = yield* Uploads.UploadCleanup
          yield* open("temp/a.bin", 2)
          yield* open("temp/b.bin", 0)
          yield* open("items/i1/c.bin", 1)

          // Started just now: younger than the default 24 h, so possibly still running.
          const fresh = yield* cleanup.plan()
          assert.strictEqual(fresh.population.uploads, 3)
          assert.strictEqual(fresh.population.bytes, 3 * 1024)
          assert.strictEqual(fresh.totals.uploads, 0)

          const later = new Date(Date.now() + 2 * DAY)
          const dry = yield* cleanup.run({ now: later, prefix: "temp/", dryRun: true })
          assert.strictEqual(dry.report, null)
          assert.deepStrictEqual(dry.plan.candidates.map((c) => c.key).sort(), ["temp/a.bin", "temp/b.bin"])
          assert.strictEqual(dry.plan.totals.bytes, 2048)
          assert.deepStrictEqual(
            yield* openUploads,
            ["items/i1/c.bin", "temp/a.bin", "temp/b.bin"],
            "a dry run aborts nothing"
          )

          const real = yield* cleanup.run({ now: later, olderThan: "1 day" })
          assert.strictEqual(real.report?.aborted.uploads, 3)
          assert.strictEqual(real.report?.aborted.bytes, 3 * 1024)
          assert.deepStrictEqual(real.report?.failed, [])
          assert.deepStrictEqual(yield* openUploads, [])
          const store = yield* ObjectStore
          const reportKey = real.report?.reportKey ?? ""
          assert.match(reportKey, /^_localex\/reports\/cleanup\/.*-uploads-result\.json$/)
          assert.isTrue(yield* store.exists(reportKey))

          const again = yield* cleanup.run({ now: later, olderThan: "1 day" })
          assert.strictEqual(again.plan.totals.uploads, 0)
          assert.strictEqual(again.report?.reportKey, null)
        })
      )
    }
  )
})
