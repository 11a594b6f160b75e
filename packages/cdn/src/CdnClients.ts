/**
 * The package's AWS layer: the CloudFront and CloudWatch clients, built from storage-core's
 * `AwsSettings`, and the one place SDK errors become `CdnAwsError`.
 */
import { CloudFrontClient } from "@aws-sdk/client-cloudfront"
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch"
import { loadAwsSettings, type StorageConfigError, type StorageOverrides } from "@localex/storage-core"
import { clientConfig } from "@localex/storage-core/aws"
import { Context, Effect, Layer } from "effect"
import { CdnAwsError } from "./Errors.js"

/** CloudFront publishes its metrics in us-east-1 only. */
export const METRICS_REGION = "us-east-1"

/** Every AWS call gets a deadline. */
export const CALL_TIMEOUT_MS = 30_000

export class CdnClients extends Context.Service<
  CdnClients,
  { readonly cloudfront: CloudFrontClient; readonly cloudwatch: CloudWatchClient }
>()("@localex/cdn/CdnClients") {
  /** From `AWS_*` (and `AWS_ENDPOINT_URL_CLOUDFRONT` / `AWS_ENDPOINT_URL_CLOUDWATCH`); a program's region or profile wins. */
  static readonly layerConfig = (
    overrides: Pick<StorageOverrides, "region" | "profile"> = {}
  ): Layer.Layer<CdnClients, StorageConfigError> =>
    Layer.effect(
      CdnClients,
      Effect.gen(function* () {
        const cloudfront = yield* loadAwsSettings("CLOUDFRONT", overrides)
        const cloudwatch = yield* loadAwsSettings("CLOUDWATCH", overrides)
        return CdnClients.of({
          cloudfront: new CloudFrontClient(clientConfig(cloudfront)),
          cloudwatch: new CloudWatchClient({ ...clientConfig(cloudwatch), region: METRICS_REGION })
        })
      })
    )

  static readonly layer = (clients: {
    readonly cloudfront: CloudFrontClient
    readonly cloudwatch: CloudWatchClient
  }): Layer.Layer<CdnClients> => Layer.succeed(CdnClients, CdnClients.of(clients))
}

interface SdkError {
  readonly name?: string
  readonly message?: string
  readonly $metadata?: { readonly httpStatusCode?: number }
}

/** One SDK call with a deadline; any failure is a `CdnAwsError` carrying AWS's error code. */
export const awsCall = <A>(
  operation: string,
  send: (abortSignal: AbortSignal) => Promise<A>
): Effect.Effect<A, CdnAwsError> =>
  Effect.tryPromise({
    try: (signal) => send(AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)])),
    catch: (error) => {
      const sdk = (error ?? {}) as SdkError
      const status = sdk.$metadata?.httpStatusCode
      const timedOut = sdk.name === "TimeoutError" || sdk.name === "AbortError"
      return new CdnAwsError({
        operation,
        code: timedOut ? "Timeout" : (sdk.name ?? "Unknown"),
        detail: timedOut ? `no answer within ${CALL_TIMEOUT_MS / 1000} s` : (sdk.message ?? String(error)),
        ...(status === undefined ? {} : { status })
      })
    }
  })
