/**
 * The storage operations' services (statistics, cleanups, lifecycle, tiering), apart from
 * services.ts so that the commands that do not use them never load @localex/cost and
 * @localex/monitoring.
 */

import { Cleanup, LifecyclePolicy, Orphans, Tiering, Uploads } from "@localex/cost"
import { Stats } from "@localex/monitoring"
import { Effect, Layer } from "effect"
import { Command } from "effect/cli"
import type { GlobalOptions } from "./GlobalFlags.js"
import { root } from "./root.js"
import { outputLayer, storeLayer } from "./services.js"

/**
 * The storage operations (statistics, cleanups, lifecycle, tiering) over the ObjectStore and
 * the BucketAdmin the flags and the environment ask for (on fs, BucketAdmin answers that the
 * driver has no lifecycle).
 */
const operationsLayer = (options: GlobalOptions) =>
  Layer.mergeAll(Stats.layer, Cleanup.layer, Orphans.layer, Uploads.layer, LifecyclePolicy.layer, Tiering.layer).pipe(
    Layer.provideMerge(storeLayer(options))
  )

const operationServices = Layer.unwrap(
  Effect.map(root, (options) => Layer.merge(outputLayer(options), operationsLayer(options)))
)

/** Provides a subcommand with `Output`, `ObjectStore`, `BucketAdmin` and the operations services. */
export const withOperations = <const Name extends string, Input, ContextInput, E, R>(
  command: Command.Command<Name, Input, ContextInput, E, R>
) => Command.provide(command, operationServices)
