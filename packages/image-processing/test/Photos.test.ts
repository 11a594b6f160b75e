/** The Photos service on the fs driver and on the s3 driver against the local Ceph RGW. */
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe } from "@effect/vitest"
import { s3Request, testS3 } from "@localex/local-s3"
import * as Fs from "@localex/storage-core/fs"
import * as S3 from "@localex/storage-core/s3"
import { Effect, Layer } from "effect"
import { afterAll } from "vitest"
import { photosSuite } from "./support/photosSuite.js"

const root = mkdtempSync(join(tmpdir(), "localex-photos-fs-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

photosSuite("the fs driver", Fs.layer({ root, publicUrl: "http://127.0.0.1:8080" }))

const engine = testS3()

describe.skipIf(engine === undefined)("on Ceph RGW", () => {
  const s3 = engine ?? { endpoint: "http://127.0.0.1:9", region: "us-east-1", accessKeyId: "-", secretAccessKey: "-" }
  const bucket = `photos-${randomBytes(4).toString("hex")}`
  let bucketReady: Promise<Response> | undefined
  const store = Layer.unwrap(
    Effect.promise(() => {
      bucketReady ??= s3Request(s3, { method: "PUT", bucket })
      return bucketReady
    }).pipe(
      Effect.map(() =>
        S3.layer({
          bucket,
          region: s3.region,
          endpoint: s3.endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
          checksums: "when_required",
          multipartThreshold: 8 * 1024 * 1024,
          partSize: 8 * 1024 * 1024,
          concurrency: 4,
          maxAttempts: 3
        })
      )
    )
  )
  photosSuite("the s3 driver (Ceph RGW)", store)
})
