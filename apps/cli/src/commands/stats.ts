/**
 * `localex-storage stats`: storage statistics (storage-core's StorageStatistics), from a listing
 * or an S3 Inventory report, optionally judged against a quota file (exit 4 when exceeded).
 */

import { LifecyclePolicy } from "@localex/cost"
import { Inventory, Quota, Stats } from "@localex/monitoring"
import { ObjectStore } from "@localex/storage-core"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { QuotaExceeded, UsageError } from "../failure.js"
import { Output } from "../Output.js"
import { withOperations } from "../operations.js"
import { NAME } from "../root.js"
import { storageStats } from "../views/operations.js"
import { intFlag, optionalString, some } from "./flags.js"
import { summaries } from "./summaries.js"

/** A quota file: JSON, as storage-core's Quota.QuotaPolicy (a bad file is PolicyInvalid, exit 1). */
const loadQuota = Effect.fn("stats.loadQuota")(function* (path: string) {
  const json = yield* LifecyclePolicy.readPolicyJson(path)
  return yield* Quota.decodePolicy(json).pipe(
    Effect.mapError((error) => new LifecyclePolicy.PolicyInvalid({ source: path, reason: error.message }))
  )
})

export const stats = Command.make(
  "stats",
  {
    prefix: optionalString("prefix", "Only keys under this prefix (default: the whole bucket)", "prefix"),
    depth: intFlag("depth", "Folder levels the prefix table groups by (default 1: items/, profiles/, …)", 0).pipe(
      Flag.withDefault(1)
    ),
    largest: intFlag("largest", "How many of the largest objects to list (default 10)", 0).pipe(Flag.withDefault(10)),
    sequential: Flag.Boolean("sequential").pipe(
      Flag.withDescription(
        "One sequential listing (default on s3: parallel key ranges only when the first pages are slow, ≥ 40 ms; sequential on fs)"
      ),
      Flag.withDefault(false)
    ),
    concurrency: intFlag("concurrency", "Key ranges listed at once (default 16)", 1).pipe(Flag.optional),
    inventory: optionalString(
      "inventory",
      "Read an S3 Inventory report instead of listing: its manifest.json key",
      "key"
    ),
    inventoryPrefix: optionalString(
      "inventory-prefix",
      "Read the newest S3 Inventory report under this prefix instead of listing",
      "prefix"
    ),
    quota: optionalString("quota", "Judge the statistics against this quota file (JSON); exit 4 if exceeded", "file")
  },
  Effect.fn("stats")(function* (input) {
    const output = yield* Output
    const statistics = yield* Stats.StorageStatistics
    if (Option.isSome(input.inventory) && Option.isSome(input.inventoryPrefix)) {
      return yield* new UsageError({
        reason: "give --inventory <manifest key> or --inventory-prefix <prefix>, not both"
      })
    }
    const policy = Option.isSome(input.quota) ? yield* loadQuota(input.quota.value) : undefined
    const options = {
      ...some("prefix", input.prefix),
      depth: input.depth,
      largest: input.largest,
      trackPrefixes: policy === undefined ? [] : Quota.trackPrefixes(policy)
    }
    const manifest = Option.isSome(input.inventoryPrefix)
      ? Option.some(yield* Inventory.latestManifest(yield* ObjectStore, input.inventoryPrefix.value))
      : input.inventory
    const collected = Option.isSome(manifest)
      ? yield* statistics.fromInventory(manifest.value, options)
      : yield* statistics.collect({
          ...options,
          ...(input.sequential ? { parallel: false } : {}),
          ...some("concurrency", input.concurrency)
        })
    const verdict = policy === undefined ? undefined : yield* Quota.evaluate(collected, policy)
    yield* output.print(storageStats(collected, verdict))
    if (verdict?.status === "exceeded") return yield* new QuotaExceeded({ summary: verdict.summary })
  })
).pipe(
  Command.withDescription(summaries.stats),
  Command.withExamples([
    { command: `${NAME} stats`, description: "The whole bucket, by top-level prefix" },
    { command: `${NAME} stats --prefix items/ --depth 2 --largest 20`, description: "Per item" },
    { command: `${NAME} --json stats --quota quota.json`, description: "Check quotas (exit 4 when exceeded)" },
    { command: `${NAME} stats --inventory-prefix inventory/localex-photos/daily/`, description: "From S3 Inventory" }
  ]),
  withOperations
)
