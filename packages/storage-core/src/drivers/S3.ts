/**
 * The `s3` driver: AWS S3 and S3-compatible engines (Ceph RGW, MinIO, R2) by endpoint.
 *
 * - One S3Client per layer, made by its first SDK request (s3/sdk.ts), closed with it; the SDK's
 *   retries are off in favour of one Effect policy (s3/retry.ts); SDK errors become typed errors
 *   once (s3/errors.ts).
 * - put: PutObject below the multipart threshold, concurrent multipart above it, aborted on
 *   any failure or interruption (s3/upload.ts, s3/multipart.ts). A PutObject is a signed PUT
 *   (s3/putObject.ts, s3/sigv4.ts), over plain http on the store's raw keep-alive connections
 *   (s3/httpPool.ts, closed with the store's scope).
 * - presign: one reused SigV4 signer, no middleware stack (internal/s3Presign.ts).
 * - list: ListObjectsV2 signed and parsed here, not by the SDK, whose XML deserialiser costs as
 *   much CPU as the listing itself (internal/s3List.ts); same handler, credentials and retries.
 */
import type { CopyObjectRequest } from "@aws-sdk/client-s3"
import { Clock, Effect, Layer, Option, Stream } from "effect"
import { BucketAdmin } from "../BucketAdmin.js"
import {
  AccessDenied,
  type InvalidKey,
  ObjectNotFound,
  PreconditionFailed,
  StorageConfigError,
  type StoreError,
  TransportError
} from "../Errors.js"
import { CredentialsCache, type CredentialsProvider, credentialsProvider } from "../internal/credentials.js"
import { checkCopy, checkMetadata, checkWrite } from "../internal/objectRules.js"
import { storageContext } from "../internal/storageContext.js"
import * as Keys from "../Keys.js"
import {
  type CopyOptions,
  type DeleteOutcome,
  type DownloadOptions,
  type GetOptions,
  type ListEntry,
  type ListOptions,
  ObjectStore,
  type PresignedUrl,
  type PresignOptions,
  type PutBody,
  type PutOptions
} from "../ObjectStore.js"
import type { S3Options } from "../StorageConfig.js"
import { makeS3BucketAdmin } from "./s3/bucketAdmin.js"
import {
  endpointOf,
  makeAgents,
  makeAttempt,
  makeLazyClient,
  makeSend,
  maxSocketsFor,
  stallLimitsOf
} from "./s3/client.js"
import { get as download } from "./s3/download.js"
import { downloadFile } from "./s3/downloadFile.js"
import { asStoreError, asWriteError, classify, type S3Failure } from "./s3/errors.js"
import { makeHttpPool } from "./s3/httpPool.js"
import { makeBucketGet, makeListRequest, makeReadBucket } from "./s3/list.js"
import { MalformedXml, nextToken, parseListPage, peekNextToken } from "./s3/listXml.js"
import {
  ABORT_DEADLINE_MS,
  copyParts,
  MAX_COPY_OBJECT_SIZE,
  MAX_PART_SIZE,
  MIN_PART_SIZE,
  partSizeFor,
  runMultipart
} from "./s3/multipart.js"
import { encodeMetadata, encodeTags, pageEntries, writeHeaders } from "./s3/objects.js"
import { bucketAddress, encodeKeyPath, escapeUri, makePresigner, presignLifetime } from "./s3/presign.js"
import { makePutSmall } from "./s3/putObject.js"
import { CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectTaggingCommand } from "./s3/sdk.js"
import { makeSendSigned, makeSigner } from "./s3/signedRequest.js"
import { makePutSigner } from "./s3/sigv4.js"
import { ensureTags, headObject, put as upload } from "./s3/upload.js"

/** Tests shorten the retry policy's base delay with it. */
export { RetryBaseDelay } from "./s3/retry.js"

/** DeleteObjects takes at most 1,000 keys a request. */
export const DELETE_BATCH = 1000
/** The range of one UploadPartCopy in a copy above 5 GiB (raised so the copy fits in 10,000 parts). */
export const COPY_PART_SIZE = 64 * 1024 * 1024
/** ListObjectsV2 returns at most 1,000 keys a page. */
export const MAX_PAGE_SIZE = 1000

/** Knobs for tests: not configuration. */
export interface S3Internals {
  /** Where the credentials come from (default: the options' static credentials, profile or chain). */
  readonly credentials?: CredentialsProvider
  /** Sources larger than this are copied with UploadPartCopy (default 5 GiB, CopyObject's limit). */
  readonly multipartCopyAbove?: number
  /** The preferred range of one UploadPartCopy (default 64 MiB: server-side copies need no small parts). */
  readonly multipartCopyPartSize?: number
  /** The range of one GET of `download` (default: the part size, 16–64 MiB). */
  readonly downloadRangeBytes?: number
}

/** `download`'s ranged GETs at once: on 2 cores more connections only add CPU (the bench measures it). */
const DOWNLOAD_STREAMS = 4
const MiB = 1024 * 1024

/** A failed upload's abort gets the idle timeout, at most ABORT_DEADLINE_MS: short, and never the whole retry budget. */
const abortDeadlineMs = (config: S3Options) => Math.min(stallLimitsOf(config).idleTimeoutMs, ABORT_DEADLINE_MS)

const invalid = (setting: string, reason: string) => Effect.fail(new StorageConfigError({ setting, reason }))

const checkOptions = (options: S3Options): Effect.Effect<void, StorageConfigError> => {
  if (options.bucket.length < 3) return invalid("bucket", "an S3 bucket name has at least 3 characters")
  if (options.partSize < MIN_PART_SIZE || options.partSize > MAX_PART_SIZE)
    return invalid("partSize", "must be between 5 MiB (5242880) and 5 GiB")
  if (options.multipartThreshold < MIN_PART_SIZE)
    return invalid("multipartThreshold", "must be at least 5 MiB (5242880), S3's smallest part")
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1 || options.concurrency > 64)
    return invalid("concurrency", "must be an integer from 1 to 64")
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1)
    return invalid("maxAttempts", "must be an integer of at least 1")
  for (const [setting, ms] of [
    ["idleTimeoutMs", options.idleTimeoutMs],
    ["connectTimeoutMs", options.connectTimeoutMs]
  ] as const) {
    if (ms !== undefined && (!Number.isFinite(ms) || ms < 100)) return invalid(setting, "must be at least 100 ms")
  }
  if (options.endpoint !== undefined && !URL.canParse(options.endpoint))
    return invalid("endpoint", `${JSON.stringify(options.endpoint)} is not a URL`)
  return Effect.void
}

/** Builds the s3 ObjectStore and BucketAdmin over one client, which lives as long as the surrounding scope. */
export const makeServices = Effect.fnUntraced(function* (config: S3Options, internals: S3Internals = {}) {
  yield* checkOptions(config)
  const { bucket } = config
  const credentials = new CredentialsCache(internals.credentials ?? credentialsProvider(config))
  const agents = makeAgents(config)
  const sign = makeSigner(config, credentials)
  // The SDK client is made (and the SDK and its HTTP handler loaded) by the first request that needs it (s3/sdk.ts).
  const client = yield* Effect.acquireRelease(
    Effect.sync(() => makeLazyClient(config, credentials, agents)),
    (client) => Effect.sync(() => client.destroy())
  )
  const endpoint = endpointOf(config)
  const address = bucketAddress(config)
  // Single-part puts and signed GETs go on raw keep-alive connections (s3/httpPool.ts).
  const pool = yield* Effect.acquireRelease(
    Effect.sync(() =>
      makeHttpPool({
        tls: address.protocol === "https:",
        host: address.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: address.port ?? (address.protocol === "https:" ? 443 : 80),
        maxSockets: maxSocketsFor(config.concurrency),
        limits: stallLimitsOf(config),
        endpoint: address.origin
      })
    ),
    (pool) => Effect.sync(() => pool.close())
  )
  const attempt = makeAttempt(config.maxAttempts, endpoint)
  const send = makeSend(client, attempt)
  const transport = { pool }
  const sendSigned = makeSendSigned(config, transport, credentials)
  const bucketGet = makeBucketGet(sendSigned)
  const listRequest = makeListRequest(bucketGet)
  const readBucket = makeReadBucket(attempt, bucketGet)
  const presigner = makePresigner(config)
  const uploads = {
    send,
    attempt,
    putSmall: makePutSmall({ sign: makePutSigner(config, credentials), ...transport }),
    bucket,
    multipartThreshold: config.multipartThreshold,
    partSize: config.partSize,
    concurrency: config.concurrency,
    checksums: config.checksums,
    abortDeadlineMs: abortDeadlineMs(config)
  }
  const multipartCopyAbove = internals.multipartCopyAbove ?? MAX_COPY_OBJECT_SIZE
  const storeError = (key?: string) => asStoreError(bucket, key)

  const head = Effect.fn("ObjectStore.head")(function* (key: string) {
    return yield* headObject(send, bucket, yield* Keys.make(key))
  })

  const exists = Effect.fn("ObjectStore.exists")(function* (key: string) {
    return yield* head(key).pipe(
      Effect.as(true),
      Effect.catchTag("ObjectNotFound", () => Effect.succeed(false))
    )
  })

  const put = Effect.fn("ObjectStore.put")(function* (key: string, body: PutBody, options: PutOptions = {}) {
    const valid = yield* Keys.make(key)
    yield* checkWrite(valid, options)
    return yield* upload(uploads, valid, body, options)
  })

  const downloads = { send, bucket, partSize: config.partSize, concurrency: config.concurrency }
  const get = Effect.fn("ObjectStore.get")(function* (key: string, options: GetOptions = {}) {
    return yield* download(downloads, yield* Keys.make(key), options)
  })

  const files = {
    sign,
    limits: stallLimitsOf(config),
    endpoint: bucketAddress(config).origin,
    bucket,
    maxAttempts: config.maxAttempts,
    rangeBytes: internals.downloadRangeBytes ?? Math.min(64 * MiB, Math.max(16 * MiB, config.partSize)),
    streams: Math.min(DOWNLOAD_STREAMS, config.concurrency)
  }
  const downloadTo = Effect.fn("ObjectStore.download")(function* (
    key: string,
    path: string,
    options: DownloadOptions = {}
  ) {
    // Ranged GETs straight from their connections into the file.
    return yield* downloadFile(files, yield* Keys.make(key), path, options)
  })

  const list = (options: ListOptions = {}): Stream.Stream<ListEntry, InvalidKey | StoreError> =>
    Stream.unwrap(
      Effect.gen(function* () {
        const prefix = yield* Effect.fromResult(Keys.validatePrefix(options.prefix ?? ""))
        // Any string, as S3 takes it; a lone surrogate reads as U+FFFD, as the fs driver compares it.
        const startAfter = options.startAfter?.replace(/[\uD800-\uDFFF]/gu, "\uFFFD")
        const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(options.pageSize ?? MAX_PAGE_SIZE)))
        // Not through the SDK client (s3/list.ts), but through the same door: retries, errors.
        const fetch = (token: string | undefined) =>
          attempt("ListObjectsV2", (abortSignal) =>
            listRequest(
              {
                maxKeys: pageSize,
                prefix,
                delimiter: options.delimiter,
                startAfter: token === undefined ? startAfter : undefined,
                continuationToken: token
              },
              abortSignal
            )
          ).pipe(Effect.mapError(storeError()))
        const parse = (xml: string) =>
          Effect.try({
            try: () => {
              const page = parseListPage(xml)
              if (nextToken(page) !== peekNextToken(xml)) throw new MalformedXml("NextContinuationToken read two ways")
              return page
            },
            catch: (error) => storeError()(classify("ListObjectsV2", error, endpoint))
          })
        // From the second page on, each answer's token is read from its text and the next request
        // sent before the page is parsed and consumed (one page ahead at most). Not for the first:
        // a caller that reads one page (Listing's ranges) would pay a request it never reads.
        const rest = (token: string) =>
          Stream.paginate(token, (current) =>
            Effect.map(fetch(current), (xml) => [[xml], Option.fromUndefinedOr(peekNextToken(xml))] as const)
          ).pipe(
            Stream.bufferArray({ capacity: 1 }),
            Stream.flatMap((xml) => Stream.fromArrayEffect(Effect.map(parse(xml), pageEntries)))
          )
        return Stream.unwrap(
          Effect.map(Effect.flatMap(fetch(undefined), parse), (page) => {
            const next = nextToken(page)
            const first = Stream.fromArray(pageEntries(page))
            return next === undefined ? first : Stream.concat(first, rest(next))
          })
        )
      })
    )

  const copy = Effect.fn("ObjectStore.copy")(function* (from: string, to: string, options: CopyOptions = {}) {
    const source = yield* Keys.make(from)
    const target = yield* Keys.make(to)
    yield* checkCopy(source, target, options.replace)
    if (options.replace !== undefined) yield* checkMetadata(target, options.replace.metadata)
    const current = yield* head(source)
    const condition = options.ifNoneMatch === undefined ? undefined : `If-None-Match: ${options.ifNoneMatch}`
    if (options.ifNoneMatch !== undefined && (yield* exists(target))) {
      // CopyObject's If-None-Match is atomic on AWS but ignored by RGW: check first everywhere.
      return yield* new PreconditionFailed({ key: target, condition: condition ?? "" })
    }
    // With `replace` the copy is described by it alone, as a put would be; otherwise by the source.
    const replace = options.replace
    const headers =
      replace === undefined
        ? {
            ContentType: current.contentType,
            CacheControl: current.cacheControl,
            ContentDisposition: current.contentDisposition,
            Metadata: encodeMetadata(current.metadata)
          }
        : writeHeaders(replace)
    const copySource = `${escapeUri(bucket)}/${encodeKeyPath(source)}`
    const copyError = (failure: S3Failure): ObjectNotFound | PreconditionFailed | StoreError => {
      if (failure.code === "NoSuchKey") return new ObjectNotFound({ key: source })
      if (failure.operation === "UploadPartCopy" && failure.kind === "PreconditionFailed") {
        // The ranges are pinned to the source's ETag: it was replaced mid-copy.
        return new TransportError({
          operation: "copy",
          detail: `"${source}" was replaced during the copy; nothing was written, try again`
        })
      }
      return asWriteError(bucket, target, condition)(failure)
    }
    // The source's tags, where the copy might not carry them: RGW drops them with REPLACE, and
    // UploadPartCopy never copies them.
    const sourceTags =
      replace !== undefined || current.size > multipartCopyAbove
        ? yield* send("GetObjectTagging", (client, abortSignal) =>
            client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: source }), { abortSignal })
          ).pipe(
            Effect.map((out) => Object.fromEntries((out.TagSet ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""]))),
            Effect.mapError(storeError(source))
          )
        : undefined
    if (current.size <= multipartCopyAbove) {
      // One server-side CopyObject copies whatever version is current, atomically.
      const input: CopyObjectRequest = {
        Bucket: bucket,
        Key: target,
        CopySource: copySource,
        ...(options.ifNoneMatch === undefined ? {} : { IfNoneMatch: options.ifNoneMatch }),
        ...(replace === undefined
          ? { MetadataDirective: "COPY" }
          : { MetadataDirective: "REPLACE", ...defined(headers) })
      }
      yield* send("CopyObject", (client, abortSignal) =>
        client.send(new CopyObjectCommand(input), { abortSignal })
      ).pipe(Effect.mapError(copyError))
      yield* ensureTags(send, bucket, target, sourceTags)
    } else {
      // Above 5 GiB CopyObject refuses: copy in ranges with UploadPartCopy.
      const tagging = encodeTags(sourceTags)
      const multipart = {
        send,
        bucket,
        key: target,
        concurrency: config.concurrency,
        abortDeadlineMs: abortDeadlineMs(config)
      }
      const partSize = partSizeFor(current.size, internals.multipartCopyPartSize ?? COPY_PART_SIZE)
      yield* runMultipart(
        multipart,
        { ...defined(headers), ...(tagging === undefined ? {} : { Tagging: tagging }) },
        copyParts(multipart, copySource, current.etag, current.size, partSize),
        options.ifNoneMatch === undefined ? {} : { IfNoneMatch: options.ifNoneMatch }
      ).pipe(Effect.mapError(copyError))
      yield* ensureTags(send, bucket, target, sourceTags)
    }
    return yield* head(target)
  })

  const remove = Effect.fn("ObjectStore.delete")(function* (key: string) {
    const valid = yield* Keys.make(key)
    yield* send("DeleteObject", (client, abortSignal) =>
      client.send(new DeleteObjectCommand({ Bucket: bucket, Key: valid }), { abortSignal })
    ).pipe(
      Effect.asVoid,
      Effect.catchIf(
        (failure: S3Failure) => failure.kind === "NotFound",
        () => Effect.void
      ),
      Effect.mapError(storeError(valid))
    )
  })

  /** One key alone, when its batch was refused as a whole: its own outcome, whatever happens to it. */
  const deleteAlone = (key: string): Effect.Effect<DeleteOutcome> =>
    remove(key).pipe(
      Effect.match({
        onSuccess: (): DeleteOutcome => ({ key, deleted: true }),
        onFailure: (error): DeleteOutcome => ({ key, deleted: false, code: error._tag, message: error.message })
      })
    )

  const deleteBatch = (keys: ReadonlyArray<string>): Effect.Effect<Map<string, DeleteOutcome>, StoreError> =>
    send("DeleteObjects", (client, abortSignal) =>
      client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: false }
        }),
        { abortSignal }
      )
    ).pipe(
      Effect.map((out) => {
        const outcomes = new Map<string, DeleteOutcome>()
        for (const deleted of out.Deleted ?? []) {
          if (deleted.Key !== undefined) outcomes.set(deleted.Key, { key: deleted.Key, deleted: true })
        }
        for (const error of out.Errors ?? []) {
          if (error.Key === undefined) continue
          outcomes.set(error.Key, {
            key: error.Key,
            deleted: false,
            code: error.Code ?? "Unknown",
            message: error.Message ?? "the store gave no reason"
          })
        }
        return outcomes
      }),
      // A batch refused for its content (400: a key the engine's XML parser chokes on) must not
      // fail its other keys: each is then deleted on its own, with its own outcome.
      Effect.catchIf(
        (failure: S3Failure) => failure.kind === "Other" && failure.status === 400,
        () =>
          Effect.map(
            Effect.forEach(keys, deleteAlone, { concurrency: config.concurrency }),
            (outcomes) => new Map(outcomes.map((outcome) => [outcome.key, outcome]))
          )
      ),
      Effect.mapError(storeError())
    )

  const deleteMany = Effect.fn("ObjectStore.deleteMany")(function* (keys: ReadonlyArray<string>) {
    for (const key of keys) yield* Keys.make(key)
    const unique = [...new Set(keys)]
    const batches: Array<ReadonlyArray<string>> = []
    for (let i = 0; i < unique.length; i += DELETE_BATCH) batches.push(unique.slice(i, i + DELETE_BATCH))
    const results = yield* Effect.forEach(batches, deleteBatch, { concurrency: config.concurrency })
    const outcomes = new Map<string, DeleteOutcome>()
    for (const result of results) for (const [key, outcome] of result) outcomes.set(key, outcome)
    return keys.map(
      (key): DeleteOutcome =>
        outcomes.get(key) ?? {
          key,
          deleted: false,
          code: "NoResult",
          message: "DeleteObjects did not report this key"
        }
    )
  })

  // Untraced, unlike the other methods: signing is microseconds of CPU and no I/O, pages sign
  // hundreds of URLs at a time, and a span with its stack capture would cost more than the signature.
  const presign = Effect.fnUntraced(function* (key: string, options: PresignOptions) {
    const valid = yield* Keys.make(key)
    const resolved =
      credentials.fresh() ??
      (yield* Effect.tryPromise({
        try: credentials.get,
        catch: (cause) =>
          new AccessDenied({ operation: "presign", key: valid, detail: `no usable AWS credentials: ${String(cause)}` })
      }))
    const now = yield* Clock.currentTimeMillis
    const lifetime = presignLifetime(options.expiresIn, now, resolved.expiration)
    if (lifetime < 1) {
      return yield* new AccessDenied({
        operation: "presign",
        key: valid,
        detail: `the credentials expired at ${resolved.expiration?.toISOString()}`
      })
    }
    const signingDate = new Date(Math.floor(now / 1000) * 1000)
    const signed = yield* Effect.tryPromise({
      try: () =>
        presigner.presign({
          method: options.method,
          key: valid,
          expiresIn: lifetime,
          contentType: options.method === "PUT" ? options.contentType : undefined,
          now: signingDate,
          credentials: resolved
        }),
      catch: (cause) => new TransportError({ operation: "presign", detail: `could not sign: ${String(cause)}`, cause })
    })
    return {
      url: signed.url,
      method: options.method,
      expiresAt: new Date(signingDate.getTime() + lifetime * 1000),
      headers: signed.headers
    } satisfies PresignedUrl
  })

  const store = ObjectStore.of({
    driver: "s3",
    location: `s3://${bucket}`,
    loopback: config.endpoint !== undefined && isLoopback(new URL(config.endpoint).hostname),
    put,
    get,
    download: downloadTo,
    head,
    exists,
    list,
    copy,
    delete: remove,
    deleteMany,
    presign
  })
  return { store, admin: BucketAdmin.of(makeS3BucketAdmin(config, send, readBucket)) }
})

/** The s3 ObjectStore alone (its client closes with the scope). */
export const make = (config: S3Options, internals: S3Internals = {}) =>
  Effect.map(makeServices(config, internals), (services) => services.store)

/** ObjectStore and BucketAdmin of the s3 driver, sharing one client (see StorageConfig for the variables). */
export const layer = (options: S3Options): Layer.Layer<ObjectStore | BucketAdmin, StorageConfigError> =>
  Layer.effectContext(Effect.map(makeServices(options), storageContext))

/** `localhost`, 127.0.0.0/8 or ::1 (as URL hostnames spell them). */
const isLoopback = (hostname: string): boolean =>
  hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname)

/** Drops undefined fields (the SDK would send nothing for them anyway; exactOptionalPropertyTypes wants them gone). */
const defined = <A extends Record<string, unknown>>(record: A): { [K in keyof A]?: Exclude<A[K], undefined> } =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as {
    [K in keyof A]?: Exclude<A[K], undefined>
  }
