/**
 * The AWS call policy every control-plane package uses: what is retried (throttling, 5xx,
 * network), what is not (4xx, "not implemented", a call told not to), and the failure as data.
 * `send` stands for an SDK client's `send`: it throws what the SDK throws.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { AwsRetryDelay, awsAttempt, awsCall } from "../src/Aws.js"

const sdkError = (name: string, status: number | undefined, message = name) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } })

/** A `send` that throws the given errors in turn, then answers "ok"; counts its calls. */
const scripted = (...failures: ReadonlyArray<Error>) => {
  let calls = 0
  const send = async (_signal: AbortSignal) => {
    const failure = failures[calls++]
    if (failure !== undefined) throw failure
    return "ok"
  }
  return { send, calls: () => calls }
}

const fast = <A, E>(effect: Effect.Effect<A, E>) =>
  effect.pipe(Effect.provideService(AwsRetryDelay, Duration.millis(1)))

describe("awsAttempt", () => {
  it.live("retries throttling, 5xx and network errors, then answers", () =>
    Effect.gen(function* () {
      const call = scripted(
        sdkError("ThrottlingException", 400),
        sdkError("InternalError", 500),
        Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { name: "Error" })
      )
      assert.strictEqual(yield* fast(awsAttempt(call.send)), "ok")
      assert.strictEqual(call.calls(), 4)
    })
  )

  it.live("gives up after three retries with the last failure as data", () =>
    Effect.gen(function* () {
      const call = scripted(...Array.from({ length: 5 }, () => sdkError("SlowDown", 503, "Please reduce your rate")))
      const failure = yield* Effect.flip(fast(awsAttempt(call.send)))
      assert.deepStrictEqual(failure, { code: "SlowDown", status: 503, detail: "Please reduce your rate" })
      assert.strictEqual(call.calls(), 4)
    })
  )

  it.live("does not retry a refusal, an unimplemented operation, or a call told not to", () =>
    Effect.gen(function* () {
      const denied = scripted(sdkError("AccessDenied", 403))
      assert.strictEqual((yield* Effect.flip(fast(awsAttempt(denied.send)))).code, "AccessDenied")
      assert.strictEqual(denied.calls(), 1)

      const moto = scripted(sdkError("InternalFailure", 500, "The put_bucket_metrics method has not been implemented"))
      assert.strictEqual((yield* Effect.flip(fast(awsAttempt(moto.send)))).status, 500)
      assert.strictEqual(moto.calls(), 1)

      const once = scripted(sdkError("InternalError", 500))
      yield* Effect.flip(fast(awsAttempt(once.send, { retries: 0 })))
      assert.strictEqual(once.calls(), 1)
    })
  )

  it.live("awsCall maps the failure to the caller's typed error", () =>
    Effect.gen(function* () {
      const call = scripted(sdkError("NoSuchBucket", 404, "The bucket does not exist"))
      const error = yield* Effect.flip(fast(awsCall(call.send, (f) => new Error(`${f.code}/${f.status}: ${f.detail}`))))
      assert.strictEqual(error.message, "NoSuchBucket/404: The bucket does not exist")
    })
  )
})
