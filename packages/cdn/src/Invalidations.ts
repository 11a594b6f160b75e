/**
 * Submits an invalidation plan to CloudFront: batch after batch, each with its idempotent caller
 * reference; `TooManyInvalidationsInProgress` (and throttling) is retried with exponential
 * backoff until a deadline; with `wait`, polls each invalidation until it is completed.
 */
import { type CloudFrontClient, CreateInvalidationCommand, GetInvalidationCommand } from "@aws-sdk/client-cloudfront"
import { Duration, Effect, Schedule } from "effect"
import { awsCall } from "./CdnClients.js"
import { type CdnAwsError, InvalidationsThrottled, InvalidationWaitTimedOut } from "./Errors.js"
import type { InvalidationPlan } from "./InvalidationPlan.js"

export interface SubmitOptions {
  /** Wait until every invalidation is completed. */
  readonly wait?: boolean
  /** Retry an over-limit batch for this long before giving up (default 10 min). */
  readonly retryFor?: Duration.Input
  /** First backoff delay (default 2 s; doubles up to 1 min). */
  readonly retryBase?: Duration.Input
  /** How often to ask for the status while waiting (default 10 s). */
  readonly pollEvery?: Duration.Input
  /** Give up waiting after this long (default 20 min; the invalidation goes on at CloudFront). */
  readonly waitFor?: Duration.Input
}

export interface SubmittedInvalidation {
  readonly id: string
  readonly callerReference: string
  readonly paths: number
  /** As CloudFront last reported it, letter case normalised: "InProgress" or "Completed". */
  readonly status: string
}

/** AWS says "InProgress"/"Completed"; moto says "COMPLETED": compare without case. */
export const normalizeStatus = (status: string | undefined): string =>
  status?.toLowerCase() === "completed"
    ? "Completed"
    : status?.toLowerCase() === "inprogress"
      ? "InProgress"
      : (status ?? "Unknown")

const RETRYABLE = new Set(["TooManyInvalidationsInProgress", "Throttling", "ThrottlingException"])

const create = (client: CloudFrontClient, distributionId: string, batch: InvalidationPlan["batches"][number]) =>
  awsCall("CloudFront.CreateInvalidation", (abortSignal) =>
    client.send(
      new CreateInvalidationCommand({
        DistributionId: distributionId,
        InvalidationBatch: {
          CallerReference: batch.callerReference,
          Paths: { Quantity: batch.paths.length, Items: [...batch.paths] }
        }
      }),
      { abortSignal }
    )
  )

const statusOf = (client: CloudFrontClient, distributionId: string, id: string) =>
  awsCall("CloudFront.GetInvalidation", (abortSignal) =>
    client.send(new GetInvalidationCommand({ DistributionId: distributionId, Id: id }), { abortSignal })
  ).pipe(Effect.map((answer) => normalizeStatus(answer.Invalidation?.Status)))

/** Polls one invalidation until it is completed, or fails with `InvalidationWaitTimedOut` at the deadline. */
const waitFor = (
  client: CloudFrontClient,
  distributionId: string,
  submitted: SubmittedInvalidation,
  options: SubmitOptions
): Effect.Effect<SubmittedInvalidation, CdnAwsError | InvalidationWaitTimedOut> =>
  Effect.gen(function* () {
    const started = Date.now()
    const deadline = Duration.toMillis(Duration.fromInputUnsafe(options.waitFor ?? "20 minutes"))
    const every = Duration.fromInputUnsafe(options.pollEvery ?? "10 seconds")
    let status = submitted.status
    while (status !== "Completed") {
      const waited = Date.now() - started
      if (waited >= deadline)
        return yield* new InvalidationWaitTimedOut({ invalidationId: submitted.id, status, waitedMs: waited })
      yield* Effect.sleep(Duration.min(every, Duration.millis(deadline - waited)))
      status = yield* statusOf(client, distributionId, submitted.id)
    }
    return { ...submitted, status }
  })

/** Submits the plan's batches in order (each waits for room under CloudFront's in-progress limits). */
export const submit = (
  client: CloudFrontClient,
  distributionId: string,
  plan: InvalidationPlan,
  options: SubmitOptions = {}
): Effect.Effect<
  ReadonlyArray<SubmittedInvalidation>,
  CdnAwsError | InvalidationsThrottled | InvalidationWaitTimedOut
> =>
  Effect.gen(function* () {
    const started = Date.now()
    const retryFor = Duration.fromInputUnsafe(options.retryFor ?? "10 minutes")
    const schedule = Schedule.exponential(Duration.fromInputUnsafe(options.retryBase ?? "2 seconds")).pipe(
      Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.minutes(1)))),
      Schedule.upTo({ duration: retryFor })
    )
    const submitted: Array<SubmittedInvalidation> = []
    for (const [index, batch] of plan.batches.entries()) {
      const answer = yield* create(client, distributionId, batch).pipe(
        Effect.retry({ schedule, while: (error) => RETRYABLE.has(error.code) }),
        Effect.catchIf(
          (error) => RETRYABLE.has(error.code),
          () =>
            Effect.fail(
              new InvalidationsThrottled({
                submitted: submitted.map((invalidation) => invalidation.id),
                pending: plan.batches.length - index,
                waitedMs: Date.now() - started
              })
            )
        )
      )
      const invalidation: SubmittedInvalidation = {
        id: answer.Invalidation?.Id ?? "",
        callerReference: batch.callerReference,
        paths: batch.paths.length,
        status: normalizeStatus(answer.Invalidation?.Status)
      }
      // The next batch counts against the same in-progress limits: with --wait, let this one finish first.
      submitted.push(options.wait ? yield* waitFor(client, distributionId, invalidation, options) : invalidation)
    }
    return submitted
  })
