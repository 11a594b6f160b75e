/**
 * A bucket configuration S3 keeps per id — intelligent tiering, request metrics — as list (all
 * pages), put and delete over the s3 driver's `send`. Deleting an id that is not there succeeds:
 * applying a plan twice converges.
 */
import type { S3Client } from "@aws-sdk/client-s3"
import { Effect, Option, Stream } from "effect"
import type { NotImplementedByEndpoint, StoreError } from "../../Errors.js"
import type { Send } from "./client.js"
import type { S3Failure } from "./errors.js"

export type ToError = (key?: string) => (failure: S3Failure) => NotImplementedByEndpoint | StoreError

interface Page<C> {
  readonly configurations: ReadonlyArray<C>
  readonly next: string | undefined
}

export interface IdConfigurationApi<C> {
  /** `IntelligentTiering`, `Metrics`: names the S3 operations (`ListBucket…Configurations`) in errors and spans. */
  readonly kind: string
  readonly list: (client: S3Client, signal: AbortSignal, token: string | undefined) => Promise<Page<C>>
  readonly put: (client: S3Client, signal: AbortSignal, configuration: C) => Promise<unknown>
  readonly delete: (client: S3Client, signal: AbortSignal, id: string) => Promise<unknown>
}

/** The next page's token, when S3 says there is one. */
export const nextToken = (page: { IsTruncated?: boolean | undefined; NextContinuationToken?: string | undefined }) =>
  page.IsTruncated === true ? page.NextContinuationToken : undefined

export const makeIdConfigurations = <C>(api: IdConfigurationApi<C>, send: Send, toError: ToError) => {
  const operation = (verb: string) => `${verb}Bucket${api.kind}Configuration${verb === "List" ? "s" : ""}`

  const list = Effect.fn(`BucketAdmin.get${api.kind}Configurations`)(function* () {
    const pages = Stream.paginate(undefined as string | undefined, (token) =>
      send(operation("List"), (client, signal) => api.list(client, signal, token)).pipe(
        Effect.map((page) => [page.configurations, Option.fromUndefinedOr(page.next)] as const)
      )
    )
    return yield* Stream.runCollect(pages).pipe(Effect.mapError(toError()))
  })

  const put = Effect.fn(`BucketAdmin.put${api.kind}Configuration`)(function* (configuration: C) {
    yield* send(operation("Put"), (client, signal) => api.put(client, signal, configuration)).pipe(
      Effect.mapError(toError())
    )
  })

  const remove = Effect.fn(`BucketAdmin.delete${api.kind}Configuration`)(function* (id: string) {
    yield* send(operation("Delete"), (client, signal) => api.delete(client, signal, id)).pipe(
      Effect.catchIf(
        (failure) => failure.code === "NoSuchConfiguration",
        () => Effect.void
      ),
      Effect.mapError(toError())
    )
  })

  return { list, put, delete: remove }
}
