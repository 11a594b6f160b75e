/**
 * Versioning and versions: the state of versioning (with MFA delete and how to enable it),
 * enable/suspend, the versions and delete markers of a key or prefix, restoring a version (a
 * server-side copy over the current one, conditional on the current ETag), and undelete
 * (removing the delete markers on top of a key). On the fs driver each fails with
 * `UnsupportedByDriver` (versions need a versioned S3 bucket).
 */
import type { BucketAdmin, ObjectStore, ObjectVersion } from "@localex/storage-core"
import { Effect, Stream } from "effect"
import { NotDeleted, VersioningRequired } from "./Errors.js"

type Admin = BucketAdmin["Service"]
type Store = ObjectStore["Service"]

/** MFA delete can be turned on only by the root account with its MFA device; this says how. */
export const MFA_DELETE_HOW_TO =
  "as the bucket owner's root user: aws s3api put-bucket-versioning --bucket BUCKET " +
  '--versioning-configuration Status=Enabled,MFADelete=Enabled --mfa "arn:aws:iam::ACCOUNT:mfa/root-account-mfa-device CODE"'

export interface VersioningState {
  readonly location: string
  readonly status: "Enabled" | "Suspended" | "Disabled"
  readonly mfaDelete: "Enabled" | "Disabled"
  /** How to enable MFA delete, when it is off. */
  readonly mfaDeleteHowTo: string | null
}

export const status = Effect.fn("Versions.status")(function* (admin: Admin) {
  const configuration = yield* admin.getVersioningConfiguration()
  const state: VersioningState = {
    location: admin.location,
    status: configuration.status,
    mfaDelete: configuration.mfaDelete,
    mfaDeleteHowTo: configuration.mfaDelete === "Enabled" ? null : MFA_DELETE_HOW_TO
  }
  return state
})

export interface VersioningChange {
  readonly before: VersioningState
  readonly after: VersioningState
  readonly changed: boolean
  readonly dryRun: boolean
}

/** Enables or suspends versioning (nothing is sent when it already is so), then reads it back. */
export const setVersioning = Effect.fn("Versions.setVersioning")(function* (
  admin: Admin,
  wanted: "Enabled" | "Suspended",
  options: { readonly dryRun?: boolean } = {}
) {
  const before = yield* status(admin)
  const changed = before.status !== wanted
  if (!changed || options.dryRun === true) {
    const change: VersioningChange = {
      before,
      after: changed ? { ...before, status: wanted } : before,
      changed,
      dryRun: options.dryRun === true
    }
    return change
  }
  yield* admin.putVersioning(wanted)
  const change: VersioningChange = { before, after: yield* status(admin), changed, dryRun: false }
  return change
})

const requireVersioning = (admin: Admin, operation: string) =>
  Effect.flatMap(admin.getVersioning(), (state) =>
    state === "Disabled"
      ? Effect.fail(new VersioningRequired({ location: admin.location, status: state, operation }))
      : Effect.void
  )

/** Versions and delete markers under a key or prefix: key order, newest first per key. */
export const list = (
  admin: Admin,
  keyOrPrefix: string
): Stream.Stream<ObjectVersion, Effect.Error<ReturnType<Admin["getVersioning"]>>> =>
  admin.listVersions(keyOrPrefix === "" ? {} : { prefix: keyOrPrefix })

export interface VersionRestored {
  readonly key: string
  readonly restoredVersionId: string
  /** The version that is current now (a new one: the copy). */
  readonly newVersionId: string | null
  /** The ETag that was current before (null: the key was deleted or absent). */
  readonly previousEtag: string | null
  readonly dryRun: boolean
}

/** Makes `versionId` the current content of `key`, by a copy conditional on what is current now. */
export const restore = Effect.fn("Versions.restore")(function* (
  admin: Admin,
  store: Store,
  key: string,
  versionId: string,
  options: { readonly dryRun?: boolean } = {}
) {
  yield* requireVersioning(admin, "Restoring a version")
  const current = yield* store.head(key).pipe(
    Effect.map((info) => info.etag),
    Effect.catchTag("ObjectNotFound", () => Effect.succeed(undefined))
  )
  if (options.dryRun === true) {
    const planned: VersionRestored = {
      key,
      restoredVersionId: versionId,
      newVersionId: null,
      previousEtag: current ?? null,
      dryRun: true
    }
    return planned
  }
  const copied = yield* admin.copyVersion(
    key,
    versionId,
    current === undefined ? { ifNoneMatch: "*" } : { ifMatch: current }
  )
  const restored: VersionRestored = {
    key,
    restoredVersionId: versionId,
    newVersionId: copied.versionId ?? null,
    previousEtag: current ?? null,
    dryRun: false
  }
  return restored
})

export interface Undeleted {
  readonly key: string
  /** The delete markers removed, newest first. */
  readonly removedMarkers: ReadonlyArray<string>
  /** The version that is current again. */
  readonly versionId: string
  readonly dryRun: boolean
}

/** Removes the delete markers on top of `key`, so its newest real version is current again. */
export const undelete = Effect.fn("Versions.undelete")(function* (
  admin: Admin,
  key: string,
  options: { readonly dryRun?: boolean } = {}
) {
  yield* requireVersioning(admin, "Undelete")
  const history = (yield* Stream.runCollect(admin.listVersions({ prefix: key }))).filter((v) => v.key === key)
  const markers: Array<string> = []
  let revived: ObjectVersion | undefined
  for (const version of history) {
    if (!version.isDeleteMarker) {
      revived = version
      break
    }
    markers.push(version.versionId)
  }
  if (markers.length === 0)
    return yield* new NotDeleted({
      key,
      reason: history.length === 0 ? "it has no versions at all" : "its latest version is not a delete marker"
    })
  if (revived === undefined)
    return yield* new NotDeleted({ key, reason: "it has only delete markers, no version with data" })
  if (options.dryRun !== true) for (const marker of markers) yield* admin.removeDeleteMarker(key, marker)
  const result: Undeleted = {
    key,
    removedMarkers: markers,
    versionId: revived.versionId,
    dryRun: options.dryRun === true
  }
  return result
})
