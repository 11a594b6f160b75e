/**
 * The AWS SDK's S3 client, loaded on the first request that needs it: a process that only lists,
 * counts (`stats`), gets or puts small objects sends signed requests of its own and never
 * evaluates `@aws-sdk/client-s3` (~60 ms of CPU at start-up). The commands below stand for the
 * SDK's classes: `send` (client.ts) loads the SDK before it runs a request, so they are only ever
 * constructed once it is there.
 */
import type * as SdkModule from "@aws-sdk/client-s3"

export type Sdk = typeof SdkModule

let loaded: Sdk | undefined

/** The SDK module, imported once. */
export const loadSdk = async (): Promise<Sdk> => {
  loaded ??= await import("@aws-sdk/client-s3")
  return loaded
}

type CommandName = { [K in keyof Sdk]: K extends `${string}Command` ? K : never }[keyof Sdk]

/**
 * `new X(input)` builds the SDK's X; only inside `send`, once the SDK is loaded. A function
 * declaration, not an arrow (which formatting would make of a function expression): only a
 * function can be called with `new`, and the object it returns is then the result.
 */
const command = <K extends CommandName>(name: K): Sdk[K] => {
  function LazyCommand(input: unknown) {
    if (loaded === undefined) throw new Error(`${name} built before the AWS SDK was loaded (outside send)`)
    const Command = loaded[name] as unknown as new (input: unknown) => object
    return new Command(input)
  }
  return LazyCommand as unknown as Sdk[K]
}

export const AbortMultipartUploadCommand = command("AbortMultipartUploadCommand")
export const CompleteMultipartUploadCommand = command("CompleteMultipartUploadCommand")
export const CopyObjectCommand = command("CopyObjectCommand")
export const CreateMultipartUploadCommand = command("CreateMultipartUploadCommand")
export const DeleteBucketIntelligentTieringConfigurationCommand = command(
  "DeleteBucketIntelligentTieringConfigurationCommand"
)
export const DeleteBucketLifecycleCommand = command("DeleteBucketLifecycleCommand")
export const DeleteBucketMetricsConfigurationCommand = command("DeleteBucketMetricsConfigurationCommand")
export const DeleteBucketReplicationCommand = command("DeleteBucketReplicationCommand")
export const DeleteObjectCommand = command("DeleteObjectCommand")
export const DeleteObjectsCommand = command("DeleteObjectsCommand")
export const GetBucketLifecycleConfigurationCommand = command("GetBucketLifecycleConfigurationCommand")
export const GetBucketReplicationCommand = command("GetBucketReplicationCommand")
export const GetObjectCommand = command("GetObjectCommand")
export const GetObjectTaggingCommand = command("GetObjectTaggingCommand")
export const HeadObjectCommand = command("HeadObjectCommand")
export const ListBucketIntelligentTieringConfigurationsCommand = command(
  "ListBucketIntelligentTieringConfigurationsCommand"
)
export const ListBucketMetricsConfigurationsCommand = command("ListBucketMetricsConfigurationsCommand")
export const ListMultipartUploadsCommand = command("ListMultipartUploadsCommand")
export const ListObjectVersionsCommand = command("ListObjectVersionsCommand")
export const ListPartsCommand = command("ListPartsCommand")
export const PutBucketIntelligentTieringConfigurationCommand = command(
  "PutBucketIntelligentTieringConfigurationCommand"
)
export const PutBucketLifecycleConfigurationCommand = command("PutBucketLifecycleConfigurationCommand")
export const PutBucketMetricsConfigurationCommand = command("PutBucketMetricsConfigurationCommand")
export const PutBucketReplicationCommand = command("PutBucketReplicationCommand")
export const PutBucketVersioningCommand = command("PutBucketVersioningCommand")
export const PutObjectTaggingCommand = command("PutObjectTaggingCommand")
export const UploadPartCommand = command("UploadPartCommand")
export const UploadPartCopyCommand = command("UploadPartCopyCommand")
