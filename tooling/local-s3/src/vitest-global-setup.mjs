// Vitest globalSetup: one S3 engine per test run, shared by every project of the run.
//
// Tests read it with testS3() from "@localex/local-s3" (environment variables, inherited by
// the workers) or with inject("localS3"). Either is undefined when there is no engine.
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { readEnvFile, s3Request, start, TEST_ENV } from "./index.mjs"
import { sharedGlobalSetup, startOrSkip } from "./sharedSetup.mjs"

const say = (line) => process.stderr.write(`[local-s3] ${line}\n`)

export default sharedGlobalSetup({
  key: "@localex/local-s3/vitest-global-setup",
  provide: "localS3",
  acquire
})

/** Finds or starts the engine; undefined when S3 tests should skip. */
async function acquire(state) {
  const env = process.env
  for (const name of Object.values(TEST_ENV)) delete env[name]
  if (env.LOCALEX_S3 === "off") {
    say("LOCALEX_S3=off: no S3 engine for this run; S3 tests skip")
    return undefined
  }

  let settings
  if (env.LOCALEX_S3_ENDPOINT_FILE) {
    const file = resolve(env.LOCALEX_S3_ENDPOINT_FILE)
    if (!existsSync(file)) throw new Error(`[local-s3] LOCALEX_S3_ENDPOINT_FILE names ${file}, which does not exist`)
    settings = await reuse(fromAwsVariables(readEnvFile(file), file))
  } else if (env.LOCALEX_S3_REUSE === "1") {
    settings = await reuse(fromAwsVariables(env, "the environment (LOCALEX_S3_REUSE=1)"))
  } else {
    const started = performance.now()
    state.engine = await startOrSkip({ name: "local-s3", what: "S3", start, say })
    if (!state.engine) return undefined
    const { endpoint, region, accessKeyId, secretAccessKey, dataDir } = state.engine
    settings = { endpoint, region, accessKeyId, secretAccessKey, dataDir }
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    say(`S3 engine up at ${endpoint} in ${seconds} s (logs: ${dataDir}/log)`)
  }

  env[TEST_ENV.endpoint] = settings.endpoint
  env[TEST_ENV.region] = settings.region
  env[TEST_ENV.accessKeyId] = settings.accessKeyId
  env[TEST_ENV.secretAccessKey] = settings.secretAccessKey
  if (settings.dataDir) env[TEST_ENV.dataDir] = settings.dataDir
  return settings
}

/** Settings from AWS_* variables (an env file written by local-s3, or the caller's shell). */
function fromAwsVariables(vars, source) {
  const settings = {
    endpoint: vars.AWS_ENDPOINT_URL_S3,
    region: vars.AWS_REGION || "us-east-1",
    accessKeyId: vars.AWS_ACCESS_KEY_ID,
    secretAccessKey: vars.AWS_SECRET_ACCESS_KEY,
    dataDir: vars.LOCALEX_S3_DATA_DIR || undefined
  }
  const missing = ["AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].filter((name) => !vars[name])
  if (missing.length) throw new Error(`[local-s3] ${source} lacks ${missing.join(", ")}`)
  return settings
}

/** Checks that an engine started elsewhere answers before the tests rely on it. */
async function reuse(settings) {
  try {
    const response = await s3Request(settings, { signal: AbortSignal.timeout(5000) })
    if (response.status !== 200) throw new Error(`ListBuckets answered HTTP ${response.status}`)
  } catch (error) {
    throw new Error(`[local-s3] the S3 engine to reuse at ${settings.endpoint} does not answer: ${error.message}`, {
      cause: error
    })
  }
  say(`reusing the S3 engine at ${settings.endpoint}`)
  return settings
}
