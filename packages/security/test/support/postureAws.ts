/** The security services on the local engines: moto (control planes, S3 configuration) and the Ceph RGW. */
import { IAMClient } from "@aws-sdk/client-iam"
import { S3Client } from "@aws-sdk/client-s3"
import { STSClient } from "@aws-sdk/client-sts"
import { awsClientConfig, type AwsSettings as MotoSettings, s3ClientConfig, type TestAccount } from "@localex/local-aws"
import { AwsRetryDelay, clientConfig } from "@localex/storage-core/aws"
import { Duration, Effect, Layer } from "effect"
import { Drift, IamReview, Posture, SecurityClients } from "../../src/index.js"
import { type Clients, makeS3Control } from "../../src/SecurityClients.js"

const settings = (endpoint: string, account: { accessKeyId: string; secretAccessKey: string }) => ({
  region: "us-east-1",
  endpoint,
  credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey }
})

/** Every client on moto, in the test account, built as the package builds them. */
export const motoClients = (aws: MotoSettings, account: TestAccount): Clients => ({
  s3: new S3Client(s3ClientConfig(aws, account)),
  s3control: makeS3Control(clientConfig(settings(aws.endpoint, account))),
  iam: new IAMClient(awsClientConfig(aws, account)),
  sts: new STSClient(awsClientConfig(aws, account))
})

/** The three services over the given clients (retries start at 10 ms so a failing test is quick). */
export const securityOn = (clients: Clients) =>
  Layer.mergeAll(Posture.layer, Drift.layer, IamReview.layer).pipe(Layer.provideMerge(SecurityClients.layer(clients)))

export const runOn =
  (clients: () => Clients) =>
  <A, E>(effect: Effect.Effect<A, E, Posture | Drift | IamReview | SecurityClients>) =>
    Effect.runPromise(
      effect.pipe(Effect.provide(securityOn(clients())), Effect.provideService(AwsRetryDelay, Duration.millis(10)))
    )
