// @localex/local-s3: a throwaway single-node Ceph RADOS Gateway on loopback.
import { readEnvFile, start } from "./engine.mjs"

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

/**
 * The engine a benchmark runs on: the running one whose env file LOCALEX_S3_ENV_FILE (or
 * LOCALEX_S3_ENDPOINT_FILE) names, else a new one started for the run (`stop` stops it; for a
 * reused engine it does nothing).
 * @param {{ log?: (line: string) => void }} [options]
 */
export async function benchEngine(options = {}) {
  const file = process.env.LOCALEX_S3_ENV_FILE ?? process.env.LOCALEX_S3_ENDPOINT_FILE
  if (file !== undefined) {
    const vars = readEnvFile(file)
    return {
      endpoint: vars.AWS_ENDPOINT_URL_S3,
      region: vars.AWS_REGION ?? REGION_DEFAULT,
      accessKeyId: vars.AWS_ACCESS_KEY_ID,
      secretAccessKey: vars.AWS_SECRET_ACCESS_KEY,
      envFile: file,
      stop: async () => {}
    }
  }
  options.log?.("no LOCALEX_S3_ENV_FILE: starting a Ceph RGW for this run")
  const engine = await start()
  return {
    endpoint: engine.endpoint,
    region: engine.region,
    accessKeyId: engine.accessKeyId,
    secretAccessKey: engine.secretAccessKey,
    envFile: engine.envFile,
    stop: () => engine.stop()
  }
}

const REGION_DEFAULT = "us-east-1"
