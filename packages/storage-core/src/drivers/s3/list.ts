/**
 * ListObjectsV2 without the SDK's command pipeline: one signed GET (signedRequest.ts) whose
 * answer the driver reads with the narrow parser of listXml.ts. Listing is the one hot read whose
 * cost is in the client: the SDK spends ~12 ms of CPU deserialising each 1,000-key page.
 *
 * The answer comes back as text, parsed by the caller: so the listing can send the next request
 * (its token read from the text, `peekNextToken`) before it parses this page.
 */
import type { Effect } from "effect"
import type { Attempt } from "./client.js"
import type { S3Failure } from "./errors.js"
import { EMPTY_SHA256, type SendSigned } from "./signedRequest.js"

export interface ListRequest {
  readonly maxKeys: number
  readonly prefix?: string | undefined
  readonly delimiter?: string | undefined
  readonly startAfter?: string | undefined
  readonly continuationToken?: string | undefined
}

/** One ListObjectsV2 request; resolves with the answer's XML. */
export type ListRequestFn = (request: ListRequest, abortSignal: AbortSignal) => Promise<string>

/** A signed GET on the bucket itself (`?versioning`, `?uploads`…); resolves with the answer's XML. */
export type BucketGet = (query: Record<string, string>, abortSignal: AbortSignal) => Promise<string>

export const makeBucketGet =
  (sendSigned: SendSigned): BucketGet =>
  async (query, abortSignal) => {
    const response = await sendSigned(
      { method: "GET", path: "", query, headers: {}, payloadHash: EMPTY_SHA256 },
      abortSignal
    )
    return response.body
  }

/** One signed GET on the bucket, its answer read by `read`, through the driver's door (retries, errors). */
export type ReadBucket = <A>(
  operation: string,
  query: Record<string, string>,
  read: (xml: string) => A
) => Effect.Effect<A, S3Failure>

export const makeReadBucket =
  (attempt: Attempt, bucketGet: BucketGet): ReadBucket =>
  (operation, query, read) =>
    attempt(operation, async (abortSignal) => read(await bucketGet(query, abortSignal)))

export const makeListRequest =
  (bucketGet: BucketGet): ListRequestFn =>
  (request, abortSignal) => {
    const query: Record<string, string> = {
      "list-type": "2",
      // Keys come back URL-encoded: XML cannot carry every character a key may hold.
      "encoding-type": "url",
      "max-keys": String(request.maxKeys)
    }
    if (request.prefix) query.prefix = request.prefix
    if (request.delimiter !== undefined) query.delimiter = request.delimiter
    if (request.startAfter) query["start-after"] = request.startAfter
    if (request.continuationToken !== undefined) query["continuation-token"] = request.continuationToken
    return bucketGet(query, abortSignal)
  }
