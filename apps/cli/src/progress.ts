/**
 * A transfer progress bar on stderr (bytes, rate, ETA), drawn only when stderr is a terminal
 * and neither --json nor --quiet is set; otherwise every call is a no-op.
 */
import { describeRetry, OnRetry, type RetryEvent } from "@localex/storage-core"
import { Effect, type Scope } from "effect"
import { Output } from "./Output.js"
import { bytes } from "./views/format.js"

/** cli-progress, loaded only when a bar is drawn (never with --json, --quiet or off a terminal). */
const loadCliProgress = Effect.promise(() => import("cli-progress").then((module) => module.default))

export interface Progress {
  /** Bytes moved so far. */
  readonly update: (loaded: number) => void
  /** A retry of the store, shown in the line ("stalled, retrying 2/5") until bytes move again; undefined without a bar. */
  readonly retry?: (event: RetryEvent) => void
}

const noop: Progress = { update: () => {} }

/** A progress bar for one transfer, removed when the scope closes. */
const transferProgress = (
  label: string,
  total: number | undefined
): Effect.Effect<Progress, never, Output | Scope.Scope> =>
  Effect.gen(function* () {
    const output = yield* Output
    if (!(yield* output.progress)) return noop
    const cliProgress = yield* loadCliProgress
    const known = total !== undefined && total > 0
    const started = Date.now()
    let last = 0
    const payload = (loaded: number, status = "") => {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001)
      return {
        label,
        loaded: bytes(loaded),
        size: known ? bytes(total) : "?",
        rate: bytes(Math.round(loaded / seconds)),
        status: status === "" ? "" : ` | ${status}`
      }
    }
    const bar = new cliProgress.SingleBar(
      {
        format: known
          ? "{label} [{bar}] {percentage}% | {loaded}/{size} | {rate}/s | ETA {eta_formatted}{status}"
          : "{label} {loaded} | {rate}/s{status}",
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
        barsize: 30,
        fps: 10
      },
      cliProgress.Presets.shades_classic
    )
    yield* Effect.acquireRelease(
      Effect.sync(() => bar.start(known ? total : 0, 0, payload(0))),
      () => Effect.sync(() => bar.stop())
    )
    return {
      update: (loaded: number) => {
        last = loaded
        bar.update(loaded, payload(loaded))
      },
      retry: (event: RetryEvent) => bar.update(last, payload(last, describeRetry(event)))
    }
  })

/** Runs one transfer with a progress bar, removed before anything else is printed. */
export const withProgress = <A, E, R>(
  label: string,
  total: number | undefined,
  transfer: (progress: Progress) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, Output | Exclude<R, Scope.Scope>> =>
  Effect.scoped(
    Effect.flatMap(transferProgress(label, total), (progress) =>
      progress.retry === undefined
        ? transfer(progress)
        : Effect.provideService(transfer(progress), OnRetry, progress.retry)
    )
  )

/** Items done of a total (cleanup deletes), as `onProgress` reports them. */
export interface CountProgress {
  readonly done: number
  readonly total: number
  readonly deleted: number
}

/**
 * Runs work that reports items done (a cleanup's batches) with a progress bar, drawn under the
 * same conditions as a transfer's and removed before anything else is printed.
 */
export const withCountProgress = <A, E, R>(
  label: string,
  work: (onProgress: (progress: CountProgress) => void) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, Output | Exclude<R, Scope.Scope>> =>
  Effect.scoped(
    Effect.gen(function* () {
      const output = yield* Output
      if (!(yield* output.progress)) return yield* work(() => {})
      const cliProgress = yield* loadCliProgress
      const bar = new cliProgress.SingleBar(
        {
          format: "{label} [{bar}] {percentage}% | {value}/{total} checked | {deleted} deleted | ETA {eta_formatted}",
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
          barsize: 30,
          fps: 10
        },
        cliProgress.Presets.shades_classic
      )
      let started = false
      yield* Effect.addFinalizer(() => Effect.sync(() => started && bar.stop()))
      return yield* work((progress) => {
        if (!started) {
          started = true
          bar.start(progress.total, 0, { label, deleted: 0 })
        }
        bar.update(progress.done, { label, deleted: progress.deleted })
      })
    })
  )
