/**
 * One AWS SDK request as an Effect: aborted after a deadline, retried on throttling and 5xx
 * (the clients make one attempt: retries are ours), and its failure described once, here, as
 * data the package's errors carry — nothing above this file sees an SDK exception.
 */
import { Context, Duration, Effect, Schedule } from "effect"

export interface AwsFailure {
  /** The AWS error code (`AccessDeniedException`, `NotFoundException`, …), or `Timeout`, `Network`. */
  readonly code: string
  readonly status: number | undefined
  readonly reason: string
}

/** An endpoint that answers "not implemented" (an emulator without the operation, e.g. moto). */
export const isNotImplemented = (failure: AwsFailure) =>
  failure.status === 501 || (failure.status === 500 && /not (been |yet )?implemented/i.test(failure.reason))

const describe = (cause: unknown): AwsFailure => {
  const error = cause as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }
  return {
    code: error?.name ?? "Error",
    status: error?.$metadata?.httpStatusCode,
    reason: error?.message ?? String(cause)
  }
}

const retryable = (failure: AwsFailure) =>
  !isNotImplemented(failure) &&
  (failure.code === "Network" ||
    /Throttl|TooManyRequests|LimitExceeded|RequestLimitExceeded/.test(failure.code) ||
    (failure.status !== undefined && failure.status >= 500))

const DEADLINE_MS = 30_000

/** The first retry's delay (doubling after); tests shorten it. */
export const AwsRetryDelay = Context.Reference<Duration.Duration>("@localex/cost/AwsRetryDelay", {
  defaultValue: () => Duration.millis(200)
})

/**
 * `send(signal)` once, within `DEADLINE_MS`; throttling, 5xx and network errors are tried again
 * (3 more times, backing off from `AwsRetryDelay`, 200 ms). Fails with `toError(failure)`.
 */
export const awsCall = <A, E>(send: (signal: AbortSignal) => Promise<A>, toError: (failure: AwsFailure) => E) =>
  Effect.gen(function* () {
    return yield* attempt(send, yield* AwsRetryDelay)
  }).pipe(Effect.mapError(toError))

const attempt = <A>(send: (signal: AbortSignal) => Promise<A>, delay: Duration.Duration) =>
  Effect.tryPromise({
    try: send,
    catch: (cause): AwsFailure => {
      const failure = describe(cause)
      return failure.status === undefined &&
        failure.code !== "AbortError" &&
        /ECONN|ENOTFOUND|socket|fetch failed|EAI_AGAIN/i.test(failure.reason)
        ? { ...failure, code: "Network" }
        : failure
    }
  }).pipe(
    Effect.timeoutOrElse({
      duration: DEADLINE_MS,
      orElse: () =>
        Effect.fail<AwsFailure>({
          code: "Timeout",
          status: undefined,
          reason: `no answer within ${DEADLINE_MS / 1000} s`
        })
    }),
    Effect.retry({ while: retryable, schedule: Schedule.exponential(delay), times: 3 })
  )
