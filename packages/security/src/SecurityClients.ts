/**
 * The package's AWS layer: the S3, S3 Control, IAM and STS clients, built from storage-core's
 * `AwsSettings`, and `awsCall`, the one place an SDK call gets its deadline and retries and its
 * failure becomes data (nothing above this file sees an SDK exception).
 */
import { IAMClient } from "@aws-sdk/client-iam"
import { S3Client } from "@aws-sdk/client-s3"
import { S3ControlClient } from "@aws-sdk/client-s3-control"
import { STSClient } from "@aws-sdk/client-sts"
import { loadAwsSettings, type StorageConfigError, type StorageOverrides } from "@localex/storage-core"
import { clientConfig } from "@localex/storage-core/aws"
import { Context, Duration, Effect, Layer, Schedule } from "effect"
import { SecurityAwsError } from "./PostureErrors.js"

export interface Clients {
  readonly s3: S3Client
  readonly s3control: S3ControlClient
  readonly iam: IAMClient
  readonly sts: STSClient
}

export class SecurityClients extends Context.Service<SecurityClients, Clients>()("@localex/security/SecurityClients") {
  /**
   * From `AWS_*`: S3 from `AWS_ENDPOINT_URL_S3` (or the `endpoint` override, as the CLI's
   * `--endpoint`), S3 Control, IAM and STS from their own `AWS_ENDPOINT_URL_<SERVICE>` or
   * `AWS_ENDPOINT_URL`; a program's region or profile wins.
   */
  static readonly layerConfig = (
    overrides: Pick<StorageOverrides, "region" | "profile" | "endpoint"> = {}
  ): Layer.Layer<SecurityClients, StorageConfigError> =>
    Layer.effect(
      SecurityClients,
      Effect.gen(function* () {
        const { endpoint, ...aws } = overrides
        const s3 = yield* loadAwsSettings("S3", aws)
        const s3Endpoint = endpoint ?? s3.endpoint
        const control = yield* loadAwsSettings("S3_CONTROL", aws)
        return SecurityClients.of({
          s3: new S3Client({
            ...clientConfig(s3),
            ...(s3Endpoint === undefined ? {} : { endpoint: s3Endpoint, forcePathStyle: true })
          }),
          s3control: makeS3Control(clientConfig(control)),
          iam: new IAMClient(clientConfig(yield* loadAwsSettings("IAM", aws))),
          sts: new STSClient(clientConfig(yield* loadAwsSettings("STS", aws)))
        })
      })
    )

  static readonly layer = (clients: Clients): Layer.Layer<SecurityClients> =>
    Layer.succeed(SecurityClients, SecurityClients.of(clients))
}

/**
 * S3 Control puts the account id into the host name (`123456789012.s3-control…`); an explicit
 * endpoint (an emulator) is used as given, or `123456789012.127.0.0.1` would not even parse.
 */
export const makeS3Control = (config: ReturnType<typeof clientConfig>): S3ControlClient => {
  const endpoint = config.endpoint
  return new S3ControlClient({
    ...config,
    ...(endpoint === undefined ? {} : { endpointProvider: () => ({ url: new URL(endpoint) }) })
  })
}

/** What a failed AWS call said, as data. */
export interface AwsFailure {
  /** The AWS error code (`NoSuchBucketPolicy`, `AccessDenied`, …), or `Timeout`, `Network`. */
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
    /Throttl|TooManyRequests|SlowDown|RequestLimitExceeded/.test(failure.code) ||
    (failure.status !== undefined && failure.status >= 500))

/** Every attempt's deadline. */
export const CALL_TIMEOUT_MS = 30_000

/** The first retry's delay (doubling after, 3 retries); tests shorten it. */
export const AwsRetryDelay = Context.Reference<Duration.Duration>("@localex/security/AwsRetryDelay", {
  defaultValue: () => Duration.millis(200)
})

const describe = (cause: unknown): AwsFailure => {
  const error = cause as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } }
  const status = error?.$metadata?.httpStatusCode
  const detail = error?.message ?? String(cause)
  const network = status === undefined && /ECONN|ENOTFOUND|socket|fetch failed|EAI_AGAIN/i.test(detail)
  return { code: network ? "Network" : (error?.Code ?? error?.name ?? "Error"), status, detail }
}

/**
 * One SDK request: each attempt within `CALL_TIMEOUT_MS`; throttling, 5xx and network errors
 * are tried again (3 more times, from `AwsRetryDelay`); an answer "not implemented" is not.
 * Fails with the raw `AwsFailure` so callers can tell "not found" and "not implemented" apart.
 */
export const awsAttempt = <A>(send: (signal: AbortSignal) => Promise<A>): Effect.Effect<A, AwsFailure> =>
  Effect.gen(function* () {
    const delay = yield* AwsRetryDelay
    return yield* Effect.tryPromise({ try: send, catch: describe }).pipe(
      Effect.timeoutOrElse({
        duration: Duration.millis(CALL_TIMEOUT_MS),
        orElse: () =>
          Effect.fail<AwsFailure>({
            code: "Timeout",
            status: undefined,
            detail: `no answer within ${CALL_TIMEOUT_MS / 1000} s`
          })
      }),
      Effect.retry({ while: retryable, schedule: Schedule.exponential(delay), times: 3 })
    )
  })

/** `awsAttempt` whose failure is a `SecurityAwsError` naming the operation. */
export const awsCall = <A>(
  operation: string,
  send: (signal: AbortSignal) => Promise<A>
): Effect.Effect<A, SecurityAwsError> => awsAttempt(send).pipe(Effect.mapError((f) => toAwsError(operation, f)))

export const toAwsError = (operation: string, failure: AwsFailure): SecurityAwsError =>
  new SecurityAwsError({
    operation,
    code: failure.code,
    detail: failure.detail,
    ...(failure.status === undefined ? {} : { status: failure.status })
  })
