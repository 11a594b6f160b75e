/**
 * The replication half of the s3 BucketAdmin, and the conversion between LocalEx's
 * `ReplicationConfiguration` and the SDK's. Rules are written in the V2 schema (a `Filter`,
 * a `Priority`, `DeleteMarkerReplication`), the one AWS needs for delete-marker replication and
 * Replication Time Control.
 */
import type {
  ReplicationConfiguration as SdkConfiguration,
  ReplicationRule as SdkRule,
  StorageClass
} from "@aws-sdk/client-s3"
import { Effect } from "effect"
import type { BucketAdmin } from "../../BucketAdmin.js"
import type { ReplicationConfiguration, ReplicationRule } from "../../BucketModel.js"
import type { NotImplementedByEndpoint, StoreError } from "../../Errors.js"
import type { Send } from "./client.js"
import type { S3Failure } from "./errors.js"
import { DeleteBucketReplicationCommand, GetBucketReplicationCommand, PutBucketReplicationCommand } from "./sdk.js"

type Shape = BucketAdmin["Service"]
type ToError = (key?: string) => (failure: S3Failure) => NotImplementedByEndpoint | StoreError

const bucketArn = (bucket: string) => (bucket.startsWith("arn:") ? bucket : `arn:aws:s3:::${bucket}`)
const bucketName = (arn: string) => arn.replace(/^arn:aws[a-z-]*:s3:::/, "")

/** S3 wants 15 minutes, the only value it takes, for both the RTC threshold and its metrics. */
const FIFTEEN_MINUTES = { Minutes: 15 }

export const toSdkReplication = (configuration: ReplicationConfiguration): SdkConfiguration => ({
  Role: configuration.role,
  Rules: configuration.rules.map(
    (rule, index): SdkRule => ({
      ID: rule.id,
      Priority: rule.priority ?? configuration.rules.length - index,
      Status: rule.enabled ? "Enabled" : "Disabled",
      Filter: { Prefix: rule.prefix },
      DeleteMarkerReplication: { Status: rule.deleteMarkerReplication ? "Enabled" : "Disabled" },
      Destination: {
        Bucket: bucketArn(rule.destinationBucket),
        ...(rule.storageClass === undefined ? {} : { StorageClass: rule.storageClass as StorageClass }),
        ...(rule.destinationAccount === undefined
          ? {}
          : { Account: rule.destinationAccount, AccessControlTranslation: { Owner: "Destination" } }),
        ...(rule.replicationTimeControl
          ? {
              ReplicationTime: { Status: "Enabled", Time: FIFTEEN_MINUTES },
              Metrics: { Status: "Enabled", EventThreshold: FIFTEEN_MINUTES }
            }
          : {})
      }
    })
  )
})

/** A rule as the bucket holds it; settings this model does not express are named in `unsupported`. */
export const fromSdkRule = (rule: SdkRule, index: number): ReplicationRule => {
  const unsupported: Array<string> = []
  const filter = rule.Filter
  if (filter?.Tag !== undefined || filter?.And?.Tags !== undefined) unsupported.push("a tag filter")
  if (rule.SourceSelectionCriteria !== undefined) unsupported.push("source selection criteria (KMS, replica sync)")
  if (rule.ExistingObjectReplication?.Status === "Enabled") unsupported.push("existing-object replication")
  if (rule.Destination?.EncryptionConfiguration !== undefined) unsupported.push("a destination KMS key")
  const destination = rule.Destination
  return {
    id: rule.ID ?? `rule-${index + 1}`,
    enabled: rule.Status === "Enabled",
    ...(rule.Priority === undefined ? {} : { priority: rule.Priority }),
    prefix: filter?.Prefix ?? filter?.And?.Prefix ?? rule.Prefix ?? "",
    destinationBucket: bucketName(destination?.Bucket ?? ""),
    ...(destination?.StorageClass === undefined ? {} : { storageClass: destination.StorageClass }),
    ...(destination?.Account === undefined ? {} : { destinationAccount: destination.Account }),
    deleteMarkerReplication: rule.DeleteMarkerReplication?.Status === "Enabled",
    replicationTimeControl: destination?.ReplicationTime?.Status === "Enabled",
    ...(unsupported.length === 0 ? {} : { unsupported })
  }
}

export const makeReplication = (Bucket: string, send: Send, toError: ToError) => {
  const getReplication: Shape["getReplication"] = Effect.fn("BucketAdmin.getReplication")(function* () {
    const output = yield* send("GetBucketReplication", (c, abortSignal) =>
      c.send(new GetBucketReplicationCommand({ Bucket }), { abortSignal })
    ).pipe(
      Effect.map((out) => out.ReplicationConfiguration),
      Effect.catchIf(
        (failure) => failure.code === "ReplicationConfigurationNotFoundError",
        () => Effect.succeed(undefined)
      ),
      Effect.mapError(toError())
    )
    if (output === undefined || (output.Rules ?? []).length === 0) return undefined
    const configuration: ReplicationConfiguration = {
      role: output.Role ?? "",
      rules: (output.Rules ?? []).map(fromSdkRule)
    }
    return configuration
  })

  const putReplication: Shape["putReplication"] = Effect.fn("BucketAdmin.putReplication")(function* (configuration) {
    if (configuration === undefined) {
      yield* send("DeleteBucketReplication", (c, abortSignal) =>
        c.send(new DeleteBucketReplicationCommand({ Bucket }), { abortSignal })
      ).pipe(Effect.mapError(toError()))
      return
    }
    yield* send("PutBucketReplication", (c, abortSignal) =>
      c.send(new PutBucketReplicationCommand({ Bucket, ReplicationConfiguration: toSdkReplication(configuration) }), {
        abortSignal
      })
    ).pipe(Effect.mapError(toError()))
  })

  return { getReplication, putReplication }
}
