/**
 * The request-metrics half of the s3 BucketAdmin: the bucket metrics configurations that make S3
 * publish its request metrics to CloudWatch (a configuration per `FilterId`). Only prefix filters
 * are modelled; a configuration with a tag or access-point filter reads as its prefix part.
 */
import {
  DeleteBucketMetricsConfigurationCommand,
  ListBucketMetricsConfigurationsCommand,
  PutBucketMetricsConfigurationCommand,
  type MetricsConfiguration as SdkConfiguration
} from "@aws-sdk/client-s3"
import { Effect, Option, Stream } from "effect"
import type { BucketAdmin } from "../../BucketAdmin.js"
import type { MetricsConfiguration } from "../../BucketModel.js"
import type { NotImplementedByEndpoint, StoreError } from "../../Errors.js"
import type { Send } from "./client.js"
import type { S3Failure } from "./errors.js"

type Shape = BucketAdmin["Service"]
type ToError = (key?: string) => (failure: S3Failure) => NotImplementedByEndpoint | StoreError

export const fromSdkMetrics = (config: SdkConfiguration): MetricsConfiguration => {
  const prefix = config.Filter?.Prefix ?? config.Filter?.And?.Prefix
  return { id: config.Id ?? "", ...(prefix === undefined || prefix === "" ? {} : { prefix }) }
}

export const toSdkMetrics = (config: MetricsConfiguration): SdkConfiguration => ({
  Id: config.id,
  ...(config.prefix === undefined || config.prefix === "" ? {} : { Filter: { Prefix: config.prefix } })
})

export const makeMetricsConfigurations = (Bucket: string, send: Send, toError: ToError) => {
  const getMetricsConfigurations: Shape["getMetricsConfigurations"] = Effect.fn("BucketAdmin.getMetricsConfigurations")(
    function* () {
      const pages = Stream.paginate(undefined as string | undefined, (token) =>
        send("ListBucketMetricsConfigurations", (c, abortSignal) =>
          c.send(
            new ListBucketMetricsConfigurationsCommand({
              Bucket,
              ...(token === undefined ? {} : { ContinuationToken: token })
            }),
            { abortSignal }
          )
        ).pipe(
          Effect.map(
            (page) =>
              [
                (page.MetricsConfigurationList ?? []).map(fromSdkMetrics),
                page.IsTruncated === true && page.NextContinuationToken !== undefined
                  ? Option.some(page.NextContinuationToken)
                  : Option.none()
              ] as const
          )
        )
      )
      return yield* Stream.runCollect(pages).pipe(Effect.mapError(toError()))
    }
  )

  const putMetricsConfiguration: Shape["putMetricsConfiguration"] = Effect.fn("BucketAdmin.putMetricsConfiguration")(
    function* (configuration) {
      yield* send("PutBucketMetricsConfiguration", (c, abortSignal) =>
        c.send(
          new PutBucketMetricsConfigurationCommand({
            Bucket,
            Id: configuration.id,
            MetricsConfiguration: toSdkMetrics(configuration)
          }),
          { abortSignal }
        )
      ).pipe(Effect.mapError(toError()))
    }
  )

  const deleteMetricsConfiguration: Shape["deleteMetricsConfiguration"] = Effect.fn(
    "BucketAdmin.deleteMetricsConfiguration"
  )(function* (id) {
    yield* send("DeleteBucketMetricsConfiguration", (c, abortSignal) =>
      c.send(new DeleteBucketMetricsConfigurationCommand({ Bucket, Id: id }), { abortSignal })
    ).pipe(
      Effect.catchIf(
        (failure) => failure.code === "NoSuchConfiguration",
        () => Effect.void
      ),
      Effect.mapError(toError())
    )
  })

  return { getMetricsConfigurations, putMetricsConfiguration, deleteMetricsConfiguration }
}
