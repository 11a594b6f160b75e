/**
 * The storage settings, read from the environment in this one place. Apps never read these
 * variables themselves: they pass their flags as `StorageOverrides`, which win.
 *
 * | variable                              | default            |
 * | ------------------------------------- | ------------------ |
 * | LOCALEX_STORAGE_DRIVER                | fs (s3 when a bucket or endpoint is overridden) |
 * | LOCALEX_STORAGE_FS_ROOT               | .localex/data      |
 * | LOCALEX_STORAGE_SIGNING_SECRET        | (fs: generated and kept in the root) |
 * | LOCALEX_STORAGE_PUBLIC_URL            | http://127.0.0.1:8080 (fs signed URLs point here) |
 * | LOCALEX_STORAGE_BUCKET                | (required for s3)  |
 * | AWS_REGION / AWS_DEFAULT_REGION       | us-east-1          |
 * | AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL| (AWS)              |
 * | AWS_PROFILE                           | (credential chain) |
 * | LOCALEX_STORAGE_S3_PATH_STYLE         | true with an endpoint, else false |
 * | LOCALEX_STORAGE_S3_ACCELERATE         | false (S3 Transfer Acceleration; AWS only) |
 * | LOCALEX_STORAGE_S3_CHECKSUMS          | when_supported (when_required for Ceph RGW and other engines without flexible checksums) |
 * | LOCALEX_STORAGE_MULTIPART_THRESHOLD   | 5 MiB              |
 * | LOCALEX_STORAGE_PART_SIZE             | 8 MiB (grows so an object fits in 10,000 parts) |
 * | LOCALEX_STORAGE_CONCURRENCY           | 8                  |
 * | LOCALEX_STORAGE_MAX_ATTEMPTS          | 5                  |
 * | LOCALEX_STORAGE_S3_IDLE_TIMEOUT       | 30s (no byte sent or received for this long: the attempt stalled) |
 * | LOCALEX_STORAGE_S3_CONNECT_TIMEOUT    | 10s                |
 */
import { Config, Effect, Option } from "effect"
import { StorageConfigError } from "./Errors.js"
import { parseDuration } from "./Units.js"

export const MiB = 1024 * 1024

/** Static credentials, for tests and for copies across accounts; the credential chain when omitted. */
export interface StaticCredentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string
}

/**
 * What every AWS client of every package needs. `endpoint` is `AWS_ENDPOINT_URL` (all
 * services); a service's own `AWS_ENDPOINT_URL_<SERVICE>` wins for it (see `endpointFor`).
 */
export interface AwsSettings {
  readonly region: string
  /** A named profile from ~/.aws; the default credential chain when omitted. */
  readonly profile?: string
  readonly endpoint?: string
  readonly credentials?: StaticCredentials
}

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
  /** S3 Transfer Acceleration (`bucket.s3-accelerate.amazonaws.com`): faster uploads from far away. */
  readonly accelerate?: boolean
  /** A named profile from ~/.aws; the default credential chain when omitted. */
  readonly profile?: string
  readonly credentials?: StaticCredentials
  /** `when_required` for engines without flexible checksums (Ceph RGW): streamed uploads otherwise fail with 411. */
  readonly checksums: "when_supported" | "when_required"
  /** Bodies at least this large are uploaded in parts. */
  readonly multipartThreshold: number
  /** Preferred part size; raised when needed so an object fits in 10,000 parts. */
  readonly partSize: number
  /** Parts (and batch requests) in flight at once. */
  readonly concurrency: number
  /** Attempts for retryable failures (503 SlowDown, 5xx, network resets, stalls). */
  readonly maxAttempts: number
  /** An attempt that sends or receives nothing (or waits for a first byte) this long has stalled. Default 30 s. */
  readonly idleTimeoutMs?: number
  /** An attempt that cannot connect within this has stalled. Default 10 s. */
  readonly connectTimeoutMs?: number
}

export type StorageSettings = ({ readonly driver: "fs" } & FsOptions) | ({ readonly driver: "s3" } & S3Options)

/** Values a program (the CLI's flags, the HTTP app's own URL) puts over the environment's. */
export interface StorageOverrides {
  readonly driver?: "fs" | "s3"
  readonly root?: string
  readonly publicUrl?: string
  readonly bucket?: string
  readonly endpoint?: string
  readonly region?: string
  readonly profile?: string
}

const optionalString = (name: string) => Config.option(Config.String(name))
const int = (name: string, fallback: number) => Config.Int(name).pipe(Config.withDefault(fallback))

const regionConfig = Config.String("AWS_REGION").pipe(
  Config.orElse(() => Config.String("AWS_DEFAULT_REGION")),
  Config.withDefault("us-east-1")
)

/** `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL` (the AWS SDKs' own variables). */
export const endpointConfig = (service: string) =>
  Config.option(
    Config.String(`AWS_ENDPOINT_URL_${service.toUpperCase()}`).pipe(
      Config.orElse(() => Config.String("AWS_ENDPOINT_URL"))
    )
  )

const fsSettings = (defaultPublicUrl: string) =>
  Config.all({
    root: Config.String("LOCALEX_STORAGE_FS_ROOT").pipe(Config.withDefault(".localex/data")),
    signingSecret: optionalString("LOCALEX_STORAGE_SIGNING_SECRET"),
    publicUrl: Config.String("LOCALEX_STORAGE_PUBLIC_URL").pipe(Config.withDefault(defaultPublicUrl))
  })

const s3Settings = Config.all({
  bucket: optionalString("LOCALEX_STORAGE_BUCKET"),
  region: regionConfig,
  endpoint: endpointConfig("S3"),
  pathStyle: Config.option(Config.Boolean("LOCALEX_STORAGE_S3_PATH_STYLE")),
  accelerate: Config.Boolean("LOCALEX_STORAGE_S3_ACCELERATE").pipe(Config.withDefault(false)),
  profile: optionalString("AWS_PROFILE"),
  checksums: Config.Literals(["when_supported", "when_required"], "LOCALEX_STORAGE_S3_CHECKSUMS").pipe(
    Config.withDefault("when_supported" as const)
  ),
  multipartThreshold: int("LOCALEX_STORAGE_MULTIPART_THRESHOLD", 5 * MiB),
  partSize: int("LOCALEX_STORAGE_PART_SIZE", 8 * MiB),
  concurrency: int("LOCALEX_STORAGE_CONCURRENCY", 8),
  maxAttempts: int("LOCALEX_STORAGE_MAX_ATTEMPTS", 5),
  idleTimeout: optionalString("LOCALEX_STORAGE_S3_IDLE_TIMEOUT"),
  connectTimeout: optionalString("LOCALEX_STORAGE_S3_CONNECT_TIMEOUT")
})

/** The longest stall limit accepted: a day (anything longer is a typo of units). */
const MAX_TIMEOUT_MS = 86_400_000

/** A timeout variable: seconds ("30") or a duration ("30s", "2m", "500ms"), at least 100 ms. */
const timeoutSetting = (
  setting: string,
  value: Option.Option<string>
): Effect.Effect<number | undefined, StorageConfigError> => {
  if (Option.isNone(value)) return Effect.succeed(undefined)
  const ms = parseDuration(value.value)
  if (ms === undefined || ms < 100 || ms > MAX_TIMEOUT_MS)
    return invalid(
      setting,
      `${JSON.stringify(value.value)} is not a duration from 100ms to 1d (seconds, or e.g. 30s, 2m, 500ms)`
    )
  return Effect.succeed(ms)
}

const invalid = (setting: string, reason: string) => Effect.fail(new StorageConfigError({ setting, reason }))

const asConfigError = <A, R>(
  effect: Effect.Effect<A, StorageConfigError | Config.ConfigError, R>
): Effect.Effect<A, StorageConfigError, R> =>
  Effect.catchTag(effect, "ConfigError", (error) =>
    Effect.fail(new StorageConfigError({ setting: "environment", reason: String(error.message ?? error) }))
  )

// Transfer Acceleration needs a DNS-compatible bucket name without dots (virtual-hosted over TLS).
const ACCELERATE_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/

/** Reads and checks the storage settings; a value that cannot work fails with `StorageConfigError`. */
export const loadSettings = (
  overrides: StorageOverrides = {},
  /** Defaults of the program's own where the environment says nothing (the HTTP app: its own URL). */
  defaults: { readonly publicUrl?: string } = {}
): Effect.Effect<StorageSettings, StorageConfigError> =>
  Effect.gen(function* () {
    const impliesS3 = overrides.bucket !== undefined || overrides.endpoint !== undefined
    const driver =
      overrides.driver ??
      (impliesS3
        ? "s3"
        : yield* Config.Literals(["fs", "s3"], "LOCALEX_STORAGE_DRIVER").pipe(Config.withDefault("fs" as const)))
    if (driver === "fs") {
      const fs = yield* fsSettings(defaults.publicUrl ?? "http://127.0.0.1:8080")
      const root = overrides.root ?? fs.root
      if (root.trim() === "") return yield* invalid("LOCALEX_STORAGE_FS_ROOT", "the fs driver's root cannot be empty")
      const signingSecret = Option.getOrUndefined(fs.signingSecret)
      return {
        driver,
        root,
        publicUrl: (overrides.publicUrl ?? fs.publicUrl).replace(/\/+$/, ""),
        ...(signingSecret === undefined ? {} : { signingSecret })
      }
    }
    const s3 = yield* s3Settings
    const bucket = overrides.bucket ?? Option.getOrUndefined(s3.bucket)
    if (bucket === undefined) return yield* invalid("LOCALEX_STORAGE_BUCKET", "the s3 driver needs a bucket name")
    if (s3.multipartThreshold < 5 * MiB)
      return yield* invalid(
        "LOCALEX_STORAGE_MULTIPART_THRESHOLD",
        "must be at least 5 MiB (5242880), S3's smallest part"
      )
    if (s3.partSize < 5 * MiB) return yield* invalid("LOCALEX_STORAGE_PART_SIZE", "must be at least 5 MiB (5242880)")
    if (s3.concurrency < 1 || s3.concurrency > 64) return yield* invalid("LOCALEX_STORAGE_CONCURRENCY", "must be 1–64")
    if (s3.maxAttempts < 1) return yield* invalid("LOCALEX_STORAGE_MAX_ATTEMPTS", "must be at least 1")
    const idleTimeoutMs = yield* timeoutSetting("LOCALEX_STORAGE_S3_IDLE_TIMEOUT", s3.idleTimeout)
    const connectTimeoutMs = yield* timeoutSetting("LOCALEX_STORAGE_S3_CONNECT_TIMEOUT", s3.connectTimeout)
    const endpoint = overrides.endpoint ?? Option.getOrUndefined(s3.endpoint)
    if (s3.accelerate) {
      if (endpoint !== undefined)
        return yield* invalid(
          "LOCALEX_STORAGE_S3_ACCELERATE",
          `Transfer Acceleration is an AWS endpoint of its own: unset the endpoint (${endpoint}) or the acceleration`
        )
      if (!ACCELERATE_BUCKET.test(bucket))
        return yield* invalid(
          "LOCALEX_STORAGE_S3_ACCELERATE",
          `Transfer Acceleration needs a bucket name of 3–63 lower-case letters, digits and hyphens, without dots (got "${bucket}")`
        )
    }
    const profile = overrides.profile ?? Option.getOrUndefined(s3.profile)
    return {
      driver,
      bucket,
      region: overrides.region ?? s3.region,
      forcePathStyle: Option.getOrElse(s3.pathStyle, () => endpoint !== undefined),
      ...(s3.accelerate ? { accelerate: true } : {}),
      checksums: s3.checksums,
      multipartThreshold: s3.multipartThreshold,
      partSize: s3.partSize,
      concurrency: s3.concurrency,
      maxAttempts: s3.maxAttempts,
      ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
      ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(profile === undefined ? {} : { profile })
    }
  }).pipe(asConfigError)

/**
 * The AWS settings of one service (`"S3"`, `"CLOUDWATCH"`, `"CLOUDFRONT"`, …): region, profile,
 * and its endpoint (`AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`; AWS when neither).
 */
export const loadAwsSettings = (
  service: string,
  overrides: Pick<StorageOverrides, "region" | "profile"> = {}
): Effect.Effect<AwsSettings, StorageConfigError> =>
  Effect.gen(function* () {
    const region = overrides.region ?? (yield* regionConfig)
    const profile = overrides.profile ?? Option.getOrUndefined(yield* optionalString("AWS_PROFILE"))
    const endpoint = Option.getOrUndefined(yield* endpointConfig(service))
    if (endpoint !== undefined && !URL.canParse(endpoint))
      return yield* invalid(`AWS_ENDPOINT_URL_${service.toUpperCase()}`, `${JSON.stringify(endpoint)} is not a URL`)
    return {
      region,
      ...(profile === undefined ? {} : { profile }),
      ...(endpoint === undefined ? {} : { endpoint })
    }
  }).pipe(asConfigError)
