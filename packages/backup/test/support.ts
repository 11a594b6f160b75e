/** Sides for the tests: a fresh fs folder, a fresh bucket on the local Ceph RGW (dropped after). */

import * as nodeFs from "node:fs"
import { CreateBucketCommand, PutBucketVersioningCommand } from "@aws-sdk/client-s3"
import { testS3 } from "@localex/local-s3"
import { ContentChecksum, type ObjectStore, readBody, TransportError } from "@localex/storage-core"
import * as Fs from "@localex/storage-core/fs"
import * as S3 from "@localex/storage-core/s3"
import * as Testing from "@localex/storage-core/testing"
import { Effect, Stream } from "effect"
import { type Side, serverSideOf, sideOf } from "../src/Location.js"

export const engine = testS3()

/** An fs side; its puts write `localex-sha256` as stores built from settings do (`raw`: as another tool's would not). */
export const fsSide = (prefix = "", options: { readonly raw?: boolean } = {}) =>
  Effect.gen(function* () {
    const root = yield* Effect.acquireRelease(
      Effect.sync(() => Testing.tempDir("backup")),
      (dir) => Effect.sync(() => nodeFs.rmSync(dir, { recursive: true, force: true }))
    )
    const services = yield* Fs.makeServices({ root, publicUrl: "http://127.0.0.1:8080", signingSecret: "test" })
    const store = options.raw === true ? services.store : ContentChecksum.withChecksums(services.store)
    return sideOf({ ...services, store }, prefix)
  })

/**
 * A side on a fresh RGW bucket; its puts write `localex-sha256` as stores built from settings do
 * (`raw`: the driver's own layer, as another tool's puts would not). `endpoint`: reach the engine
 * through another address (a fault proxy).
 */
export const s3Side = (
  options: {
    readonly prefix?: string
    readonly versioned?: boolean
    readonly bucket?: string
    readonly raw?: boolean
    readonly endpoint?: string
  } = {}
) =>
  Effect.gen(function* () {
    const raw = Testing.rawClient(engine)
    const bucket = options.bucket ?? Testing.bucketName("backup")
    yield* Effect.acquireRelease(
      Effect.promise(() => raw.send(new CreateBucketCommand({ Bucket: bucket }))),
      () => Effect.promise(() => Testing.dropBucket(raw, bucket))
    )
    if (options.versioned === true)
      yield* Effect.promise(() =>
        raw.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }))
      )
    const settings = Testing.s3Options(
      engine!,
      bucket,
      options.endpoint === undefined ? {} : { endpoint: options.endpoint }
    )
    const services = yield* S3.makeServices(settings)
    const store =
      options.raw === true
        ? services.store
        : ContentChecksum.withChecksums(services.store, { bufferBytes: 5 * 1024 * 1024 })
    const side = sideOf({ ...services, store }, options.prefix ?? "", serverSideOf({ driver: "s3", ...settings }))
    return { side, bucket, raw }
  })

/** Seeded bytes: every size and seed gives different content. */
export const seeded = (size: number, seed: number): Uint8Array => {
  const out = new Uint8Array(size)
  let x = seed * 2654435761 + 1
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

export const bytesOf = (store: ObjectStore["Service"], key: string) =>
  Effect.flatMap(readBody(store, key), (body) =>
    Stream.runCollect(body).pipe(Effect.map((chunks) => Buffer.concat(chunks.map((c) => Buffer.from(c)))))
  )

/** Every key of a side outside `_localex/`, sorted, relative to its prefix. */
export const keysOf = (side: Side) =>
  Testing.allKeys(side.store, side.prefix).pipe(
    Effect.map((keys) => keys.filter((k) => !k.startsWith("_localex/")).map((k) => k.slice(side.prefix.length)))
  )

/** A store whose listing fails after `after` entries (a listing cut off mid-way). */
export const failingList = (store: ObjectStore["Service"], after: number): ObjectStore["Service"] => ({
  ...store,
  list: (options) =>
    Stream.concat(
      Stream.take(store.list(options), after),
      Stream.fail(new TransportError({ operation: "ListObjectsV2", detail: "injected: the listing broke" }))
    )
})
