/**
 * Layers and fixtures for the tests and benchmarks of this package and the others: a store in
 * memory, a store on a fresh temporary folder (fs), a store on a fresh bucket of an S3 engine (a
 * local Ceph RGW, by endpoint and credentials: the engine itself is started elsewhere), and
 * helpers to fill and read a store. Nothing here is for production use.
 */
import { spawn } from "node:child_process"
import * as nodeFs from "node:fs"
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
import { Effect, Layer, Stream } from "effect"
import type { BucketAdmin } from "./BucketAdmin.js"
import * as Fs from "./drivers/Fs.js"
import * as Memory from "./drivers/Memory.js"
import * as S3 from "./drivers/S3.js"
import type { StorageConfigError } from "./Errors.js"
import type { ObjectStore } from "./ObjectStore.js"
import { MiB, type S3Options } from "./StorageConfig.js"

/** Where an S3 engine answers, and the credentials it accepts. */
export interface S3Engine {
  readonly endpoint: string
  readonly region: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
}

// --- faults -----------------------------------------------------------------------------------

export {
  type Chaos,
  type ChaosCounts,
  type Fault,
  type FaultProxy,
  type FaultProxyOptions,
  faultProxy,
  type RequestKind,
  requestKind,
  seededRandom,
  startFaultProxy
} from "./testing/faultProxy.js"
export { startTlsFront, TEST_CERTIFICATE, type TlsFront, trustTestCertificate } from "./testing/tlsFront.js"

// --- memory -----------------------------------------------------------------------------------

export type { MemoryOptions } from "./drivers/Memory.js"

/**
 * ObjectStore and BucketAdmin of a fresh, empty in-memory store (driver `"memory"`): the same
 * contract as fs and s3 (keys, metadata and tag rules, listing order, conditional writes, ranges,
 * signed URLs like fs's). Its BucketAdmin has no bucket configuration (`UnsupportedByDriver`) but
 * reads object tags. Each layer build is a new, empty store.
 */
export const layerMemory = (options: Memory.MemoryOptions = {}): Layer.Layer<ObjectStore | BucketAdmin> =>
  Memory.layer(options)

// --- fs ---------------------------------------------------------------------------------------

/** A new empty folder under the system's temp folder. */
export const tempDir = (label = "store"): string => nodeFs.mkdtempSync(path.join(os.tmpdir(), `localex-${label}-`))

/** ObjectStore and BucketAdmin on a fresh temporary folder, removed when the layer is released. */
export const layerFs = (
  options: { readonly root?: string; readonly signingSecret?: string } = {}
): Layer.Layer<ObjectStore | BucketAdmin, StorageConfigError> =>
  Layer.unwrap(
    Effect.acquireRelease(
      Effect.sync(() => options.root ?? tempDir()),
      (root) =>
        Effect.sync(() =>
          options.root === undefined ? nodeFs.rmSync(root, { recursive: true, force: true }) : undefined
        )
    ).pipe(
      Effect.map((root) =>
        Fs.layer({ root, publicUrl: "http://127.0.0.1:8080", signingSecret: options.signingSecret ?? "test-secret" })
      )
    )
  )

// --- s3 ---------------------------------------------------------------------------------------

/** s3 driver options for a bucket of `engine`, with small parts so multipart is cheap to exercise. */
export const s3Options = (engine: S3Engine, bucket: string, overrides: Partial<S3Options> = {}): S3Options => ({
  bucket,
  region: engine.region,
  endpoint: engine.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: engine.accessKeyId, secretAccessKey: engine.secretAccessKey },
  checksums: "when_required",
  multipartThreshold: 5 * MiB,
  partSize: 5 * MiB,
  concurrency: 8,
  maxAttempts: 3,
  ...overrides
})

/** A plain SDK client for arranging what ObjectStore cannot (versioning, storage classes, uploads left open). */
export const rawClient = (engine: S3Engine | undefined): S3Client =>
  // Suites without an engine are skipped but still collected: give them an inert client.
  engine === undefined
    ? new S3Client({ region: "us-east-1" })
    : new S3Client({
        endpoint: engine.endpoint,
        region: engine.region,
        forcePathStyle: true,
        credentials: { accessKeyId: engine.accessKeyId, secretAccessKey: engine.secretAccessKey },
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED"
      })

let buckets = 0
/** A bucket name unique to this process and call. */
export const bucketName = (label: string): string =>
  `${label}-${process.pid}-${++buckets}-${Date.now().toString(36)}`.toLowerCase().slice(0, 63)

/** Deletes every version, marker and upload of a bucket, then the bucket (memstore gives the RAM back). */
export const dropBucket = async (raw: S3Client, bucket: string): Promise<void> => {
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

/** ObjectStore and BucketAdmin on a new bucket of `engine`: created with the layer, dropped on release. */
export const layerS3 = (
  engine: S3Engine,
  options: { readonly bucket?: string; readonly overrides?: Partial<S3Options> } = {}
): Layer.Layer<ObjectStore | BucketAdmin, StorageConfigError> => {
  const bucket = options.bucket ?? bucketName("test")
  const raw = rawClient(engine)
  return Layer.unwrap(
    Effect.acquireRelease(
      Effect.promise(() => raw.send(new CreateBucketCommand({ Bucket: bucket }))),
      () => Effect.promise(() => dropBucket(raw, bucket))
    ).pipe(Effect.map(() => S3.layer(s3Options(engine, bucket, options.overrides))))
  )
}

// --- filling and reading a store ---------------------------------------------------------------

/** Deterministic bytes of a size (content is irrelevant where sizes are what counts). */
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

/** Every key in the store (under `prefix`), sorted. */
export const allKeys = (store: ObjectStore["Service"], prefix = "") =>
  store.list({ prefix }).pipe(
    Stream.filter((e) => e._tag === "Object"),
    Stream.map((e) => (e._tag === "Object" ? e.key : "")),
    Stream.runCollect,
    Effect.map((keys) => [...keys].sort())
  )

// --- benchmark peers ---------------------------------------------------------------------------
// The peers the benchmarks compare against, run as separate processes: Debian's aws (v2 at
// /usr/bin/aws — a pip-installed v1 may shadow it on PATH) and rclone, both pointed at the
// benchmark's engine through their environment alone (no config files).

export const AWS_CLI = "/usr/bin/aws"
export const RCLONE = "/usr/bin/rclone"

const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env }
  // Set by some environments; rclone 1.60 refuses to start with it against plain http.
  delete env.AWS_CA_BUNDLE
  delete env.AWS_PROFILE
  return env
}

export const awsEnv = (s3: S3Engine): NodeJS.ProcessEnv => ({
  ...baseEnv(),
  AWS_ACCESS_KEY_ID: s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  AWS_DEFAULT_REGION: s3.region,
  AWS_REGION: s3.region,
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_PAGER: ""
})

/** rclone's remote `bench:` comes from the environment. */
export const rcloneEnv = (s3: S3Engine): NodeJS.ProcessEnv => ({
  ...baseEnv(),
  RCLONE_CONFIG: "/dev/null",
  RCLONE_CONFIG_BENCH_TYPE: "s3",
  RCLONE_CONFIG_BENCH_PROVIDER: "Ceph",
  RCLONE_CONFIG_BENCH_ENDPOINT: s3.endpoint,
  RCLONE_CONFIG_BENCH_REGION: s3.region,
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: s3.accessKeyId,
  RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: s3.secretAccessKey
})

// --- benchmarks -------------------------------------------------------------------------------

/** Runs a command (a peer tool of a benchmark) to its end; its stdout and wall time, or why it failed. */
export const runTimed = (
  file: string,
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv
): Promise<{ readonly stdout: string; readonly seconds: number }> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(file, args, { env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
    })
    child.on("error", reject)
    child.on("close", (code) =>
      code === 0
        ? resolve({ stdout, seconds: (performance.now() - started) / 1000 })
        : reject(new Error(`${file} ${args.join(" ")} exited with ${code}: ${stderr.trim().slice(0, 500)}`))
    )
  })
