// @localex/local-aws: a throwaway moto server (AWS control planes) on loopback for tests.
export {
  awsClientConfig,
  createTestAccount,
  queueCostAndUsageResults,
  s3ClientConfig,
  splitEnv,
  TEST_USER,
  uniqueName
} from "./accounts.mjs"
export {
  answers,
  DEFAULT_ACCOUNT_ID,
  DUMMY_CREDENTIALS,
  EngineUnavailable,
  findEngine,
  isRunning,
  REGION,
  start,
  stop
} from "./engine.mjs"

/** Names of the variables the vitest global setup sets for test workers. */
export const TEST_ENV = {
  endpoint: "LOCALEX_TEST_AWS_ENDPOINT",
  region: "LOCALEX_TEST_AWS_REGION"
}

/**
 * The moto server of this test run, or undefined when there is none (the suite should skip).
 * Reads what the vitest global setup put in the environment, so it works in any worker.
 * @returns {{ endpoint: string, region: string, accessKeyId: string, secretAccessKey: string } | undefined}
 */
export function testAws() {
  const endpoint = process.env[TEST_ENV.endpoint]
  if (!endpoint) return undefined
  return {
    endpoint,
    region: process.env[TEST_ENV.region] || "us-east-1",
    accessKeyId: "testing",
    secretAccessKey: "testing"
  }
}
