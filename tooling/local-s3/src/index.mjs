// @localex/local-s3: a throwaway single-node Ceph RADOS Gateway on loopback.
export { isRunning, REGION, radosgwAdmin, readEnvFile, start, stop } from "./engine.mjs"
export { EngineUnavailable, ensureDebianTool } from "./install.mjs"
export { encodeRfc3986, s3Request, signV4, UNSIGNED_PAYLOAD } from "./sigv4.mjs"

/** Names of the variables the vitest global setup sets for test workers. */
export const TEST_ENV = {
  endpoint: "LOCALEX_TEST_S3_ENDPOINT",
  accessKeyId: "LOCALEX_TEST_S3_ACCESS_KEY_ID",
  secretAccessKey: "LOCALEX_TEST_S3_SECRET_ACCESS_KEY",
  region: "LOCALEX_TEST_S3_REGION",
  dataDir: "LOCALEX_TEST_S3_DATA_DIR"
}

/**
 * The S3 engine of this test run, or undefined when there is none (the suite should skip).
 * Reads what the vitest global setup put in the environment, so it works in any worker.
 * @returns {{ endpoint: string, region: string, accessKeyId: string, secretAccessKey: string,
 *             dataDir: string | undefined } | undefined}
 */
export function testS3() {
  const env = process.env
  if (!env[TEST_ENV.endpoint] || !env[TEST_ENV.accessKeyId] || !env[TEST_ENV.secretAccessKey]) return undefined
  return {
    endpoint: env[TEST_ENV.endpoint],
    region: env[TEST_ENV.region] || "us-east-1",
    accessKeyId: env[TEST_ENV.accessKeyId],
    secretAccessKey: env[TEST_ENV.secretAccessKey],
    dataDir: env[TEST_ENV.dataDir] || undefined
  }
}
