/** The Cdn service on the local moto server, in an account of the test file's own. */
import { CloudFrontClient, type DistributionConfig } from "@aws-sdk/client-cloudfront"
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch"
import type { AwsSettings as MotoSettings, TestAccount } from "@localex/local-aws"
import { clientConfig } from "@localex/storage-core/aws"
import { Layer } from "effect"
import { Cdn, CdnClients, type CdnSettings, DEFAULT_TTLS } from "../../src/index.js"

/** Clients exactly as the package builds them: storage-core's clientConfig over AwsSettings. */
export const motoClients = (aws: MotoSettings, account: TestAccount) => {
  const settings = {
    region: aws.region,
    endpoint: aws.endpoint,
    credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey }
  }
  return {
    cloudfront: new CloudFrontClient(clientConfig(settings)),
    cloudwatch: new CloudWatchClient(clientConfig(settings))
  }
}

export const cdnOn = (clients: ReturnType<typeof motoClients>, settings: Partial<CdnSettings>) =>
  Cdn.layer({ domains: [], ttls: DEFAULT_TTLS, ...settings }).pipe(Layer.provide(CdnClients.layer(clients)))

/** A distribution in front of a bucket, with the settings the review looks at. */
export const distributionConfig = (name: string, overrides: Partial<DistributionConfig> = {}): DistributionConfig => ({
  CallerReference: name,
  Comment: "cdn test",
  Enabled: true,
  Origins: {
    Quantity: 1,
    Items: [{ Id: "photos", DomainName: `${name}.s3.amazonaws.com`, S3OriginConfig: { OriginAccessIdentity: "" } }]
  },
  DefaultCacheBehavior: {
    TargetOriginId: "photos",
    ViewerProtocolPolicy: "redirect-to-https",
    CachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6"
  },
  ...overrides
})
