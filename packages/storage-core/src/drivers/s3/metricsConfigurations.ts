/**
 * The request-metrics half of the s3 BucketAdmin: the bucket metrics configurations that make S3
 * publish its request metrics to CloudWatch (a configuration per `FilterId`). Only prefix filters
 * are modelled; a configuration with a tag or access-point filter reads as its prefix part.
 */
import type { MetricsConfiguration as SdkConfiguration } from "@aws-sdk/client-s3"
import type { BucketAdmin } from "../../BucketAdmin.js"
import type { MetricsConfiguration } from "../../BucketModel.js"
import type { Send } from "./client.js"
import { makeIdConfigurations, nextToken, type ToError } from "./idConfigurations.js"
import {
  DeleteBucketMetricsConfigurationCommand,
  ListBucketMetricsConfigurationsCommand,
  PutBucketMetricsConfigurationCommand
} from "./sdk.js"

export const fromSdkMetrics = (config: SdkConfiguration): MetricsConfiguration => {
  const prefix = config.Filter?.Prefix ?? config.Filter?.And?.Prefix
  return { id: config.Id ?? "", ...(prefix === undefined || prefix === "" ? {} : { prefix }) }
}

export const toSdkMetrics = (config: MetricsConfiguration): SdkConfiguration => ({
  Id: config.id,
  ...(config.prefix === undefined || config.prefix === "" ? {} : { Filter: { Prefix: config.prefix } })
})

export const makeMetricsConfigurations = (Bucket: string, send: Send, toError: ToError) => {
  const {
    list,
    put,
    delete: remove
  } = makeIdConfigurations<MetricsConfiguration>(
    {
      kind: "Metrics",
      list: async (client, abortSignal, token) => {
        const page = await client.send(
          new ListBucketMetricsConfigurationsCommand({
            Bucket,
            ...(token === undefined ? {} : { ContinuationToken: token })
          }),
          { abortSignal }
        )
        return { configurations: (page.MetricsConfigurationList ?? []).map(fromSdkMetrics), next: nextToken(page) }
      },
      put: (client, abortSignal, configuration) =>
        client.send(
          new PutBucketMetricsConfigurationCommand({
            Bucket,
            Id: configuration.id,
            MetricsConfiguration: toSdkMetrics(configuration)
          }),
          { abortSignal }
        ),
      delete: (client, abortSignal, Id) =>
        client.send(new DeleteBucketMetricsConfigurationCommand({ Bucket, Id }), { abortSignal })
    },
    send,
    toError
  )
  return {
    getMetricsConfigurations: list,
    putMetricsConfiguration: put,
    deleteMetricsConfiguration: remove
  } satisfies Pick<
    BucketAdmin["Service"],
    "getMetricsConfigurations" | "putMetricsConfiguration" | "deleteMetricsConfiguration"
  >
}
