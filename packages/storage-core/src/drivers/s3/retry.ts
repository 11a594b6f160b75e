/**
 * The one retry policy of the s3 driver (the SDK's own retries are off: `maxAttempts: 1`).
 *
 * Retried: throttling (503 SlowDown, 429, `Throttling`…), 5xx and S3's transient codes
 * (`InternalError`, `RequestTimeout`), and connections that broke or timed out. Nothing else:
 * a 403, 404 or 412 fails at once. Delays grow exponentially with "equal jitter" (half fixed,
 * half random) so that many parts throttled together do not come back together; throttling
 * starts from a longer base than server errors.
 */
import { Context, Duration, Effect, Random, Schedule } from "effect"
import { OnRetry, type RetryEvent, type RetryReason } from "../../Retries.js"
import { type S3Failure, withFields } from "./errors.js"

/** First delay for 5xx and network errors; throttling waits 5× longer. */
export const RetryBaseDelay = Context.Reference<Duration.Duration>("@localex/storage-core/s3/RetryBaseDelay", {
  defaultValue: () => Duration.millis(100)
})

export const THROTTLING_FACTOR = 5
export const MAX_DELAY_MS = 20_000

/**
 * The delay before retry number `retry` (1 for the first retry), in milliseconds, for a
 * random number in [0, 1): between half and all of `min(cap, base × factor × 2^(retry-1))`.
 */
export const backoffMillis = (retry: number, throttled: boolean, baseMillis: number, random: number): number => {
  const ceiling = Math.min(MAX_DELAY_MS, baseMillis * (throttled ? THROTTLING_FACTOR : 1) * 2 ** (retry - 1))
  return ceiling / 2 + (random * ceiling) / 2
}

const reasonOf = (failure: S3Failure): RetryReason =>
  failure.stall !== undefined
    ? "stalled"
    : failure.kind === "Throttling"
      ? "throttled"
      : failure.kind === "Network"
        ? "unreachable"
        : "server-error"

/**
 * The schedule for at most `maxAttempts` attempts in all (so `maxAttempts - 1` retries) of
 * retryable failures; `onRetry` hears of each retry as it is scheduled.
 */
export const retrySchedule = (
  maxAttempts: number,
  base: Duration.Duration,
  onRetry: (event: RetryEvent) => void = () => {}
) =>
  Schedule.recurs(Math.max(0, maxAttempts - 1)).pipe(
    Schedule.setInputType<S3Failure>(),
    Schedule.while(({ input }) => input.retryable),
    Schedule.modifyDelay(({ attempt, input }) =>
      Effect.map(Random.next, (random) => {
        const delayMs = backoffMillis(attempt, input.kind === "Throttling", Duration.toMillis(base), random)
        onRetry({
          operation: input.operation,
          attempt: attempt + 1,
          maxAttempts,
          reason: reasonOf(input),
          detail: input.detail,
          delayMs
        })
        return Duration.millis(delayMs)
      })
    )
  )

/**
 * Runs `attempt` under the retry policy; the final failure records how many attempts were made.
 * The first attempt runs bare: the schedule and its services are set up only once it has failed
 * (most requests succeed at once, and a small put's CPU is counted in microseconds).
 */
export const withRetry =
  (maxAttempts: number) =>
  <A, R>(attempt: Effect.Effect<A, S3Failure, R>): Effect.Effect<A, S3Failure, R> =>
    Effect.catch(attempt, (first) =>
      first.retryable && maxAttempts > 1 ? retryAfter(maxAttempts, attempt, first) : Effect.fail(first)
    )

/** The retries after a first attempt that failed with `first` (which the schedule hears first). */
const retryAfter = <A, R>(maxAttempts: number, attempt: Effect.Effect<A, S3Failure, R>, first: S3Failure) =>
  Effect.gen(function* () {
    const base = yield* RetryBaseDelay
    const onRetry = yield* OnRetry
    let attempts = 1
    let replay: S3Failure | undefined = first
    return yield* Effect.suspend(() => {
      if (replay !== undefined) {
        const failure = replay
        replay = undefined
        return Effect.fail(failure)
      }
      attempts++
      return attempt
    }).pipe(
      Effect.retry(retrySchedule(maxAttempts, base, onRetry)),
      Effect.mapError((failure) => (attempts === 1 ? failure : withFields(failure, { attempts })))
    )
  })
