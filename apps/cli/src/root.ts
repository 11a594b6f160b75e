/**
 * The root command and the services every subcommand runs with: the output renderer, the
 * ObjectStore and (image commands) the ImagePipeline, all built from the global flags after
 * parsing (so `--help` touches nothing).
 */

import { statSync } from "node:fs"
import { resolve } from "node:path"
import { Cleanup, LifecyclePolicy, Orphans, Tiering, Uploads } from "@localex/cost"
import { Stats } from "@localex/monitoring"
import {
  type BucketAdmin,
  describeRetry,
  loadSettings,
  ObjectStore,
  OnRetry,
  type RetryEvent,
  Storage,
  type StorageConfigError
} from "@localex/storage-core"
import { Effect, Layer, Option, Stream } from "effect"
import { Command } from "effect/cli"
import { RootNotFound, UsageError } from "./failure.js"
import { type GlobalOptions, globalFlags, storageOverrides } from "./GlobalFlags.js"
import { imageProcessing } from "./lazy.js"
import { Output } from "./Output.js"

export const NAME = "localex-storage"

export const root = Command.make(NAME).pipe(
  Command.withSharedFlags(globalFlags),
  Command.withDescription(
    "LocalEx Storage: store, read, list and sign the marketplace's files, process and store photos, and run " +
      "the storage operations (stats, cleanups, lifecycle, tiering), on " +
      "the fs driver (a local folder, the default) or s3. Exit codes: 0 ok, 1 the operation failed (including an " +
      "image that is refused), 2 usage error (bad flag, invalid key or photo reference, invalid configuration), " +
      "3 a cleanup refused by its safety limit, 4 a storage quota exceeded (stats --quota)."
  ),
  Command.withExamples([
    { command: `${NAME} object put ./photo.jpg items/123/photo.jpg`, description: "Upload to the local store" },
    {
      command: `${NAME} --bucket localex-photos --json object ls --prefix items/123/`,
      description: "List an S3 bucket as JSON"
    }
  ])
)

/**
 * What a command does to the fs driver's root: only a write (`object put`, `image upload`) may
 * create it; a read of a root that does not exist (a mistyped --root) fails instead of leaving an
 * empty store and a signing secret behind.
 */
export type Access = "read" | "write"

/** Refuses an empty --root; for a read on the fs driver, a root that does not exist. */
const checkRoot = (
  options: GlobalOptions,
  access: Access
): Effect.Effect<void, StorageConfigError | RootNotFound | UsageError> =>
  Effect.gen(function* () {
    if (Option.isSome(options.root) && options.root.value.trim() === "")
      return yield* new UsageError({
        reason:
          "--root is empty: give the fs driver's data folder (e.g. --root ./data), or leave it out for the default"
      })
    const settings = yield* loadSettings(storageOverrides(options))
    if (access === "write" || settings.driver !== "fs") return
    const root = resolve(settings.root)
    if (!(statSync(root, { throwIfNoEntry: false })?.isDirectory() ?? false)) return yield* new RootNotFound({ root })
  })

/** The ObjectStore (and BucketAdmin) the flags and the environment ask for. */
export const storeLayer = (
  options: GlobalOptions,
  access: Access = "read"
): Layer.Layer<ObjectStore | BucketAdmin, StorageConfigError | RootNotFound | UsageError> =>
  Layer.unwrap(Effect.as(checkRoot(options, access), Storage.layerConfig(storageOverrides(options))))

/**
 * The storage operations (statistics, cleanups, lifecycle, tiering) over the ObjectStore and
 * the BucketAdmin the flags and the environment ask for (on fs, BucketAdmin answers that the
 * driver has no lifecycle).
 */
const operationsLayer = (options: GlobalOptions) =>
  Layer.mergeAll(Stats.layer, Cleanup.layer, Orphans.layer, Uploads.layer, LifecyclePolicy.layer, Tiering.layer).pipe(
    Layer.provideMerge(storeLayer(options))
  )

/**
 * The store's retries as they happen ("PutObject: stalled, retrying 2/5 (…)"), as notes on stderr;
 * a progress bar shows them in its own line instead (progress.ts).
 */
const retryNotices = Layer.effect(
  OnRetry,
  Effect.gen(function* () {
    const output = yield* Output
    return (event: RetryEvent) => {
      Effect.runFork(output.note(`${event.operation}: ${describeRetry(event)} (${event.detail})`))
    }
  })
)

/** Output, and the retry notices that go through it. */
const outputLayer = (options: GlobalOptions) => Layer.provideMerge(retryNotices, Output.layer(options))

const services = (access: Access) =>
  Layer.unwrap(Effect.map(root, (options) => Layer.merge(outputLayer(options), storeLayer(options, access))))

/** Provides a subcommand with `Output` and `ObjectStore`, built from the root's global flags (the root must exist). */
export const withServices = <const Name extends string, Input, ContextInput, E, R>(
  command: Command.Command<Name, Input, ContextInput, E, R>
) => Command.provide(command, services("read"))

/** As `withServices`, for a command that writes: it creates the fs driver's root when there is none. */
export const withWriteServices = <const Name extends string, Input, ContextInput, E, R>(
  command: Command.Command<Name, Input, ContextInput, E, R>
) => Command.provide(command, services("write"))

const operationServices = Layer.unwrap(
  Effect.map(root, (options) => Layer.merge(outputLayer(options), operationsLayer(options)))
)

/** Provides a subcommand with `Output`, `ObjectStore`, `BucketAdmin` and the operations services. */
export const withOperations = <const Name extends string, Input, ContextInput, E, R>(
  command: Command.Command<Name, Input, ContextInput, E, R>
) => Command.provide(command, operationServices)

/** Photos and the ImagePipeline (settings: IMAGE_*) on the ObjectStore the flags ask for, which they also provide. */
const imageServices = (access: Access) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const options = yield* root
      const { ImagePipeline, Photos } = yield* imageProcessing
      return Layer.merge(
        outputLayer(options),
        Photos.layer.pipe(
          Layer.provideMerge(ImagePipeline.layerConfig),
          Layer.provideMerge(storeLayer(options, access))
        )
      )
    })
  )

/** Provides a subcommand with `Output`, `ObjectStore`, `ImagePipeline` and `Photos` (the root must exist). */
export const withImageServices = <const Name extends string, Input, ContextInput, E, R>(
  command: Command.Command<Name, Input, ContextInput, E, R>
) => Command.provide(command, imageServices("read"))

/** As `withImageServices`, for a command that stores photos: it creates the fs driver's root when there is none. */
export const withImageWriteServices = <const Name extends string, Input, ContextInput, E, R>(
  command: Command.Command<Name, Input, ContextInput, E, R>
) => Command.provide(command, imageServices("write"))

const notUsed = (operation: string) =>
  Effect.die(`image process does not use the store (ObjectStore.${operation} was called): this is a bug`)

/**
 * For commands that process images locally: the pipeline needs an ObjectStore to be built, but
 * they store nothing, so none is opened (no data folder is created, no bucket is contacted).
 */
const noStore = Layer.succeed(
  ObjectStore,
  ObjectStore.of({
    driver: "fs",
    location: "(none: local processing)",
    put: () => notUsed("put"),
    get: () => notUsed("get"),
    download: () => notUsed("download"),
    head: () => notUsed("head"),
    exists: () => notUsed("exists"),
    list: () => Stream.fromEffect(notUsed("list")),
    copy: () => notUsed("copy"),
    delete: () => notUsed("delete"),
    deleteMany: () => notUsed("deleteMany"),
    presign: () => notUsed("presign")
  })
)

const localImageServices = Layer.unwrap(
  Effect.gen(function* () {
    const options = yield* root
    const { ImagePipeline } = yield* imageProcessing
    return Layer.merge(Output.layer(options), ImagePipeline.layerConfig.pipe(Layer.provide(noStore)))
  })
)

/** Provides a subcommand with `Output` and an `ImagePipeline` that stores nothing. */
export const withLocalImageServices = <const Name extends string, Input, ContextInput, E, R>(
  command: Command.Command<Name, Input, ContextInput, E, R>
) => Command.provide(command, localImageServices)

/** The ObjectStore, after saying which one with --verbose. */
export const useStore = Effect.gen(function* () {
  const store = yield* ObjectStore
  const output = yield* Output
  yield* output.debug(`store: ${store.driver} at ${store.location}`)
  return store
})
