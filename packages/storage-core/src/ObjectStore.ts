/**
 * ObjectStore: the one way LocalEx stores and reads bytes. Drivers: `s3` (AWS and any
 * S3-compatible engine) and `fs` (a local folder, the embedded default).
 *
 * Every method validates its keys first: an invalid key fails with `InvalidKey` before any I/O.
 */
import type { Effect, Stream } from "effect"
import { Context } from "effect"
import type {
  InvalidCopy,
  InvalidKey,
  InvalidMetadata,
  NotModified,
  ObjectNotFound,
  ObjectTooLarge,
  PreconditionFailed,
  RangeNotSatisfiable,
  StoreError,
  UnsupportedByDriver
} from "./Errors.js"

/** What a `put` stores: bytes, a stream of chunks, or a local file (streamed, never read whole). */
export type PutBody = Uint8Array | Stream.Stream<Uint8Array, unknown> | { readonly _tag: "File"; readonly path: string }

/** A local file as a `PutBody`. */
export const fromFile = (path: string): PutBody => ({ _tag: "File", path })

export interface TransferProgress {
  readonly key: string
  /** Bytes sent (put) or received (get) so far. */
  readonly loaded: number
  /** Total bytes, when known. */
  readonly total: number | undefined
}

export interface PutOptions {
  /** `application/octet-stream` when omitted. */
  readonly contentType?: string
  readonly cacheControl?: string
  readonly contentDisposition?: string
  /**
   * User metadata (x-amz-meta-*). Names: HTTP token characters (ASCII letters, digits,
   * ! # $ % & ' * + - . ^ _ ` | ~), stored lower-cased with "_" as "-". Values: any text, returned unchanged.
   */
  readonly metadata?: Readonly<Record<string, string>>
  /** Object tags, by S3's rules: at most 10; keys 1–128, values 0–256 of letters, digits, spaces and `_ . : / = + - @`. */
  readonly tags?: Readonly<Record<string, string>>
  /** Byte length of a streamed body when the caller knows it (lets the store pick single-part or multipart up front). */
  readonly contentLength?: number
  /** Refuse bodies larger than this many bytes with `ObjectTooLarge` (nothing is left stored). */
  readonly maxBytes?: number
  /** `"*"`: create only — fail with `PreconditionFailed` when the key exists. */
  readonly ifNoneMatch?: "*"
  /**
   * Compare-and-swap: write only if the current object has this ETag, else `PreconditionFailed`.
   * `"*"` matches any existing object (update only).
   */
  readonly ifMatch?: string
  /** Called as bytes are sent; for progress bars. */
  readonly onProgress?: (progress: TransferProgress) => void
}

export interface ObjectInfo {
  readonly key: string
  readonly size: number
  /** The store's ETag, without quotes. A multipart ETag ends in `-N` and is not an MD5 of the content. */
  readonly etag: string
  readonly lastModified: Date
  readonly contentType: string | undefined
  readonly cacheControl: string | undefined
  readonly contentDisposition: string | undefined
  readonly metadata: Readonly<Record<string, string>>
  readonly storageClass: string | undefined
  readonly versionId: string | undefined
}

export interface ByteRange {
  /** First byte, inclusive. */
  readonly start: number
  /** Last byte, inclusive; to the end when omitted. */
  readonly end?: number
}

export interface GetOptions {
  readonly range?: ByteRange
  /** Fails with `NotModified` when the object's ETag equals this one (`"abc"`, `abc` and `W/"abc"` alike; `*`: any object). */
  readonly ifNoneMatch?: string
  /** Fails with `NotModified` when the object was not modified after this date. */
  readonly ifModifiedSince?: Date
  readonly onProgress?: (progress: TransferProgress) => void
}

export interface GetResult {
  readonly info: ObjectInfo
  /** The bytes served: the whole object, or the requested range. */
  readonly body: Stream.Stream<Uint8Array, StoreError>
  /** Present when a range was requested: the bytes served (inclusive) and the object's full size. */
  readonly range: { readonly start: number; readonly end: number; readonly size: number } | undefined
}

export interface ListOptions {
  readonly prefix?: string
  /** Group keys by this delimiter (usually "/"): deeper keys come back as one `Prefix` entry each. */
  readonly delimiter?: string
  /**
   * Start after this string (exclusive), in UTF-8 byte order: any string, not only a key. A common
   * prefix that sorts at or before it is not listed (a listing resumed from its last entry repeats nothing).
   */
  readonly startAfter?: string
  /** Keys per page requested from the store (S3 caps this at 1,000). */
  readonly pageSize?: number
}

/** An object in a listing. */
export interface ObjectSummary {
  readonly _tag: "Object"
  readonly key: string
  readonly size: number
  readonly etag: string
  readonly lastModified: Date
  readonly storageClass: string | undefined
}

/** A common prefix ("folder") in a delimited listing. */
export interface CommonPrefix {
  readonly _tag: "Prefix"
  readonly prefix: string
}

export type ListEntry = ObjectSummary | CommonPrefix

export interface CopyOptions {
  /**
   * Replace content type, cache-control and metadata instead of copying them from the source (the
   * source's tags are kept either way). Required to copy an object onto itself (else `InvalidCopy`).
   */
  readonly replace?: Pick<PutOptions, "contentType" | "cacheControl" | "contentDisposition" | "metadata">
  readonly ifNoneMatch?: "*"
}

/** The outcome for one key of `deleteMany`. A key that did not exist counts as deleted (as on S3). */
export type DeleteOutcome =
  | { readonly key: string; readonly deleted: true }
  | { readonly key: string; readonly deleted: false; readonly code: string; readonly message: string }

export interface PresignOptions {
  readonly method: "GET" | "PUT"
  /** Seconds the URL stays valid: capped at 7 days and at the credentials' own expiry. Default 900. */
  readonly expiresIn?: number
  /** For PUT: the Content-Type the uploader must send. */
  readonly contentType?: string
}

export interface PresignedUrl {
  readonly url: string
  readonly method: "GET" | "PUT"
  readonly expiresAt: Date
  /** Headers the request must carry for the signature to hold (e.g. Content-Type on PUT). */
  readonly headers: Readonly<Record<string, string>>
}

export interface DownloadOptions {
  /** Called as bytes are written to the file (about once per MiB); for progress bars. */
  readonly onProgress?: (progress: TransferProgress) => void
}

/** `memory`: the in-memory store of the testing subpath. */
export type ObjectStoreDriver = "s3" | "fs" | "memory"

export class ObjectStore extends Context.Service<
  ObjectStore,
  {
    readonly driver: ObjectStoreDriver
    /** Where objects live: `s3://bucket` or `file:///root`. */
    readonly location: string
    /**
     * s3: the endpoint is this machine (a loopback address). Its requests cost CPU here, the
     * server's or this process's, not network waits: a listing gains nothing by fanning out.
     */
    readonly loopback?: boolean
    readonly put: (
      key: string,
      body: PutBody,
      options?: PutOptions
    ) => Effect.Effect<ObjectInfo, InvalidKey | InvalidMetadata | PreconditionFailed | ObjectTooLarge | StoreError>
    readonly get: (
      key: string,
      options?: GetOptions
    ) => Effect.Effect<GetResult, InvalidKey | ObjectNotFound | NotModified | RangeNotSatisfiable | StoreError>
    /**
     * Saves a whole object to a local file, replacing it. The bytes go to a temporary file beside
     * `path`, renamed over it at the end: on failure `path` is untouched and nothing is left. One
     * version is read even while a writer replaces the object (else the download fails).
     */
    readonly download: (
      key: string,
      path: string,
      options?: DownloadOptions
    ) => Effect.Effect<ObjectInfo, InvalidKey | ObjectNotFound | StoreError>
    readonly head: (key: string) => Effect.Effect<ObjectInfo, InvalidKey | ObjectNotFound | StoreError>
    readonly exists: (key: string) => Effect.Effect<boolean, InvalidKey | StoreError>
    /** Lazily pages through the store; memory stays flat however many keys there are. */
    readonly list: (options?: ListOptions) => Stream.Stream<ListEntry, InvalidKey | StoreError>
    readonly copy: (
      from: string,
      to: string,
      options?: CopyOptions
    ) => Effect.Effect<
      ObjectInfo,
      InvalidKey | InvalidMetadata | InvalidCopy | ObjectNotFound | PreconditionFailed | StoreError
    >
    /** Deletes one key; deleting a missing key succeeds. */
    readonly delete: (key: string) => Effect.Effect<void, InvalidKey | StoreError>
    /** Deletes in requests of at most 1,000 keys; one outcome per key, in input order. */
    readonly deleteMany: (
      keys: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyArray<DeleteOutcome>, InvalidKey | StoreError>
    readonly presign: (
      key: string,
      options: PresignOptions
    ) => Effect.Effect<PresignedUrl, InvalidKey | UnsupportedByDriver | StoreError>
  }
>()("@localex/storage-core/ObjectStore") {}

/** The longest a presigned URL may live (SigV4's limit): 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60

/** An `ObjectInfo` as plain JSON (ISO date, `null` for what is absent): what the CLI and the HTTP API print. */
export const objectInfoJson = (info: ObjectInfo) => ({
  key: info.key,
  size: info.size,
  etag: info.etag,
  lastModified: info.lastModified.toISOString(),
  contentType: info.contentType ?? null,
  cacheControl: info.cacheControl ?? null,
  contentDisposition: info.contentDisposition ?? null,
  metadata: info.metadata,
  storageClass: info.storageClass ?? null,
  versionId: info.versionId ?? null
})
