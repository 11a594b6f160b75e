import type { DistributionConfig } from "@aws-sdk/client-cloudfront"

/** The smallest distribution CloudFront accepts: one S3 origin, the managed CachingOptimized policy. */
export const distributionConfig = (bucket: string): DistributionConfig => ({
  CallerReference: bucket,
  Comment: "local-aws test",
  Enabled: true,
  Origins: {
    Quantity: 1,
    Items: [{ Id: "photos", DomainName: `${bucket}.s3.amazonaws.com`, S3OriginConfig: { OriginAccessIdentity: "" } }]
  },
  DefaultCacheBehavior: {
    TargetOriginId: "photos",
    ViewerProtocolPolicy: "redirect-to-https",
    CachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6"
  }
})
