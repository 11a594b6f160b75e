/**
 * `@localex/backup/promise`: snapshot, verify, backup status and DR drill between two locations
 * (`s3://bucket/prefix` or a folder) as plain async methods, for code that does not use Effect.
 * Each call opens both locations and closes them when it ends. A failed call rejects with the
 * packages' own error classes.
 */
import { type CallOptions, serviceRuntime } from "@localex/storage-core/promise"
import { Effect, Layer } from "effect"
import * as Checklist from "../Checklist.js"
import * as Location from "../Location.js"
import * as Snapshot from "../Snapshot.js"
import * as Verify from "../Verify.js"

export * from "@localex/storage-core/errors"
export type { CallOptions } from "@localex/storage-core/promise"
export type { Check, DrillReport, StatusOptions, StatusReport } from "../Checklist.js"
export * from "../Errors.js"
export type { SideOverrides } from "../Location.js"
export type { FailedObject, SnapshotOptions, SnapshotProgress, SnapshotReport } from "../Snapshot.js"
export type { VerifyCounts, VerifyEntry, VerifyReport, VerifyStatus } from "../Verify.js"

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

export interface BackupService extends AsyncDisposable {
  /** Copies what is new or changed from the source to the destination (resumable; `delete` mirrors deletions). */
  readonly snapshot: (options?: Snapshot.SnapshotOptions & CallOptions) => Promise<Snapshot.SnapshotReport>
  /** Compares both sides key by key (by checksum, or by the bytes with `download`). */
  readonly verify: (options?: VerifyOptions & CallOptions) => Promise<Verify.VerifyReport>
  /** The backup checklist: the newest snapshot's age, counts, a hash-verified sample. */
  readonly status: (options?: Checklist.StatusOptions & CallOptions) => Promise<Checklist.StatusReport>
  /** Restores a sample from the backup, checks it and measures the restore time (RTO, RPO). */
  readonly drill: (options?: DrillOptions & CallOptions) => Promise<Checklist.DrillReport>
  readonly close: () => Promise<void>
}

export const createBackupService = (settings: BackupServiceSettings): BackupService => {
  // The sides are opened per call (each holds its own store), so the runtime needs no services.
  const { run, close } = serviceRuntime(Layer.empty)
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
  return {
    snapshot: ({ signal, ...options } = {}) => withSides(true, (s, d) => Snapshot.run(s, d, options), { signal }),
    verify: ({ signal, ...options } = {}) => withSides(false, (s, d) => Verify.run(s, d, options), { signal }),
    status: ({ signal, ...options } = {}) => withSides(false, (s, d) => Checklist.status(s, d, options), { signal }),
    drill: ({ signal, ...options } = {}) => withSides(false, (s, d) => Checklist.drill(s, d, options), { signal }),
    close,
    [Symbol.asyncDispose]: close
  }
}
