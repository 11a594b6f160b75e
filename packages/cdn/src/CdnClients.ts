/**
 * The package's AWS layer: the CloudFront and CloudWatch clients, built from storage-core's
 * `AwsSettings`, and `awsCall`, the one place SDK errors become `CdnAwsError`.
 */
import { CloudFrontClient } from "@aws-sdk/client-cloudfront"
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch"
import { loadAwsSettings, type StorageConfigError, type StorageOverrides } from "@localex/storage-core"
import { awsAttempt, clientConfig } from "@localex/storage-core/aws"
import { Context, Effect, Layer } from "effect"
import { CdnAwsError } from "./Errors.js"

/** CloudFront publishes its metrics in us-east-1 only. */
export const METRICS_REGION = "us-east-1"

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

/**
 * One SDK call through storage-core's `awsAttempt` (a deadline per attempt, throttling and 5xx
 * retried); any failure is a `CdnAwsError` carrying AWS's error code.
 */
export const awsCall = <A>(
  operation: string,
  send: (abortSignal: AbortSignal) => Promise<A>
): Effect.Effect<A, CdnAwsError> =>
  awsAttempt(send).pipe(
    Effect.mapError(
      ({ code, status, detail }) =>
        new CdnAwsError({ operation, code, detail, ...(status === undefined ? {} : { status }) })
    )
  )
