/**
 * Verify: compare two locations and say, key by key, as rclone's `check` does:
 * `= key` same, `+ key` only in the source, `- key` only in the destination, `* key` differs,
 * `! key` could not be compared (the error is given). By metadata (size, ETags, `localex-sha256`:
 * see internal/compare.ts), or with `download` by reading and hashing both sides. The listings are
 * merge-joined as streams (flat memory); `_localex/` is skipped on both sides. A listing that
 * fails fails the verify: an incomplete comparison is never reported as a clean one.
 */
import { ContentChecksum, type ObjectStore, readBody } from "@localex/storage-core"
import { Effect, Stream } from "effect"
import { type Method, type MethodCounts, noMethods } from "./internal/compare.js"
import { narrow, type Side } from "./Location.js"
import { compareObjects, joinSides } from "./Snapshot.js"

export type VerifyStatus = "=" | "+" | "-" | "*" | "!"

export interface VerifyEntry {
  readonly status: VerifyStatus
  /** Relative to both sides' prefixes. */
  readonly key: string
  /** How a pair present on both sides was compared. */
  readonly method?: Method | "download"
  /** For `!`: the error; for `*`: what differed. */
  readonly detail?: string
}

export interface VerifyOptions {
  readonly prefix?: string
  /** Read both sides and compare SHA-256s of the bytes (slow, and the strongest check). */
  readonly download?: boolean
  /** Pairs compared at once. Default 16. */
  readonly concurrency?: number
  /** Called with every entry, in key order (a CLI prints them as they come). */
  readonly onEntry?: (entry: VerifyEntry) => Effect.Effect<void>
}

export interface VerifyCounts {
  readonly same: number
  readonly onlyInSource: number
  readonly onlyInDestination: number
  readonly differ: number
  readonly errors: number
}

export interface VerifyReport {
  readonly source: string
  readonly destination: string
  readonly download: boolean
  readonly counts: VerifyCounts
  readonly comparisons: MethodCounts & { readonly download: number }
  /** The first 1,000 entries that are not `=`. */
  readonly differences: ReadonlyArray<VerifyEntry>
  /** Everything is `=`. */
  readonly ok: boolean
}

const MAX_DIFFERENCES = 1000

type Store = ObjectStore["Service"]

const hashOf = (store: Store, key: string) => Effect.flatMap(readBody(store, key), ContentChecksum.ofStream)

const compareBytes = (source: Store, destination: Store, a: string, b: string) =>
  Effect.map(Effect.all([hashOf(source, a), hashOf(destination, b)], { concurrency: 2 }), ([x, y]) => ({
    same: x === y,
    method: "download" as const,
    detail: x === y ? undefined : `SHA-256 ${x} ≠ ${y}`
  }))

/** The entries, in key order. */
export const entries = (sourceSide: Side, destinationSide: Side, options: VerifyOptions = {}) => {
  const source = narrow(sourceSide, options.prefix)
  const destination = narrow(destinationSide, options.prefix)
  return joinSides(source, destination).pipe(
    Stream.mapEffect(
      (pair): Effect.Effect<VerifyEntry> => {
        if (pair.right === undefined) return Effect.succeed({ status: "+", key: pair.key })
        if (pair.left === undefined) return Effect.succeed({ status: "-", key: pair.key })
        const [a, b] = [pair.left.object, pair.right.object]
        type Compared = {
          readonly same: boolean
          readonly method: Method | "download"
          readonly detail: string | undefined
        }
        const verdict: Effect.Effect<Compared, Effect.Error<ReturnType<typeof compareBytes>>> = options.download ===
        true
          ? compareBytes(source.store, destination.store, a.key, b.key)
          : Effect.map(compareObjects(source.store, destination.store, a, b), (v) => ({
              ...v,
              detail: v.same ? undefined : `differs by ${v.method}`
            }))
        return verdict.pipe(
          Effect.map(
            (v): VerifyEntry => ({
              status: v.same ? "=" : "*",
              key: pair.key,
              method: v.method,
              ...(v.detail === undefined ? {} : { detail: v.detail })
            })
          ),
          Effect.catch((error) =>
            Effect.succeed<VerifyEntry>({ status: "!", key: pair.key, detail: `${error._tag}: ${error.message}` })
          )
        )
      },
      { concurrency: options.concurrency ?? 16 }
    )
  )
}

export const run = Effect.fn("Verify.run")(function* (source: Side, destination: Side, options: VerifyOptions = {}) {
  const counts = { same: 0, onlyInSource: 0, onlyInDestination: 0, differ: 0, errors: 0 }
  const comparisons = { ...noMethods(), download: 0 }
  const differences: Array<VerifyEntry> = []
  yield* Stream.runForEach(entries(source, destination, options), (entry) => {
    if (entry.method !== undefined) comparisons[entry.method]++
    if (entry.status === "=") counts.same++
    else {
      if (entry.status === "+") counts.onlyInSource++
      else if (entry.status === "-") counts.onlyInDestination++
      else if (entry.status === "*") counts.differ++
      else counts.errors++
      if (differences.length < MAX_DIFFERENCES) differences.push(entry)
    }
    return options.onEntry === undefined ? Effect.void : options.onEntry(entry)
  })
  const report: VerifyReport = {
    source: narrow(source, options.prefix).name,
    destination: narrow(destination, options.prefix).name,
    download: options.download === true,
    counts,
    comparisons,
    differences,
    ok: counts.onlyInSource + counts.onlyInDestination + counts.differ + counts.errors === 0
  }
  return report
})

/** `= key`, `+ key`, … */
export const formatEntry = (entry: VerifyEntry) =>
  `${entry.status} ${entry.key}${entry.detail === undefined ? "" : `  (${entry.detail})`}`

export const formatCounts = (report: VerifyReport): ReadonlyArray<readonly [string, string]> => [
  ["source", report.source],
  ["destination", report.destination],
  ["=", `${report.counts.same} same`],
  ["+", `${report.counts.onlyInSource} only in the source`],
  ["-", `${report.counts.onlyInDestination} only in the destination`],
  ["*", `${report.counts.differ} differ`],
  ["!", `${report.counts.errors} errors`],
  ["result", report.ok ? "OK: the destination holds exactly the source" : "NOT OK"]
]
