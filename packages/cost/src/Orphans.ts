/**
 * Orphans: stored objects the application no longer references.
 *
 * References come from a ReferenceSource. A reference covers:
 * - its exact key;
 * - for a photo (`items/{itemId}/photos/{hash}/…` or `profiles/{userId}/photos/{hash}/…`), the
 *   whole `{hash}/` folder: every variant and the manifest — a reference to any key in the
 *   folder, or to the folder itself, keeps them all;
 * - for a profile photo (`profiles/{userId}/photos/…`), also the user's profile-photo pointer
 *   `profiles/{userId}/photo.json` (image-processing's Photos names the current photo with it);
 * - for a reference ending in "/", everything under it.
 * Objects younger than the grace period (default 24 hours) are never orphans: an upload in
 * flight is not referenced yet. Only keys under `scope` (default `items/`, `profiles/`) are
 * considered; `temp/` and `reports/` are not the application's references to keep.
 *
 * The references are held in memory as two sets of strings (~100 bytes a key; photo variants
 * collapse into one folder entry): a few million references fit in a few hundred MB.
 * Deleting goes through DeletionPlan (dry run, safety limit, manifest, re-check, report).
 */

import {
  DeletionPlan,
  type InvalidKey,
  Keys,
  Listing,
  ObjectStore,
  type StoreError,
  Units
} from "@localex/storage-core"
import { Clock, Context, Duration, Effect, Layer, Stream } from "effect"
import { type ReferenceSource, ReferenceSourceError } from "./ReferenceSource.js"

export const DEFAULT_SCOPE: ReadonlyArray<string> = ["items/", "profiles/"]
export const DEFAULT_GRACE: Duration.Input = "24 hours"

const PHOTO_FOLDER = /^(?:items|profiles)\/[^/]+\/photos\/[^/]+(?:\/|$)/
const PROFILE_PHOTO = /^(profiles\/[^/]+\/)photos\//

/** The photo folder (`…/photos/{hash}/`) a key or reference belongs to, if any. */
export const photoFolder = (key: string): string | undefined => {
  const match = PHOTO_FOLDER.exec(key)
  if (match === null) return undefined
  const folder = match[0]
  return folder.endsWith("/") ? folder : `${folder}/`
}

/** The referenced keys and folders, and the question "is this key referenced?". */
export class ReferenceIndex {
  private readonly keys = new Set<string>()
  private readonly folders = new Set<string>()

  add(reference: string): void {
    const ref = reference.replace(/^\/+/, "")
    if (ref === "") return
    const folder = photoFolder(ref)
    if (folder !== undefined) {
      this.folders.add(folder)
      const profile = PROFILE_PHOTO.exec(folder)
      if (profile !== null) this.keys.add(`${profile[1]}photo.json`)
    } else if (ref.endsWith("/")) this.folders.add(ref)
    else this.keys.add(ref)
  }

  get size(): { readonly keys: number; readonly folders: number } {
    return { keys: this.keys.size, folders: this.folders.size }
  }

  covers(key: string): boolean {
    if (this.keys.has(key)) return true
    for (let slash = key.indexOf("/"); slash !== -1; slash = key.indexOf("/", slash + 1)) {
      if (this.folders.has(key.slice(0, slash + 1))) return true
    }
    return false
  }
}

/** Reads a source into an index; an empty source fails (it would make every object an orphan). */
export const indexReferences = Effect.fn("Orphans.indexReferences")(function* (source: ReferenceSource) {
  const index = new ReferenceIndex()
  yield* Stream.runForEachArray(source.keys, (keys) =>
    Effect.sync(() => {
      for (const key of keys) index.add(key)
    })
  )
  const { keys, folders } = index.size
  if (keys + folders === 0)
    return yield* new ReferenceSourceError({
      source: source.description,
      reason: "it lists no keys; refusing to treat every object as an orphan"
    })
  return index
})

export interface OrphanPlanOptions {
  /** Prefixes whose objects may be orphans. Default `items/`, `profiles/`. */
  readonly scope?: ReadonlyArray<string>
  /** Objects younger than this are never orphans. Default 24 hours. */
  readonly gracePeriod?: Duration.Input
  /** The time ages are measured from. Default: the Clock. */
  readonly now?: Date
  readonly parallel?: boolean
  readonly concurrency?: number
  readonly safety?: Partial<DeletionPlan.SafetyLimits>
}

export type OrphanPlanError = ReferenceSourceError | InvalidKey | StoreError

export class OrphanCleanup extends Context.Service<
  OrphanCleanup,
  {
    readonly plan: (
      source: ReferenceSource,
      options?: OrphanPlanOptions
    ) => Effect.Effect<DeletionPlan.DeletionPlan, OrphanPlanError>
    readonly run: (
      source: ReferenceSource,
      options?: OrphanPlanOptions & DeletionPlan.CleanupRunOptions
    ) => Effect.Effect<DeletionPlan.CleanupOutcome, OrphanPlanError | DeletionPlan.ExecuteError>
  }
>()("@localex/storage-core/OrphanCleanup") {}

export const make = Effect.gen(function* () {
  const store = yield* ObjectStore

  const plan = Effect.fn("OrphanCleanup.plan")(function* (source: ReferenceSource, options: OrphanPlanOptions = {}) {
    const now = options.now?.getTime() ?? (yield* Clock.currentTimeMillis)
    const graceMs = Duration.toMillis(Duration.fromInputUnsafe(options.gracePeriod ?? DEFAULT_GRACE))
    const scope = options.scope ?? DEFAULT_SCOPE
    const index = yield* indexReferences(source)
    const population = { objects: 0, bytes: 0 }
    const candidates: Array<DeletionPlan.DeletionCandidate> = []
    let young = 0
    const concurrency = options.concurrency ?? Listing.DEFAULT_CONCURRENCY
    const parallel = options.parallel ?? store.driver === "s3"
    for (const prefix of scope) {
      const listing = Listing.listAll(store, { prefix, parallel, concurrency })
      yield* Stream.runForEachArray(listing.objects, (objects) =>
        Effect.sync(() => {
          for (const object of objects) {
            if (Keys.isReserved(object.key)) continue
            population.objects++
            population.bytes += object.size
            if (index.covers(object.key)) continue
            const age = now - object.lastModified.getTime()
            if (age < graceMs) young++
            else candidates.push(DeletionPlan.candidateOf(object, `not referenced (age ${Units.formatDuration(age)})`))
          }
        })
      )
    }
    return DeletionPlan.makePlan({
      kind: "orphans",
      location: store.location,
      now,
      criteria: {
        source: source.description,
        references: index.size,
        scope,
        gracePeriod: Units.formatDuration(graceMs),
        unreferencedWithinGrace: young
      },
      population,
      candidates,
      warnings: young > 0 ? [`${young} unreferenced objects are younger than the grace period; kept`] : [],
      safety: { ...DeletionPlan.DEFAULT_SAFETY, ...options.safety }
    })
  })

  const run = Effect.fn("OrphanCleanup.run")(function* (
    source: ReferenceSource,
    options: OrphanPlanOptions & DeletionPlan.CleanupRunOptions = {}
  ) {
    const planned = yield* plan(source, options)
    if (options.dryRun === true) return { plan: planned, report: null } satisfies DeletionPlan.CleanupOutcome
    const report = yield* DeletionPlan.execute(store, planned, options)
    return { plan: planned, report } satisfies DeletionPlan.CleanupOutcome
  })

  return OrphanCleanup.of({ plan, run })
})

export const layer: Layer.Layer<OrphanCleanup, never, ObjectStore> = Layer.effect(OrphanCleanup, make)
