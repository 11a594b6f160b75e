/**
 * The package's AWS layer: the S3, S3 Control, IAM and STS clients, built from storage-core's
 * `AwsSettings`, and `awsCall`: storage-core's `awsAttempt` (deadline, retries, failure as data)
 * with the failure as a `SecurityAwsError`.
 */
import { IAMClient } from "@aws-sdk/client-iam"
import { S3Client } from "@aws-sdk/client-s3"
import { S3ControlClient } from "@aws-sdk/client-s3-control"
import { STSClient } from "@aws-sdk/client-sts"
import { loadAwsSettings, type StorageConfigError, type StorageOverrides } from "@localex/storage-core"
import { type AwsFailure, awsAttempt, clientConfig } from "@localex/storage-core/aws"
import { Context, Effect, Layer } from "effect"
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
