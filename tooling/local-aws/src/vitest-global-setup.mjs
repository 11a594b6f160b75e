// Vitest globalSetup: one moto server per test run, shared by every project of the run.
//
// Tests read it with testAws() from "@localex/local-aws" (environment variables, inherited by the
// workers) or with inject("localAws"). Either is undefined when there is no engine.
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { readEnvFile } from "@localex/local-s3"
import { sharedGlobalSetup, startOrSkip } from "@localex/local-s3/shared-setup"
import { answers, start, TEST_ENV } from "./index.mjs"

const say = (line) => process.stderr.write(`[local-aws] ${line}\n`)

export default sharedGlobalSetup({
  key: "@localex/local-aws/vitest-global-setup",
  provide: "localAws",
  acquire
})

/** Finds or starts the engine; undefined when AWS tests should skip. */
async function acquire(state) {
  const env = process.env
  for (const name of Object.values(TEST_ENV)) delete env[name]
  if (env.LOCALEX_AWS === "off") {
    say("LOCALEX_AWS=off: no moto server for this run; AWS control-plane tests skip")
    return undefined
  }

  let settings
  if (env.LOCALEX_AWS_ENDPOINT_FILE) {
    const file = resolve(env.LOCALEX_AWS_ENDPOINT_FILE)
    if (!existsSync(file)) throw new Error(`[local-aws] LOCALEX_AWS_ENDPOINT_FILE names ${file}, which does not exist`)
    const endpoint = readEnvFile(file).AWS_ENDPOINT_URL
    if (!endpoint) throw new Error(`[local-aws] ${file} has no AWS_ENDPOINT_URL`)
    if (!(await answers(endpoint, 5000)))
      throw new Error(`[local-aws] the moto server to reuse at ${endpoint} (from ${file}) does not answer`)
    say(`reusing the moto server at ${endpoint}`)
    settings = { endpoint, region: "us-east-1", accessKeyId: "testing", secretAccessKey: "testing" }
  } else {
    const started = performance.now()
    state.engine = await startOrSkip({ name: "local-aws", what: "AWS control-plane", start, say })
    if (!state.engine) return undefined
    const { endpoint, region, accessKeyId, secretAccessKey, log } = state.engine
    settings = { endpoint, region, accessKeyId, secretAccessKey }
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    say(`moto server up at ${endpoint} in ${seconds} s (log: ${log})`)
  }

  env[TEST_ENV.endpoint] = settings.endpoint
  env[TEST_ENV.region] = settings.region
  return settings
}
