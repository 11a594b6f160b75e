/**
 * Watching the retry policy: a program that shows progress (the CLI's progress line) provides
 * `OnRetry` around its work and hears of every retry as it is scheduled — "stalled, retrying 2/5".
 * The s3 driver calls it; drivers that never retry never do.
 */
import { Context } from "effect"

/** Why an attempt is retried. */
export type RetryReason = "stalled" | "unreachable" | "throttled" | "server-error"

export interface RetryEvent {
  /** The S3 operation (PutObject, UploadPart, ListObjectsV2, …). */
  readonly operation: string
  /** The attempt about to start: 2 for the first retry. */
  readonly attempt: number
  readonly maxAttempts: number
  readonly reason: RetryReason
  /** What went wrong with the attempt that failed. */
  readonly detail: string
  /** The wait before the next attempt. */
  readonly delayMs: number
}

/** Called for every retry of the fibers it is provided to (default: nothing). */
export const OnRetry = Context.Reference<(event: RetryEvent) => void>("@localex/storage-core/OnRetry", {
  defaultValue: () => () => {}
})

/** "stalled, retrying 2/5": the words a progress line shows for a retry. */
export const describeRetry = (event: RetryEvent): string => {
  const why =
    event.reason === "stalled"
      ? "stalled"
      : event.reason === "throttled"
        ? "throttled"
        : event.reason === "unreachable"
          ? "connection lost"
          : "server error"
  return `${why}, retrying ${event.attempt}/${event.maxAttempts}`
}
