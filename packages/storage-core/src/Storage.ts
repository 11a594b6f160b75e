/**
 * Storage built from one settings value: the ObjectStore and the BucketAdmin of the driver the
 * settings name, together. The driver's module (and with it the AWS SDK) is loaded only when
 * that driver is used, so a program on the fs driver never pays for the SDK.
 *
 * - `layer(settings)` / `layerConfig(overrides)` for a program with one store;
 * - `makeStore(settings)` for a program that holds two at once (backup: a source and a
 *   destination, each with its own endpoint and credentials).
 */
import { Effect, Layer, type Scope } from "effect"
import type { BucketAdmin } from "./BucketAdmin.js"
import { withChecksums } from "./ContentChecksum.js"
import type { StorageConfigError } from "./Errors.js"
import { type StorageServices, storageContext } from "./internal/storageContext.js"
import type { ObjectStore } from "./ObjectStore.js"
import { loadSettings, type StorageOverrides, type StorageSettings } from "./StorageConfig.js"

export type { StorageServices }

/**
 * Both services of the store `settings` name; the connection closes with the scope. Its puts
 * write the `localex-sha256` content checksum (see ContentChecksum).
 */
export const makeStore = (settings: StorageSettings): Effect.Effect<StorageServices, StorageConfigError, Scope.Scope> =>
  Effect.map(openDriver(settings), ({ store, admin }) => ({
    store: withChecksums(store, settings.driver === "s3" ? { bufferBytes: settings.multipartThreshold } : {}),
    admin
  }))

const openDriver = (settings: StorageSettings): Effect.Effect<StorageServices, StorageConfigError, Scope.Scope> =>
  settings.driver === "fs"
    ? Effect.flatMap(
        Effect.promise(() => import("./drivers/Fs.js")),
        (Fs) => Fs.makeServices(settings)
      )
    : Effect.flatMap(
        Effect.promise(() => import("./drivers/S3.js")),
        (S3) => S3.makeServices(settings)
      )

/** ObjectStore and BucketAdmin of the store `settings` name. */
export const layer = (settings: StorageSettings): Layer.Layer<ObjectStore | BucketAdmin, StorageConfigError> =>
  Layer.effectContext(Effect.map(makeStore(settings), storageContext))

/** ObjectStore and BucketAdmin from the environment (see StorageConfig), with `overrides` on top. */
export const layerConfig = (
  overrides: StorageOverrides = {}
): Layer.Layer<ObjectStore | BucketAdmin, StorageConfigError> =>
  Layer.effectContext(loadSettings(overrides).pipe(Effect.flatMap(makeStore), Effect.map(storageContext)))
