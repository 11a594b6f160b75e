/**
 * Where a backup reads or writes: `s3://bucket[/prefix]` or a local folder (the fs driver), each
 * side with its own endpoint, region and profile. A location becomes storage-core settings
 * (`loadSettings`, the environment under the flags) and then a store (`makeStore`), so two stores
 * with different credentials can be open at once.
 */
import { statSync } from "node:fs"
import * as path from "node:path"
import {
  type BucketAdmin,
  Keys,
  loadSettings,
  type ObjectStore,
  Storage,
  type StorageConfigError,
  type StorageSettings
} from "@localex/storage-core"
import { Effect, type Scope } from "effect"
import { LocationInvalid } from "./Errors.js"

export interface ParsedLocation {
  readonly driver: "s3" | "fs"
  /** The bucket (s3) or the folder (fs). */
  readonly container: string
  /** Key prefix inside it: "" or ending in "/". */
  readonly prefix: string
}

/** Per-side settings over the environment's (the CLI's --src-endpoint, --dst-profile, …). */
export interface SideOverrides {
  readonly endpoint?: string
  readonly region?: string
  readonly profile?: string
}

/** One side of a backup: a store, its bucket admin, and the prefix inside it. */
export interface Side {
  readonly store: ObjectStore["Service"]
  readonly admin: BucketAdmin["Service"]
  /** "" or ending in "/". */
  readonly prefix: string
  /** `s3://bucket/prefix` or `file:///…/prefix`: for reports. */
  readonly name: string
  /**
   * For an s3 side: its bucket, and who it talks to (endpoint, region, credentials). Two sides
   * with the same `scope` copy server-side (`BucketAdmin.copyFromBucket`), the bytes never
   * passing through this process.
   */
  readonly serverSide?: { readonly scope: string; readonly bucket: string }
}

/** The `serverSide` of a side on these s3 settings. */
export const serverSideOf = (settings: StorageSettings): Side["serverSide"] =>
  settings.driver === "s3"
    ? {
        bucket: settings.bucket,
        scope: JSON.stringify([
          settings.endpoint ?? "aws",
          settings.region,
          settings.profile ?? null,
          settings.credentials?.accessKeyId ?? null
        ])
      }
    : undefined

const isFolder = (dir: string) => statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false

const folderPrefix = (prefix: string) => (prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`)

export const parse = (location: string): Effect.Effect<ParsedLocation, LocationInvalid> =>
  Effect.suspend(() => {
    const fail = (reason: string): Effect.Effect<ParsedLocation, LocationInvalid> =>
      Effect.fail(new LocationInvalid({ location, reason }))
    if (location.trim() === "") return fail("it is empty")
    if (/^[a-z][a-z0-9+.-]*:/i.test(location) && !location.startsWith("s3://"))
      return fail("only s3:// URLs and folder paths are locations")
    if (!location.startsWith("s3://"))
      return Effect.succeed<ParsedLocation>({ driver: "fs", container: location, prefix: "" })
    const rest = location.slice("s3://".length)
    const slash = rest.indexOf("/")
    const bucket = slash === -1 ? rest : rest.slice(0, slash)
    const prefix = folderPrefix(slash === -1 ? "" : rest.slice(slash + 1))
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return fail(`"${bucket}" is not an S3 bucket name`)
    if (prefix !== "" && Keys.problem(prefix) !== undefined) return fail(Keys.problem(prefix) as string)
    if (Keys.isReserved(prefix)) return fail(`${Keys.RESERVED_PREFIX} is LocalEx's own prefix, never backed up`)
    return Effect.succeed<ParsedLocation>({ driver: "s3", container: bucket, prefix })
  })

/** The storage settings of a location: the environment's, with the location and the side's overrides on top. */
export const settingsOf = (
  location: ParsedLocation,
  overrides: SideOverrides = {}
): Effect.Effect<StorageSettings, StorageConfigError> =>
  location.driver === "fs"
    ? loadSettings({ driver: "fs", root: path.resolve(location.container) })
    : loadSettings({ driver: "s3", bucket: location.container, ...overrides })

/** A side over stores already built (tests, or a program that holds its own). */
export const sideOf = (
  services: { readonly store: ObjectStore["Service"]; readonly admin: BucketAdmin["Service"] },
  prefix = "",
  serverSide?: Side["serverSide"]
): Side => ({
  store: services.store,
  admin: services.admin,
  prefix: folderPrefix(prefix),
  name: `${services.store.location}${services.store.location.endsWith("/") ? "" : "/"}${folderPrefix(prefix)}`,
  ...(serverSide === undefined ? {} : { serverSide })
})

/**
 * Opens the store of a location (closed with the scope). A folder that does not exist is refused
 * unless `create`: a mistyped source must not read as an empty one (a mirror would empty the copy).
 */
export const open = (
  location: string,
  overrides: SideOverrides = {},
  options: { readonly create?: boolean } = {}
): Effect.Effect<Side, LocationInvalid | StorageConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    const parsed = yield* parse(location)
    if (parsed.driver === "fs" && options.create !== true && !isFolder(parsed.container))
      return yield* new LocationInvalid({ location, reason: "no such folder" })
    const settings = yield* settingsOf(parsed, overrides)
    const services = yield* Storage.makeStore(settings)
    return sideOf(services, parsed.prefix, serverSideOf(settings))
  })

/** A side narrowed to `prefix` below its own. */
export const narrow = (side: Side, prefix: string | undefined): Side =>
  prefix === undefined || prefix === "" ? side : { ...side, prefix: side.prefix + prefix, name: side.name + prefix }
