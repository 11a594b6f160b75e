// What moto cannot show (it completes invalidations at once and never throttles), at the SDK
// boundary: the retry on TooManyInvalidationsInProgress and the waiting, with the exact requests.
import {
  CloudFrontClient,
  CreateInvalidationCommand,
  GetInvalidationCommand,
  TooManyInvalidationsInProgress
} from "@aws-sdk/client-cloudfront"
import { assert, describe, it } from "@effect/vitest"
import { mockClient } from "aws-sdk-client-mock"
import { Effect } from "effect"
import { beforeEach } from "vitest"
import { InvalidationPlan, Invalidations, InvalidationsThrottled, InvalidationWaitTimedOut } from "../src/index.js"

const cloudfront = new CloudFrontClient({
  region: "us-east-1",
  credentials: { accessKeyId: "a", secretAccessKey: "b" }
})
const mock = mockClient(cloudfront)
beforeEach(() => mock.reset())

const planOf = (paths: ReadonlyArray<string>, options: InvalidationPlan.PlanOptions = {}) =>
  InvalidationPlan.plan(paths, { reference: "r", ...options }) as InvalidationPlan.InvalidationPlan

const tooMany = () =>
  new TooManyInvalidationsInProgress({
    message: "Your request contains too many invalidations.",
    $metadata: { httpStatusCode: 400 }
  })

const created = (Id: string, Status: string) => ({
  Invalidation: { Id, Status, CreateTime: new Date(), InvalidationBatch: undefined }
})

const fast = { retryBase: "5 millis", pollEvery: "5 millis" } as const

describe("Invalidations at the SDK boundary", () => {
  it.live("retries TooManyInvalidationsInProgress with the same request (same caller reference), then succeeds", () =>
    Effect.gen(function* () {
      mock
        .on(CreateInvalidationCommand)
        .rejectsOnce(tooMany())
        .rejectsOnce(tooMany())
        .resolves(created("I1", "InProgress") as never)
      const plan = planOf(["items/1/a.jpg", "items/2/*"])
      const submitted = yield* Invalidations.submit(cloudfront, "E1", plan, fast)
      assert.deepStrictEqual(submitted, [
        { id: "I1", callerReference: plan.batches[0]!.callerReference, paths: 2, status: "InProgress" }
      ])
      const calls = mock.commandCalls(CreateInvalidationCommand).map((call) => call.args[0].input)
      assert.strictEqual(calls.length, 3)
      for (const input of calls)
        assert.deepStrictEqual(input, {
          DistributionId: "E1",
          InvalidationBatch: {
            CallerReference: plan.batches[0]!.callerReference,
            Paths: { Quantity: 2, Items: ["/items/1/a.jpg", "/items/2/*"] }
          }
        })
    })
  )

  it.live("gives up at the deadline with InvalidationsThrottled naming what was and was not sent", () =>
    Effect.gen(function* () {
      mock
        .on(CreateInvalidationCommand)
        .resolvesOnce(created("I1", "InProgress") as never)
        .rejects(tooMany())
      const plan = planOf(
        Array.from({ length: 3001 }, (_, i) => `items/${i}.jpg`),
        { maxPaths: 5000 }
      )
      const error = yield* Effect.flip(Invalidations.submit(cloudfront, "E1", plan, { ...fast, retryFor: "60 millis" }))
      assert.instanceOf(error, InvalidationsThrottled)
      assert.deepStrictEqual((error as InvalidationsThrottled).submitted, ["I1"])
      assert.strictEqual((error as InvalidationsThrottled).pending, 1)
      assert.isAbove(mock.commandCalls(CreateInvalidationCommand).length, 2)
    })
  )

  it.live("other errors are not retried", () =>
    Effect.gen(function* () {
      mock
        .on(CreateInvalidationCommand)
        .rejects(Object.assign(new Error("no such distribution"), { name: "NoSuchDistribution" }))
      const error = yield* Effect.flip(Invalidations.submit(cloudfront, "E404", planOf(["a.jpg"]), fast))
      assert.strictEqual(error._tag, "CdnAwsError")
      assert.strictEqual((error as { code: string }).code, "NoSuchDistribution")
      assert.strictEqual(mock.commandCalls(CreateInvalidationCommand).length, 1)
    })
  )

  it.live("--wait polls until Completed (any letter case), and sends the next batch only then", () =>
    Effect.gen(function* () {
      mock
        .on(CreateInvalidationCommand)
        .resolvesOnce(created("I1", "InProgress") as never)
        .resolvesOnce(created("I2", "InProgress") as never)
      mock
        .on(GetInvalidationCommand, { Id: "I1" })
        .resolvesOnce(created("I1", "InProgress") as never)
        .resolves(created("I1", "Completed") as never)
      mock.on(GetInvalidationCommand, { Id: "I2" }).resolves(created("I2", "COMPLETED") as never)
      const plan = planOf(
        Array.from({ length: 3001 }, (_, i) => `items/${i}.jpg`),
        { maxPaths: 5000 }
      )
      const submitted = yield* Invalidations.submit(cloudfront, "E1", plan, { ...fast, wait: true })
      assert.deepStrictEqual(
        submitted.map((s) => [s.id, s.status, s.paths]),
        [
          ["I1", "Completed", 3000],
          ["I2", "Completed", 1]
        ]
      )
      // Order of requests: create I1, poll I1 twice, create I2, poll I2.
      assert.deepStrictEqual(
        mock.calls().map((call) => {
          const input = call.args[0].input as { Id?: string; InvalidationBatch?: { Paths: { Quantity: number } } }
          return input.Id ?? `create ${input.InvalidationBatch?.Paths.Quantity}`
        }),
        ["create 3000", "I1", "I1", "create 1", "I2"]
      )
      assert.deepStrictEqual(mock.commandCalls(GetInvalidationCommand)[0]?.args[0].input, {
        DistributionId: "E1",
        Id: "I1"
      })
    })
  )

  it.live("waiting has a deadline: InvalidationWaitTimedOut with the last status", () =>
    Effect.gen(function* () {
      mock.on(CreateInvalidationCommand).resolves(created("I1", "InProgress") as never)
      mock.on(GetInvalidationCommand).resolves(created("I1", "InProgress") as never)
      const error = yield* Effect.flip(
        Invalidations.submit(cloudfront, "E1", planOf(["a.jpg"]), { ...fast, wait: true, waitFor: "40 millis" })
      )
      assert.instanceOf(error, InvalidationWaitTimedOut)
      assert.strictEqual((error as InvalidationWaitTimedOut).status, "InProgress")
      assert.isAbove(mock.commandCalls(GetInvalidationCommand).length, 1)
    })
  )
})
