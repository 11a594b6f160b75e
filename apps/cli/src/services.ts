/**
 * The services every subcommand runs with: the output renderer, the ObjectStore and (image
 * commands) the ImagePipeline, all built from the global flags after parsing (so `--help`
 * touches nothing). The storage operations' services are in operations.ts.
 */

import { statSync } from "node:fs"
import { resolve } from "node:path"
import {
  type BucketAdmin,
  describeRetry,
  loadSettings,
  ObjectStore,
  OnRetry,
  type RetryEvent,
  Storage,
  type StorageConfigError,
  type StorageSettings
} from "@localex/storage-core"
import { Effect, Layer, Option, Stream } from "effect"
import { Command } from "effect/cli"
import { RootNotFound, UsageError } from "./failure.js"
import { type GlobalOptions, storageOverrides } from "./GlobalFlags.js"
import { imageProcessing } from "./lazy.js"
import { Output } from "./Output.js"
import { root } from "./root.js"

/**
 * What a command does to the fs driver's root: only a write (`object put`, `image upload`) may
 * create it; a read of a root that does not exist (a mistyped --root) fails instead of leaving an
 * empty store and a signing secret behind.
 */
export type Access = "read" | "write"

/** The storage settings; refuses an empty --root and, for a read on the fs driver, a root that does not exist. */
const checkedSettings = (
  options: GlobalOptions,
  access: Access
): Effect.Effect<StorageSettings, StorageConfigError | RootNotFound | UsageError> =>
  Effect.gen(function* () {
    if (Option.isSome(options.root) && options.root.value.trim() === "")
      return yield* new UsageError({
        reason:
          "--root is empty: give the fs driver's data folder (e.g. --root ./data), or leave it out for the default"
      })
    const settings = yield* loadSettings(storageOverrides(options))
    if (access === "write" || settings.driver !== "fs") return settings
    const root = resolve(settings.root)
    if (!(statSync(root, { throwIfNoEntry: false })?.isDirectory() ?? false)) return yield* new RootNotFound({ root })
    return settings
  })

/** The ObjectStore (and BucketAdmin) the flags and the environment ask for. */
export const storeLayer = (
  options: GlobalOptions,
  access: Access = "read"
): Layer.Layer<ObjectStore | BucketAdmin, StorageConfigError | RootNotFound | UsageError> =>
  Layer.unwrap(Effect.map(checkedSettings(options, access), Storage.layer))

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
export const outputLayer = (options: GlobalOptions) => Layer.provideMerge(retryNotices, Output.layer(options))

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
