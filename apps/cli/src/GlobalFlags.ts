/**
 * The flags every command takes. The storage flags become storage-core's `StorageOverrides`,
 * which win over the environment variables that storage-core reads (see its StorageConfig).
 */
import type { StorageOverrides } from "@localex/storage-core"
import { Option } from "effect"
import { Flag } from "effect/cli"

export const globalFlags = {
  driver: Flag.Literals("driver", ["fs", "s3"]).pipe(
    Flag.withDescription("Storage driver (default: LOCALEX_STORAGE_DRIVER, else fs; --bucket/--endpoint imply s3)"),
    Flag.optional
  ),
  bucket: Flag.String("bucket").pipe(
    Flag.withDescription("S3 bucket (LOCALEX_STORAGE_BUCKET)"),
    Flag.withMetavar("name"),
    Flag.optional
  ),
  endpoint: Flag.String("endpoint").pipe(
    Flag.withDescription("S3-compatible endpoint URL, e.g. Ceph RGW (AWS_ENDPOINT_URL_S3)"),
    Flag.withMetavar("url"),
    Flag.optional
  ),
  profile: Flag.String("profile").pipe(
    Flag.withDescription("AWS profile for credentials (AWS_PROFILE)"),
    Flag.withMetavar("name"),
    Flag.optional
  ),
  region: Flag.String("region").pipe(
    Flag.withDescription("AWS region (AWS_REGION)"),
    Flag.withMetavar("region"),
    Flag.optional
  ),
  root: Flag.String("root").pipe(
    Flag.withDescription("Data folder of the fs driver (LOCALEX_STORAGE_FS_ROOT, default .localex/data)"),
    Flag.withMetavar("dir"),
    Flag.optional
  ),
  json: Flag.Boolean("json").pipe(
    Flag.withDescription("Print exactly one JSON document on stdout, nothing else"),
    Flag.withDefault(false)
  ),
  quiet: Flag.Boolean("quiet").pipe(
    Flag.withAlias("q"),
    Flag.withDescription("Print only what was asked for (no reports, no progress)"),
    Flag.withDefault(false)
  ),
  verbose: Flag.Boolean("verbose").pipe(
    Flag.withDescription("Print diagnostics on stderr, and stack traces on errors"),
    Flag.withDefault(false)
  )
} as const

export interface GlobalOptions {
  readonly driver: Option.Option<"fs" | "s3">
  readonly bucket: Option.Option<string>
  readonly endpoint: Option.Option<string>
  readonly profile: Option.Option<string>
  readonly region: Option.Option<string>
  readonly root: Option.Option<string>
  readonly json: boolean
  readonly quiet: boolean
  readonly verbose: boolean
}

/** The storage flags given, as overrides of the environment's settings. */
export const storageOverrides = (options: GlobalOptions): StorageOverrides => {
  const given = {
    driver: options.driver,
    bucket: options.bucket,
    endpoint: options.endpoint,
    profile: options.profile,
    region: options.region,
    root: options.root
  }
  return Object.fromEntries(
    Object.entries(given).flatMap(([name, value]) => (Option.isSome(value) ? [[name, value.value]] : []))
  ) as StorageOverrides
}
