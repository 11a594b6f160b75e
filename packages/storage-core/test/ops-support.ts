/**
 * Shared by the operations tests (stats, inventory, cleanup, orphans, lifecycle): fresh fs
 * roots, RGW buckets (created and emptied — versions, markers and uploads too), layers.
 */
import * as nodeFs from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  S3Client
} from "@aws-sdk/client-s3"
import { testS3 } from "@localex/local-s3"
import { Effect, Layer, Stream } from "effect"
import * as BucketAdmin from "../src/BucketAdmin.js"
import * as Fs from "../src/drivers/Fs.js"
import * as S3 from "../src/drivers/S3.js"
import type { ObjectStore } from "../src/ObjectStore.js"
import { MiB, type S3Options } from "../src/StorageConfig.js"

export const engine = testS3()

const scratch = nodeFs.mkdtempSync(path.join(os.tmpdir(), "localex-ops-test-"))
let roots = 0
/** A fresh fs root (removed with `removeScratch`). */
export const freshRoot = () => path.join(scratch, `root-${++roots}`)
export const removeScratch = () => fs.rm(scratch, { recursive: true, force: true })

/** ObjectStore and BucketAdmin on a fresh fs root. */
export const fsLayers = (root = freshRoot()) =>
  Layer.merge(Fs.layer({ root, publicUrl: "http://127.0.0.1:8080", signingSecret: "ops-test" }), BucketAdmin.layerFs)

/** Deterministic bytes of a size (content is irrelevant to these tests, sizes are not). */
export const bytes = (size: number, seed = 1): Uint8Array => new Uint8Array(size).fill(seed % 251)

/** Puts `objects` through the store, `concurrency` at a time. */
export const putAll = (
  store: ObjectStore["Service"],
  objects: ReadonlyArray<{ readonly key: string; readonly size: number; readonly metadata?: Record<string, string> }>,
  concurrency = 16
) =>
  Effect.forEach(
    objects,
    (o) => store.put(o.key, bytes(o.size), o.metadata === undefined ? {} : { metadata: o.metadata }),
    { concurrency, discard: true }
  )

/** Every key in the store, sorted. */
export const allKeys = (store: ObjectStore["Service"], prefix = "") =>
  store.list({ prefix }).pipe(
    Stream.filter((e) => e._tag === "Object"),
    Stream.map((e) => (e._tag === "Object" ? e.key : "")),
    Stream.runCollect,
    Effect.map((keys) => [...keys].sort())
  )

// --- RGW ------------------------------------------------------------------------------------

/** An SDK client for arranging what ObjectStore cannot (versioning, storage classes, uploads left open). */
export const rawClient = () => {
  const s3 = engine
  // Suites without an engine are skipped but still collected: give them an inert client.
  if (s3 === undefined) return new S3Client({ region: "us-east-1" })
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED"
  })
}

export const s3Options = (bucket: string): S3Options => {
  const s3 = engine!
  return {
    bucket,
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    checksums: "when_required",
    multipartThreshold: 5 * MiB,
    partSize: 5 * MiB,
    concurrency: 8,
    maxAttempts: 3
  }
}

let buckets = 0
/** A bucket name unique to this run. */
export const bucketName = (label: string) => `ops-${label}-${process.pid}-${++buckets}-${Date.now().toString(36)}`

/** ObjectStore and BucketAdmin on a new RGW bucket, created when the layer is built. */
export const s3Layers = (raw: S3Client, bucket: string) =>
  Layer.unwrap(
    Effect.map(
      Effect.promise(() => raw.send(new CreateBucketCommand({ Bucket: bucket }))),
      () => Layer.merge(S3.layer(s3Options(bucket)), BucketAdmin.layerS3(s3Options(bucket)))
    )
  )

/** Deletes every version, marker and upload of a bucket, then the bucket (memstore gives the RAM back). */
export const dropBucket = async (raw: S3Client, bucket: string) => {
  for (;;) {
    const page = await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket })).catch(() => undefined)
    const uploads = page?.Uploads ?? []
    if (uploads.length === 0) break
    for (const u of uploads)
      await raw.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }))
  }
  for (;;) {
    const page = await raw.send(new ListObjectVersionsCommand({ Bucket: bucket })).catch(() => undefined)
    const objects = [...(page?.Versions ?? []), ...(page?.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key!,
      VersionId: v.VersionId!
    }))
    if (objects.length === 0) break
    await raw.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }))
  }
  await raw.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined)
}
