/**
 * BucketAdmin on S3, over the s3 driver's client and retry policy: lifecycle and intelligent tiering, versioning, versions, incomplete uploads, tags.
 */

import { Effect, Option, Stream } from "effect"
import type { BucketAdmin } from "../../BucketAdmin.js"
import type { IncompleteUpload, ObjectVersion, TieringConfiguration } from "../../BucketModel.js"
import type { StoreError } from "../../Errors.js"
import { NotImplementedByEndpoint } from "../../Errors.js"
import * as Keys from "../../Keys.js"
import type { S3Options } from "../../StorageConfig.js"
import { parseUploadsPage } from "./bucketXml.js"
import type { Send } from "./client.js"
import { asObjectError, asStoreError, type S3Failure } from "./errors.js"
import { makeIdConfigurations, nextToken } from "./idConfigurations.js"
import type { ReadBucket } from "./list.js"
import { makeMetricsConfigurations } from "./metricsConfigurations.js"
import { unquote } from "./objects.js"
import { makeReplication } from "./replication.js"
import { fromSdkRule, fromSdkTiering, toSdkRule, toSdkTiering } from "./rules.js"
import {
  AbortMultipartUploadCommand,
  DeleteBucketIntelligentTieringConfigurationCommand,
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectTaggingCommand,
  ListBucketIntelligentTieringConfigurationsCommand,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketIntelligentTieringConfigurationCommand,
  PutBucketLifecycleConfigurationCommand
} from "./sdk.js"
import { makeVersions } from "./versions.js"

type Shape = BucketAdmin["Service"]

/** Parts per ListParts page and uploads whose parts are summed at once. */
const PART_LISTING_CONCURRENCY = 8

/**
 * A page holds versions and delete markers in two lists: merged here in key order and, for one
 * key, newest first (as S3 lists each), so a key's history is contiguous in the stream.
 */
const byKeyThenNewest = (a: ObjectVersion, b: ObjectVersion) =>
  Keys.compare(a.key, b.key) ||
  (a.key === b.key ? b.lastModified.getTime() - a.lastModified.getTime() || Number(b.isLatest) - Number(a.isLatest) : 0)

/** Bucket administration over the s3 driver's own client and `send` (one client, one retry policy). */
export const makeS3BucketAdmin = (options: S3Options, send: Send, readBucket: ReadBucket) => {
  const Bucket = options.bucket
  const endpoint = options.endpoint ?? "AWS S3"

  const toError =
    (key?: string) =>
    (failure: S3Failure): NotImplementedByEndpoint | StoreError =>
      failure.code === "NotImplemented" || failure.status === 501
        ? new NotImplementedByEndpoint({
            operation: failure.operation,
            endpoint,
            detail: `${failure.code}: ${failure.detail}`
          })
        : asStoreError(Bucket, key)(failure)

  const getLifecycleRules: Shape["getLifecycleRules"] = Effect.fn("BucketAdmin.getLifecycleRules")(function* () {
    const out = yield* send("GetBucketLifecycleConfiguration", (c, abortSignal) =>
      c.send(new GetBucketLifecycleConfigurationCommand({ Bucket }), { abortSignal })
    ).pipe(
      Effect.map((output) => output.Rules ?? []),
      Effect.catchIf(
        (failure) => failure.code === "NoSuchLifecycleConfiguration",
        () => Effect.succeed([])
      ),
      Effect.mapError(toError())
    )
    return out.map(fromSdkRule)
  })

  const putLifecycleRules: Shape["putLifecycleRules"] = Effect.fn("BucketAdmin.putLifecycleRules")(function* (rules) {
    if (rules.length === 0) {
      yield* send("DeleteBucketLifecycle", (c, abortSignal) =>
        c.send(new DeleteBucketLifecycleCommand({ Bucket }), { abortSignal })
      ).pipe(Effect.mapError(toError()))
      return
    }
    yield* send("PutBucketLifecycleConfiguration", (c, abortSignal) =>
      c.send(
        new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules: rules.map(toSdkRule) } }),
        { abortSignal }
      )
    ).pipe(Effect.mapError(toError()))
  })

  const tiering = makeIdConfigurations<TieringConfiguration>(
    {
      kind: "IntelligentTiering",
      list: async (client, abortSignal, token) => {
        const page = await client.send(
          new ListBucketIntelligentTieringConfigurationsCommand({
            Bucket,
            ...(token === undefined ? {} : { ContinuationToken: token })
          }),
          { abortSignal }
        )
        return {
          configurations: (page.IntelligentTieringConfigurationList ?? []).map(fromSdkTiering),
          next: nextToken(page)
        }
      },
      put: (client, abortSignal, configuration) =>
        client.send(
          new PutBucketIntelligentTieringConfigurationCommand({
            Bucket,
            Id: configuration.id,
            IntelligentTieringConfiguration: toSdkTiering(configuration)
          }),
          { abortSignal }
        ),
      delete: (client, abortSignal, Id) =>
        client.send(new DeleteBucketIntelligentTieringConfigurationCommand({ Bucket, Id }), { abortSignal })
    },
    send,
    toError
  )

  const versions = makeVersions(Bucket, send, readBucket, toError)

  const getVersioning: Shape["getVersioning"] = () =>
    Effect.map(versions.getVersioningConfiguration(), (configuration) => configuration.status)

  interface VersionCursor {
    readonly keyMarker: string | undefined
    readonly versionIdMarker: string | undefined
  }

  const listVersions: Shape["listVersions"] = (listOptions) =>
    Stream.paginate({ keyMarker: undefined, versionIdMarker: undefined } as VersionCursor, (cursor) =>
      send("ListObjectVersions", (c, abortSignal) =>
        c.send(
          new ListObjectVersionsCommand({
            Bucket,
            ...(listOptions?.prefix ? { Prefix: listOptions.prefix } : {}),
            ...(cursor.keyMarker === undefined ? {} : { KeyMarker: cursor.keyMarker }),
            ...(cursor.versionIdMarker === undefined ? {} : { VersionIdMarker: cursor.versionIdMarker })
          }),
          { abortSignal }
        )
      ).pipe(
        Effect.map((page) => {
          const versions: Array<ObjectVersion> = [
            ...(page.Versions ?? []).map((v) => ({
              key: v.Key ?? "",
              versionId: v.VersionId ?? "null",
              isLatest: v.IsLatest === true,
              isDeleteMarker: false,
              size: v.Size ?? 0,
              etag: unquote(v.ETag),
              lastModified: v.LastModified ?? new Date(0),
              storageClass: v.StorageClass
            })),
            ...(page.DeleteMarkers ?? []).map((m) => ({
              key: m.Key ?? "",
              versionId: m.VersionId ?? "null",
              isLatest: m.IsLatest === true,
              isDeleteMarker: true,
              size: 0,
              etag: undefined,
              lastModified: m.LastModified ?? new Date(0),
              storageClass: undefined
            }))
          ].sort(byKeyThenNewest)
          const next: Option.Option<VersionCursor> =
            page.IsTruncated === true
              ? Option.some({ keyMarker: page.NextKeyMarker, versionIdMarker: page.NextVersionIdMarker })
              : Option.none()
          return [versions, next] as const
        })
      )
    ).pipe(Stream.mapError(toError()))

  /** Bytes and count of the parts an upload holds so far. */
  const partsOf = (key: string, uploadId: string) =>
    Stream.paginate(undefined as string | undefined, (marker) =>
      send("ListParts", (c, abortSignal) =>
        c.send(
          new ListPartsCommand({
            Bucket,
            Key: key,
            UploadId: uploadId,
            ...(marker === undefined ? {} : { PartNumberMarker: marker })
          }),
          { abortSignal }
        )
      ).pipe(
        Effect.map((page) => {
          const sizes = (page.Parts ?? []).map((p) => p.Size ?? 0)
          const next =
            page.IsTruncated === true && page.NextPartNumberMarker !== undefined
              ? Option.some(page.NextPartNumberMarker)
              : Option.none()
          return [sizes, next] as const
        }),
        // An upload completed or aborted since it was listed has no parts left to count.
        Effect.catchIf(
          (failure) => failure.code === "NoSuchUpload",
          () => Effect.succeed([[], Option.none()] as const)
        )
      )
    ).pipe(
      Stream.runFold(
        () => ({ bytes: 0, parts: 0 }),
        (acc, size: number) => ({ bytes: acc.bytes + size, parts: acc.parts + 1 })
      )
    )

  interface UploadCursor {
    readonly keyMarker: string | undefined
    readonly uploadIdMarker: string | undefined
  }

  const listIncompleteUploads: Shape["listIncompleteUploads"] = (listOptions) =>
    Stream.paginate({ keyMarker: undefined, uploadIdMarker: undefined } as UploadCursor, (cursor) =>
      // A signed GET read by bucketXml.ts, not the SDK: `stats` asks for it in every run.
      readBucket(
        "ListMultipartUploads",
        {
          // No encoding-type=url (as the SDK sent): RGW then encodes the keys but neither
          // NextKeyMarker nor says so in EncodingType.
          uploads: "",
          ...(listOptions?.prefix ? { prefix: listOptions.prefix } : {}),
          ...(cursor.keyMarker === undefined ? {} : { "key-marker": cursor.keyMarker }),
          ...(cursor.uploadIdMarker === undefined ? {} : { "upload-id-marker": cursor.uploadIdMarker })
        },
        parseUploadsPage
      ).pipe(
        Effect.map((page) => {
          const next: Option.Option<UploadCursor> = Option.fromUndefinedOr(page.next)
          return [page.uploads, next] as const
        })
      )
    ).pipe(
      Stream.mapEffect(
        (upload) =>
          Effect.map(partsOf(upload.key, upload.uploadId), (parts): IncompleteUpload => ({ ...upload, ...parts })),
        { concurrency: PART_LISTING_CONCURRENCY }
      ),
      Stream.mapError(toError())
    )

  const abortIncompleteUpload: Shape["abortIncompleteUpload"] = Effect.fn("BucketAdmin.abortIncompleteUpload")(
    function* (key, uploadId) {
      yield* send("AbortMultipartUpload", (c, abortSignal) =>
        c.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId }), { abortSignal })
      ).pipe(
        // Completed or aborted since it was listed: nothing left to abort.
        Effect.catchIf(
          (failure) => failure.code === "NoSuchUpload" || failure.kind === "NotFound",
          () => Effect.void
        ),
        Effect.mapError(toError(key))
      )
    }
  )

  const getObjectTags: Shape["getObjectTags"] = Effect.fn("BucketAdmin.getObjectTags")(function* (key) {
    const valid = yield* Keys.make(key)
    const output = yield* send("GetObjectTagging", (c, abortSignal) =>
      c.send(new GetObjectTaggingCommand({ Bucket, Key: valid }), { abortSignal })
    ).pipe(
      Effect.mapError((failure) =>
        failure.code === "NotImplemented" || failure.status === 501
          ? toError(key)(failure)
          : asObjectError(Bucket, key)(failure)
      )
    )
    const tags: Record<string, string> = {}
    for (const tag of output.TagSet ?? []) tags[tag.Key ?? ""] = tag.Value ?? ""
    return tags
  })

  return {
    driver: "s3",
    location: `s3://${Bucket}`,
    getLifecycleRules,
    putLifecycleRules,
    getTieringConfigurations: tiering.list,
    putTieringConfiguration: tiering.put,
    deleteTieringConfiguration: tiering.delete,
    getVersioning,
    ...versions,
    listVersions,
    ...makeReplication(Bucket, send, toError),
    ...makeMetricsConfigurations(Bucket, send, toError),
    listIncompleteUploads,
    abortIncompleteUpload,
    getObjectTags
  } satisfies Shape
}
