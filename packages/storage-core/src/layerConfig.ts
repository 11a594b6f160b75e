import { Effect, Layer } from "effect"
import * as Fs from "./drivers/Fs.js"
import * as S3 from "./drivers/S3.js"
import { loadSettings } from "./StorageConfig.js"

/** The ObjectStore the environment asks for (LOCALEX_STORAGE_DRIVER, default `fs`): see StorageConfig. */
export const layerConfig = Layer.unwrap(
  Effect.map(loadSettings, (settings) => (settings.driver === "fs" ? Fs.layer(settings) : S3.layer(settings)))
)
