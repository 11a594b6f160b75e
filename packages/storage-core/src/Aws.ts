/**
 * AWS SDK v3 client settings for every AWS service the packages call (CloudWatch, CloudFront,
 * Budgets, Cost Explorer, IAM, SNS, …), from one `AwsSettings`: region, endpoint (the SDK's
 * `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL`, see `loadAwsSettings`), and credentials
 * (static, a profile, or the default chain) — the same rules as the s3 driver.
 */
import { credentialsProvider } from "./internal/credentials.js"
import type { AwsSettings } from "./StorageConfig.js"

export interface ClientConfig {
  readonly region: string
  readonly endpoint?: string
  readonly credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>
  /** Retries belong to the caller's policy (Effect), as in the s3 driver. */
  readonly maxAttempts: number
}

/** The configuration object to pass to `new XxxClient(…)`. */
export const clientConfig = (settings: AwsSettings): ClientConfig => ({
  region: settings.region,
  ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
  credentials: credentialsProvider(settings),
  maxAttempts: 1
})

export {
  AWS_CALL_TIMEOUT_MS,
  type AwsAttemptOptions,
  type AwsFailure,
  AwsRetryDelay,
  awsAttempt,
  awsCall,
  isNotImplemented
} from "./AwsCall.js"
