/**
 * The versioned-bucket half of the s3 BucketAdmin: versioning on/off with its MFA-delete flag,
 * reading one version, copying a version over the current one (a restore), and removing a
 * delete marker (an undelete). Versions are never deleted here: only delete markers.
 */

import { Effect, Stream } from "effect"
import type { BucketAdmin, CopyVersionOptions } from "../../BucketAdmin.js"
import {
  type NotImplementedByEndpoint,
  ObjectNotFound,
  PreconditionFailed,
  type StoreError,
  TransportError,
  VersionNotFound
} from "../../Errors.js"
import * as Keys from "../../Keys.js"
import type { GetResult } from "../../ObjectStore.js"
import { parseVersioning } from "./bucketXml.js"
import type { Send } from "./client.js"
import type { S3Failure } from "./errors.js"
import type { ReadBucket } from "./list.js"
import { objectInfo, unquote } from "./objects.js"
import { encodeKeyPath, escapeUri } from "./presign.js"
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand
} from "./sdk.js"
import { headObject } from "./upload.js"

type Shape = BucketAdmin["Service"]
type ToError = (key?: string) => (failure: S3Failure) => NotImplementedByEndpoint | StoreError

/** 404 NoSuchVersion/NoSuchKey, and 400 for a malformed version id, all mean "no such version". */
const isMissingVersion = (failure: S3Failure) =>
  failure.kind === "NotFound" ||
  failure.code === "NoSuchVersion" ||
  (failure.status === 400 && failure.code === "InvalidArgument")

export const makeVersions = (Bucket: string, send: Send, readBucket: ReadBucket, toError: ToError) => {
  const missing = (key: string, versionId: string) => (failure: S3Failure) =>
    isMissingVersion(failure)
      ? new VersionNotFound({ key, versionId, reason: "does not exist" })
      : toError(key)(failure)

  const getVersioningConfiguration: Shape["getVersioningConfiguration"] = Effect.fn(
    "BucketAdmin.getVersioningConfiguration"
  )(function* () {
    // A signed GET read by bucketXml.ts, not the SDK: `stats` asks for it in every run.
    return yield* readBucket("GetBucketVersioning", { versioning: "" }, parseVersioning).pipe(
      Effect.mapError(toError())
    )
  })

  const putVersioning: Shape["putVersioning"] = Effect.fn("BucketAdmin.putVersioning")(function* (status) {
    yield* send("PutBucketVersioning", (c, abortSignal) =>
      c.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: status } }), { abortSignal })
    ).pipe(Effect.mapError(toError()))
  })

  const getVersion: Shape["getVersion"] = Effect.fn("BucketAdmin.getVersion")(function* (key, versionId) {
    const valid = yield* Keys.make(key)
    const output = yield* send("GetObject", (c, abortSignal) =>
      c.send(new GetObjectCommand({ Bucket, Key: valid, VersionId: versionId }), { abortSignal })
    ).pipe(Effect.mapError(missing(valid, versionId)))
    const body = output.Body
    if (body === undefined) return yield* new VersionNotFound({ key, versionId, reason: "has no body" })
    const result: GetResult = {
      info: objectInfo(valid, output),
      body: Stream.fromReadableStream({
        evaluate: () => body.transformToWebStream() as ReadableStream<Uint8Array>,
        onError: (cause) =>
          new TransportError({
            operation: "GetObject",
            detail: `the download of version ${versionId} of "${valid}" broke: ${String(cause)}`,
            cause
          })
      }),
      range: undefined
    }
    return result
  })

  /** The key's versions and markers (its own, not those of longer keys that share the prefix). */
  const versionsOf = (key: string) =>
    send("ListObjectVersions", (c, abortSignal) =>
      c.send(new ListObjectVersionsCommand({ Bucket, Prefix: key }), { abortSignal })
    ).pipe(
      Effect.map((page) => ({
        versions: (page.Versions ?? []).filter((v) => v.Key === key),
        markers: (page.DeleteMarkers ?? []).filter((m) => m.Key === key)
      })),
      Effect.mapError(toError(key))
    )

  /**
   * A server-side CopyObject of `key` (a version of it, when given) in `sourceBucket` to `options.to`
   * (else the same key) in this bucket: bytes, headers, metadata and tags as they are.
   */
  const serverCopy = Effect.fnUntraced(function* (
    sourceBucket: string,
    key: string,
    versionId: string | undefined,
    options: CopyVersionOptions
  ) {
    const source = yield* Keys.make(key)
    const target = yield* Keys.make(options.to ?? key)
    const condition =
      options.ifMatch !== undefined
        ? `If-Match: ${options.ifMatch}`
        : options.ifNoneMatch !== undefined
          ? "If-None-Match: *"
          : undefined
    if (condition !== undefined) {
      // CopyObject's conditions are atomic on AWS but ignored by Ceph RGW: checked first everywhere.
      const current = yield* headObject(send, Bucket, target).pipe(
        Effect.map((info) => info.etag),
        Effect.catchTag("ObjectNotFound", () => Effect.succeed(undefined))
      )
      const holds =
        options.ifMatch !== undefined
          ? current !== undefined && current === unquote(options.ifMatch)
          : current === undefined
      if (!holds) return yield* new PreconditionFailed({ key: target, condition })
    }
    const version = versionId === undefined ? "" : `?versionId=${encodeURIComponent(versionId)}`
    const output = yield* send("CopyObject", (c, abortSignal) =>
      c.send(
        new CopyObjectCommand({
          Bucket,
          Key: target,
          CopySource: `${escapeUri(sourceBucket)}/${encodeKeyPath(source)}${version}`,
          MetadataDirective: "COPY",
          TaggingDirective: "COPY",
          ...(options.ifMatch === undefined ? {} : { IfMatch: `"${unquote(options.ifMatch)}"` }),
          ...(options.ifNoneMatch === undefined ? {} : { IfNoneMatch: "*" })
        }),
        { abortSignal }
      )
    ).pipe(
      Effect.mapError((failure) =>
        failure.kind === "PreconditionFailed" || failure.kind === "Conflict"
          ? new PreconditionFailed({ key: target, condition: condition ?? failure.code })
          : versionId === undefined
            ? failure.kind === "NotFound"
              ? new ObjectNotFound({ key: `${sourceBucket}/${key}` })
              : toError(target)(failure)
            : // A delete marker cannot be copied: S3 answers 400 InvalidRequest.
              isMissingVersion(failure) || failure.code === "InvalidRequest"
              ? new VersionNotFound({ key, versionId, reason: "does not exist or is a delete marker" })
              : toError(target)(failure)
      )
    )
    const etag = unquote(output.CopyObjectResult?.ETag)
    if (output.VersionId !== undefined && etag !== "")
      return { key: target, etag, versionId: output.VersionId === "null" ? undefined : output.VersionId }
    // Ceph RGW leaves the new version's id out of the copy's answer: read it back.
    const info = yield* headObject(send, Bucket, target).pipe(
      Effect.catchTag("ObjectNotFound", () =>
        Effect.fail(
          new TransportError({ operation: "CopyObject", detail: `"${target}" is missing right after the copy` })
        )
      )
    )
    return { key: target, etag: info.etag, versionId: info.versionId }
  })

  const copyVersion: Shape["copyVersion"] = Effect.fn("BucketAdmin.copyVersion")(function* (
    key,
    versionId,
    options = {}
  ) {
    // With a version id a missing source is VersionNotFound, never ObjectNotFound.
    return yield* serverCopy(Bucket, key, versionId, options).pipe(Effect.catchTag("ObjectNotFound", Effect.die))
  })

  const copyFromBucket: Shape["copyFromBucket"] = Effect.fn("BucketAdmin.copyFromBucket")(function* (
    sourceBucket,
    key,
    options = {}
  ) {
    // Without a version id a missing source is ObjectNotFound, never VersionNotFound.
    return yield* serverCopy(sourceBucket, key, undefined, options).pipe(Effect.catchTag("VersionNotFound", Effect.die))
  })

  const removeDeleteMarker: Shape["removeDeleteMarker"] = Effect.fn("BucketAdmin.removeDeleteMarker")(
    function* (key, versionId) {
      const valid = yield* Keys.make(key)
      const { versions, markers } = yield* versionsOf(valid)
      if (!markers.some((m) => m.VersionId === versionId)) {
        const isVersion = versions.some((v) => v.VersionId === versionId)
        return yield* new VersionNotFound({
          key,
          versionId,
          reason: isVersion
            ? "is a version with data, not a delete marker (it is never deleted here)"
            : "does not exist"
        })
      }
      yield* send("DeleteObject", (c, abortSignal) =>
        c.send(new DeleteObjectCommand({ Bucket, Key: valid, VersionId: versionId }), { abortSignal })
      ).pipe(Effect.mapError(missing(valid, versionId)))
    }
  )

  return { getVersioningConfiguration, putVersioning, getVersion, copyVersion, copyFromBucket, removeDeleteMarker }
}
