/**
 * Where the s3 driver's credentials come from without the SDK's providers: static settings, then
 * the environment (the default chain's first link), unless a profile is named.
 */
import { assert, describe, it } from "@effect/vitest"
import { credentialsProvider } from "../src/internal/credentials.js"

const env = { AWS_ACCESS_KEY_ID: "AKIDENV", AWS_SECRET_ACCESS_KEY: "env-secret" }

describe("credentialsProvider", () => {
  it("static settings win over the environment", async () => {
    const provider = credentialsProvider({ credentials: { accessKeyId: "AKID", secretAccessKey: "s" } }, env)
    assert.deepStrictEqual(await provider(), { accessKeyId: "AKID", secretAccessKey: "s" })
  })

  it("reads keys, session token and expiry from the environment as the chain's first link", async () => {
    const provider = credentialsProvider(
      {},
      { ...env, AWS_SESSION_TOKEN: "tok", AWS_CREDENTIAL_EXPIRATION: "2030-01-02T03:04:05Z" }
    )
    assert.deepStrictEqual(await provider(), {
      accessKeyId: "AKIDENV",
      secretAccessKey: "env-secret",
      sessionToken: "tok",
      expiration: new Date("2030-01-02T03:04:05Z")
    })
  })

  it("a named profile goes to the SDK's profile provider, not the environment keys", async () => {
    const provider = credentialsProvider({ profile: "nope-localex-test" }, env)
    const outcome = await provider().then(
      (credentials) => credentials.accessKeyId,
      (error: unknown) => String(error)
    )
    assert.match(outcome, /nope-localex-test/)
  })
})
