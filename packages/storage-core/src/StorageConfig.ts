/**
 * The storage settings, read from the environment in this one place.
 *
 * | variable                              | default            |
 * | ------------------------------------- | ------------------ |
 * | LOCALEX_STORAGE_DRIVER                | fs                 |
 * | LOCALEX_STORAGE_FS_ROOT               | .localex/data      |
 * | LOCALEX_STORAGE_SIGNING_SECRET        | (fs: generated and kept in the root) |
 * | LOCALEX_STORAGE_PUBLIC_URL            | http://127.0.0.1:8080 (fs signed URLs point here) |
 * | LOCALEX_STORAGE_BUCKET                | (required for s3)  |
 * | AWS_REGION / AWS_DEFAULT_REGION       | us-east-1          |
 * | AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL| (AWS)              |
 * | AWS_PROFILE                           | (credential chain) |
 * | LOCALEX_STORAGE_S3_PATH_STYLE         | true with an endpoint, else false |
 * | LOCALEX_STORAGE_S3_CHECKSUMS          | when_supported (when_required for Ceph RGW and other engines without flexible checksums) |
 * | LOCALEX_STORAGE_MULTIPART_THRESHOLD   | 5 MiB              |
 * | LOCALEX_STORAGE_PART_SIZE             | 8 MiB (grows so an object fits in 10,000 parts) |
 * | LOCALEX_STORAGE_CONCURRENCY           | 8                  |
 * | LOCALEX_STORAGE_MAX_ATTEMPTS          | 5                  |
 */
import { Config, Effect, Option } from "effect"
import { StorageConfigError } from "./Errors.js"

export const MiB = 1024 * 1024

export interface FsOptions {
  /** The folder that holds the objects; created when missing. */
  readonly root: string
  /** Secret for HMAC-signed URLs; when omitted one is generated once and kept in `<root>/.localex/signing-secret`. */
  readonly signingSecret?: string
  /** Base URL of the HTTP app that serves signed downloads and uploads (`/v1/signed/{key}`). */
  readonly publicUrl: string
}

export interface S3Options {
  readonly bucket: string
  readonly region: string
  /** An S3-compatible endpoint (Ceph RGW, MinIO, R2); AWS when omitted. */
  readonly endpoint?: string
  readonly forcePathStyle: boolean
  /** A named profile from ~/.aws; the default credential chain when omitted. */
  readonly profile?: string
  /** Static credentials, for tests and for copies across accounts; the credential chain when omitted. */
  readonly credentials?: {
    readonly accessKeyId: string
    readonly secretAccessKey: string
    readonly sessionToken?: string
  }
  /** `when_required` for engines without flexible checksums (Ceph RGW): streamed uploads otherwise fail with 411. */
  readonly checksums: "when_supported" | "when_required"
  /** Bodies at least this large are uploaded in parts. */
  readonly multipartThreshold: number
  /** Preferred part size; raised when needed so an object fits in 10,000 parts. */
  readonly partSize: number
  /** Parts (and batch requests) in flight at once. */
  readonly concurrency: number
  /** Attempts for retryable failures (503 SlowDown, 5xx, network resets). */
  readonly maxAttempts: number
}

export type StorageSettings = ({ readonly driver: "fs" } & FsOptions) | ({ readonly driver: "s3" } & S3Options)

const optionalString = (name: string) => Config.option(Config.String(name))
const bytes = (name: string, fallback: number) => Config.Int(name).pipe(Config.withDefault(fallback))

const fsSettings = Config.all({
  root: Config.String("LOCALEX_STORAGE_FS_ROOT").pipe(Config.withDefault(".localex/data")),
  signingSecret: optionalString("LOCALEX_STORAGE_SIGNING_SECRET"),
  publicUrl: Config.String("LOCALEX_STORAGE_PUBLIC_URL").pipe(Config.withDefault("http://127.0.0.1:8080"))
})

const s3Settings = Config.all({
  bucket: optionalString("LOCALEX_STORAGE_BUCKET"),
  region: Config.String("AWS_REGION").pipe(
    Config.orElse(() => Config.String("AWS_DEFAULT_REGION")),
    Config.withDefault("us-east-1")
  ),
  endpoint: Config.option(
    Config.String("AWS_ENDPOINT_URL_S3").pipe(Config.orElse(() => Config.String("AWS_ENDPOINT_URL")))
  ),
  pathStyle: Config.option(Config.Boolean("LOCALEX_STORAGE_S3_PATH_STYLE")),
  profile: optionalString("AWS_PROFILE"),
  checksums: Config.Literals(["when_supported", "when_required"], "LOCALEX_STORAGE_S3_CHECKSUMS").pipe(
    Config.withDefault("when_supported" as const)
  ),
  multipartThreshold: bytes("LOCALEX_STORAGE_MULTIPART_THRESHOLD", 5 * MiB),
  partSize: bytes("LOCALEX_STORAGE_PART_SIZE", 8 * MiB),
  concurrency: Config.Int("LOCALEX_STORAGE_CONCURRENCY").pipe(Config.withDefault(8)),
  maxAttempts: Config.Int("LOCALEX_STORAGE_MAX_ATTEMPTS").pipe(Config.withDefault(5))
})

const invalid = (setting: string, reason: string) => Effect.fail(new StorageConfigError({ setting, reason }))

/** Reads and checks the storage settings; a value that cannot work fails with `StorageConfigError`. */
export const loadSettings: Effect.Effect<StorageSettings, StorageConfigError> = Effect.gen(function* () {
  const driver = yield* Config.Literals(["fs", "s3"], "LOCALEX_STORAGE_DRIVER").pipe(Config.withDefault("fs" as const))
  if (driver === "fs") {
    const fs = yield* fsSettings
    return {
      driver,
      root: fs.root,
      publicUrl: fs.publicUrl.replace(/\/+$/, ""),
      ...Option.match(fs.signingSecret, { onNone: () => ({}), onSome: (signingSecret) => ({ signingSecret }) })
    }
  }
  const s3 = yield* s3Settings
  if (Option.isNone(s3.bucket)) return yield* invalid("LOCALEX_STORAGE_BUCKET", "the s3 driver needs a bucket name")
  if (s3.multipartThreshold < 5 * MiB)
    return yield* invalid("LOCALEX_STORAGE_MULTIPART_THRESHOLD", "must be at least 5 MiB (5242880), S3's smallest part")
  if (s3.partSize < 5 * MiB) return yield* invalid("LOCALEX_STORAGE_PART_SIZE", "must be at least 5 MiB (5242880)")
  if (s3.concurrency < 1 || s3.concurrency > 64) return yield* invalid("LOCALEX_STORAGE_CONCURRENCY", "must be 1–64")
  if (s3.maxAttempts < 1) return yield* invalid("LOCALEX_STORAGE_MAX_ATTEMPTS", "must be at least 1")
  const endpoint = Option.getOrUndefined(s3.endpoint)
  return {
    driver,
    bucket: s3.bucket.value,
    region: s3.region,
    forcePathStyle: Option.getOrElse(s3.pathStyle, () => endpoint !== undefined),
    checksums: s3.checksums,
    multipartThreshold: s3.multipartThreshold,
    partSize: s3.partSize,
    concurrency: s3.concurrency,
    maxAttempts: s3.maxAttempts,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...Option.match(s3.profile, { onNone: () => ({}), onSome: (profile) => ({ profile }) })
  }
}).pipe(
  Effect.catchTag("ConfigError", (error) =>
    Effect.fail(new StorageConfigError({ setting: "environment", reason: String(error.message ?? error) }))
  )
)
