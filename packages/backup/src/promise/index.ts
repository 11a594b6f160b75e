/**
 * `@localex/backup/promise`: snapshot, verify, backup status and DR drill between two locations
 * (`s3://bucket/prefix` or a folder), and the source's versions (versioning, list, restore a
 * version, undelete, point-in-time restore), as plain async methods for code that does not use
 * Effect. Each call opens the locations it needs and closes them when it ends. A failed call
 * rejects with the packages' own error classes.
 */
import { type CallOptions, serviceRuntime } from "@localex/storage-core/promise"
import { Effect, Layer, Stream } from "effect"
import * as Checklist from "../Checklist.js"
import * as Location from "../Location.js"
import * as PointInTime from "../PointInTime.js"
import * as Snapshot from "../Snapshot.js"
import * as Verify from "../Verify.js"
import * as Versions from "../Versions.js"

export * from "@localex/storage-core/errors"

import type { ObjectVersion } from "@localex/storage-core"

export type { ObjectVersion } from "@localex/storage-core"
export type { CallOptions } from "@localex/storage-core/promise"
export type { Check, DrillReport, StatusOptions, StatusReport } from "../Checklist.js"
export * from "../Errors.js"
export type { SideOverrides } from "../Location.js"
export type { PitrAction, PitrReport } from "../PointInTime.js"
export type { FailedObject, SnapshotOptions, SnapshotProgress, SnapshotReport } from "../Snapshot.js"
export type { VerifyCounts, VerifyEntry, VerifyReport, VerifyStatus } from "../Verify.js"
export type { Undeleted, VersioningChange, VersioningState, VersionRestored } from "../Versions.js"

export interface BackupServiceSettings {
  /** What is backed up: `s3://bucket/prefix` or a folder (which must exist). */
  readonly source: string
  /** Where the copy goes: `s3://bucket/prefix` or a folder (a snapshot creates it). */
  readonly destination: string
  /** Endpoint, region, profile of each side over the environment's. */
  readonly sourceOverrides?: Location.SideOverrides
  readonly destinationOverrides?: Location.SideOverrides
}

/** Verify options without the Effect callback (`onEntry`): the report holds the differences. */
export type VerifyOptions = Omit<Verify.VerifyOptions, "onEntry">
/** Drill options without `into` (a side object); the sample is restored under the source's `_localex/drill/`. */
export type DrillOptions = Omit<Checklist.DrillOptions, "into">
/**
 * Point-in-time restore of the source (below `prefix`, relative to the source's own) as it was
 * `at`: in place, or with `intoDestination` into the destination location instead.
 */
export type PointInTimeOptions = Omit<PointInTime.PitrOptions, "into"> & { readonly intoDestination?: boolean }
export interface DryRunOption {
  readonly dryRun?: boolean
}

export interface BackupService extends AsyncDisposable {
  /** Copies what is new or changed from the source to the destination (resumable; `delete` mirrors deletions). */
  readonly snapshot: (options?: Snapshot.SnapshotOptions & CallOptions) => Promise<Snapshot.SnapshotReport>
  /** Compares both sides key by key (by checksum, or by the bytes with `download`). */
  readonly verify: (options?: VerifyOptions & CallOptions) => Promise<Verify.VerifyReport>
  /** The backup checklist: the newest snapshot's age, counts, a hash-verified sample. */
  readonly status: (options?: Checklist.StatusOptions & CallOptions) => Promise<Checklist.StatusReport>
  /** Restores a sample from the backup, checks it and measures the restore time (RTO, RPO). */
  readonly drill: (options?: DrillOptions & CallOptions) => Promise<Checklist.DrillReport>
  /** The source bucket's versioning (and MFA delete, with how to enable it). */
  readonly versioning: (options?: CallOptions) => Promise<Versions.VersioningState>
  /** Enables or suspends versioning on the source bucket (nothing is sent when it already is so). */
  readonly setVersioning: (
    wanted: "Enabled" | "Suspended",
    options?: DryRunOption & CallOptions
  ) => Promise<Versions.VersioningChange>
  /**
   * The versions and delete markers under `keyOrPrefix` (below the source's prefix), key order,
   * newest first per key; the versions carry the bucket's full keys.
   */
  readonly listVersions: (keyOrPrefix?: string, options?: CallOptions) => AsyncIterable<ObjectVersion>
  /** Makes a version of `key` (below the source's prefix) current again: a copy conditional on what is current. */
  readonly restoreVersion: (
    key: string,
    versionId: string,
    options?: DryRunOption & CallOptions
  ) => Promise<Versions.VersionRestored>
  /** Removes the delete markers on top of `key` (below the source's prefix): its newest version is current again. */
  readonly undelete: (key: string, options?: DryRunOption & CallOptions) => Promise<Versions.Undeleted>
  /** The source (or the destination, with `intoDestination`) made as the source was at `at`. */
  readonly restoreToPointInTime: (options: PointInTimeOptions & CallOptions) => Promise<PointInTime.PitrReport>
  readonly close: () => Promise<void>
}

export const createBackupService = (settings: BackupServiceSettings): BackupService => {
  // The sides are opened per call (each holds its own store), so the runtime needs no services.
  const { run, iterate, close } = serviceRuntime(Layer.empty)
  const withSides = <A, E>(
    createDestination: boolean,
    use: (source: Location.Side, destination: Location.Side) => Effect.Effect<A, E>,
    options: CallOptions
  ) =>
    run(
      Effect.scoped(
        Effect.gen(function* () {
          const source = yield* Location.open(settings.source, settings.sourceOverrides)
          const destination = yield* Location.open(settings.destination, settings.destinationOverrides, {
            create: createDestination
          })
          return yield* use(source, destination)
        })
      ),
      options
    )
  /** One side (the source) opened for the call. */
  const withSource = <A, E>(use: (source: Location.Side) => Effect.Effect<A, E>, options: CallOptions) =>
    run(Effect.scoped(Effect.flatMap(Location.open(settings.source, settings.sourceOverrides), use)), options)
  return {
    snapshot: ({ signal, ...options } = {}) => withSides(true, (s, d) => Snapshot.run(s, d, options), { signal }),
    verify: ({ signal, ...options } = {}) => withSides(false, (s, d) => Verify.run(s, d, options), { signal }),
    status: ({ signal, ...options } = {}) => withSides(false, (s, d) => Checklist.status(s, d, options), { signal }),
    drill: ({ signal, ...options } = {}) => withSides(false, (s, d) => Checklist.drill(s, d, options), { signal }),
    versioning: (options = {}) => withSource((s) => Versions.status(s.admin), options),
    setVersioning: (wanted, { signal, ...options } = {}) =>
      withSource((s) => Versions.setVersioning(s.admin, wanted, options), { signal }),
    listVersions: (keyOrPrefix = "", options = {}) =>
      iterate(
        Stream.unwrap(
          Effect.map(Location.open(settings.source, settings.sourceOverrides), (s) =>
            Versions.list(s.admin, s.prefix + keyOrPrefix)
          )
        ),
        options
      ),
    restoreVersion: (key, versionId, { signal, ...options } = {}) =>
      withSource((s) => Versions.restore(s.admin, s.store, s.prefix + key, versionId, options), { signal }),
    undelete: (key, { signal, ...options } = {}) =>
      withSource((s) => Versions.undelete(s.admin, s.prefix + key, options), { signal }),
    restoreToPointInTime: ({ signal, intoDestination, ...options }) =>
      intoDestination === true
        ? withSides(true, (s, d) => PointInTime.run(s, { ...options, into: d }), { signal })
        : withSource((s) => PointInTime.run(s, options), { signal }),
    close,
    [Symbol.asyncDispose]: close
  }
}
