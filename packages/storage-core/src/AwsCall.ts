/**
 * One AWS SDK request as an Effect, for every package that calls an AWS control plane: each
 * attempt within a deadline, throttling / 5xx / network errors tried again (the clients make one
 * attempt — `clientConfig` — so retries are ours), and the failure described once as data. The
 * packages map an `AwsFailure` to their own typed error; nothing above them sees an SDK exception.
 */
import { Context, Duration, Effect, Schedule } from "effect"

/** What a failed AWS call said, as data. */
export interface AwsFailure {
  /** The AWS error code (`AccessDenied`, `NoSuchBucketPolicy`, `ThrottlingException`, …), or `Timeout`, `Network`. */
  readonly code: string
  readonly status: number | undefined
  readonly detail: string
}

/**
 * The endpoint does not have the operation (Ceph RGW, moto): HTTP 501, `NotImplemented`, or a
 * 500 that says "not implemented" (moto's NotImplementedError).
 */
export const isNotImplemented = (failure: AwsFailure): boolean =>
  failure.status === 501 ||
  failure.code === "NotImplemented" ||
  (failure.status === 500 && /not (been |yet )?implemented|NotImplementedError/i.test(failure.detail))

const retryable = (failure: AwsFailure) =>
  !isNotImplemented(failure) &&
  (failure.code === "Network" ||
    /Throttl|TooManyRequests|SlowDown|LimitExceeded/.test(failure.code) ||
    (failure.status !== undefined && failure.status >= 500))

/** Every attempt's deadline. */
export const AWS_CALL_TIMEOUT_MS = 30_000

/** The first retry's delay (doubling after); tests shorten it. */
export const AwsRetryDelay = Context.Reference<Duration.Duration>("@localex/storage-core/AwsRetryDelay", {
  defaultValue: () => Duration.millis(200)
})

const describe = (cause: unknown): AwsFailure => {
  const error = cause as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } }
  const status = error?.$metadata?.httpStatusCode
  const detail = error?.message ?? String(cause)
  const network = status === undefined && /ECONN|ENOTFOUND|socket|fetch failed|EAI_AGAIN/i.test(detail)
  return { code: network ? "Network" : (error?.Code ?? error?.name ?? "Error"), status, detail }
}

export interface AwsAttemptOptions {
  /** Retries after the first attempt (3). 0 for a call that must not run twice. */
  readonly retries?: number
}

/**
 * `send(signal)`, each attempt within `AWS_CALL_TIMEOUT_MS`; throttling, 5xx and network errors
 * are tried again (backing off from `AwsRetryDelay`); an answer "not implemented" is not.
 * Fails with the raw `AwsFailure`, so a caller can tell "not found" and "not implemented" apart.
 */
export const awsAttempt = <A>(
  send: (signal: AbortSignal) => Promise<A>,
  options: AwsAttemptOptions = {}
): Effect.Effect<A, AwsFailure> =>
  Effect.gen(function* () {
    const delay = yield* AwsRetryDelay
    return yield* Effect.tryPromise({ try: send, catch: describe }).pipe(
      Effect.timeoutOrElse({
        duration: Duration.millis(AWS_CALL_TIMEOUT_MS),
        orElse: () =>
          Effect.fail<AwsFailure>({
            code: "Timeout",
            status: undefined,
            detail: `no answer within ${AWS_CALL_TIMEOUT_MS / 1000} s`
          })
      }),
      Effect.retry({ while: retryable, schedule: Schedule.exponential(delay), times: options.retries ?? 3 })
    )
  })

/** `awsAttempt` whose failure becomes the caller's typed error. */
export const awsCall = <A, E>(
  send: (signal: AbortSignal) => Promise<A>,
  toError: (failure: AwsFailure) => E,
  options?: AwsAttemptOptions
): Effect.Effect<A, E> => awsAttempt(send, options).pipe(Effect.mapError(toError))
