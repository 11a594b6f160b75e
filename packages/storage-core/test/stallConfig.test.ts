/**
 * The stall settings and how a stall reads: LOCALEX_STORAGE_S3_IDLE_TIMEOUT and
 * LOCALEX_STORAGE_S3_CONNECT_TIMEOUT (seconds or a duration, checked), a StallError classified as
 * a retryable network failure that becomes a TransportError naming the endpoint, what stalled and
 * for how long, and the words a progress line shows for a retry.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { classify, transportError } from "../src/drivers/s3/errors.js"
import { StallError } from "../src/drivers/s3/watchdog.js"
import { describeRetry } from "../src/Retries.js"
import { loadSettings } from "../src/StorageConfig.js"

const settingsWith = (env: Record<string, string>) =>
  loadSettings().pipe(
    Effect.provideService(
      ConfigProvider.ConfigProvider,
      ConfigProvider.fromEnv({ env: { LOCALEX_STORAGE_DRIVER: "s3", LOCALEX_STORAGE_BUCKET: "photos", ...env } })
    )
  )

describe("stall settings", () => {
  it.effect("default to none (the driver's 30 s idle, 10 s connect); read seconds or durations", () =>
    Effect.gen(function* () {
      const none = yield* settingsWith({})
      assert.isTrue(none.driver === "s3" && none.idleTimeoutMs === undefined && none.connectTimeoutMs === undefined)
      const set = yield* settingsWith({
        LOCALEX_STORAGE_S3_IDLE_TIMEOUT: "45",
        LOCALEX_STORAGE_S3_CONNECT_TIMEOUT: "1500ms"
      })
      assert.strictEqual(set.driver === "s3" ? set.idleTimeoutMs : 0, 45_000)
      assert.strictEqual(set.driver === "s3" ? set.connectTimeoutMs : 0, 1500)
      const minutes = yield* settingsWith({ LOCALEX_STORAGE_S3_IDLE_TIMEOUT: "2m" })
      assert.strictEqual(minutes.driver === "s3" ? minutes.idleTimeoutMs : 0, 120_000)
    })
  )

  it.effect("refuse what is not a duration from 100 ms to a day, naming the variable", () =>
    Effect.gen(function* () {
      for (const [name, value] of [
        ["LOCALEX_STORAGE_S3_IDLE_TIMEOUT", "soon"],
        ["LOCALEX_STORAGE_S3_IDLE_TIMEOUT", "0"],
        ["LOCALEX_STORAGE_S3_CONNECT_TIMEOUT", "50ms"],
        ["LOCALEX_STORAGE_S3_CONNECT_TIMEOUT", "2d"]
      ] as const) {
        const error = yield* Effect.flip(settingsWith({ [name]: value }))
        assert.strictEqual(error._tag, "StorageConfigError")
        assert.strictEqual(error.setting, name)
        assert.include(error.message, JSON.stringify(value))
      }
    })
  )
})

describe("a stall, classified", () => {
  it("is a retryable network failure, and a TransportError that says where, what and how long", () => {
    const stall = new StallError("first-byte", 2034, "http://127.0.0.1:9000")
    // The SDK stamps a status on errors raised while it reads a body: the stall still wins.
    const wrapped = Object.assign(new Error("deserialization failed", { cause: stall }), {
      $metadata: { httpStatusCode: 200 }
    })
    for (const error of [stall, wrapped]) {
      const failure = classify("PutObject", error, "http://configured")
      assert.strictEqual(failure.kind, "Network")
      assert.isTrue(failure.retryable)
      assert.deepStrictEqual(failure.stall, { phase: "first-byte", afterMs: 2034 })
      const transport = transportError({ ...failure, attempts: 3 } as typeof failure)
      assert.strictEqual(transport.endpoint, "http://127.0.0.1:9000")
      assert.strictEqual(transport.stalled, "first-byte")
      assert.strictEqual(transport.stalledForMs, 2034)
      assert.isTrue(transport.unreachable)
      assert.strictEqual(
        transport.message,
        "PutObject failed: stalled: no progress waiting for the first byte from http://127.0.0.1:9000 for 2.0 s (after 3 attempts)"
      )
    }
  })

  it("a reset connection is unreachable too; a refusal with an answer is not", () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
    assert.isTrue(transportError(classify("HeadObject", reset, "http://e")).unreachable)
    assert.strictEqual(transportError(classify("HeadObject", reset, "http://e")).endpoint, "http://e")
    const answered = Object.assign(new Error("bad"), { name: "InvalidArgument", $metadata: { httpStatusCode: 400 } })
    assert.isUndefined(transportError(classify("PutObject", answered)).unreachable)
  })

  it("reads as a progress line", () => {
    const event = { operation: "UploadPart", attempt: 2, maxAttempts: 5, detail: "", delayMs: 100 } as const
    assert.strictEqual(describeRetry({ ...event, reason: "stalled" }), "stalled, retrying 2/5")
    assert.strictEqual(describeRetry({ ...event, reason: "throttled" }), "throttled, retrying 2/5")
  })
})
