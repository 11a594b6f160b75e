/**
 * Verifies the fs driver's signed URLs (storage-core's SignedUrl), with the driver's secret
 * (`Fs.signingSecret`: LOCALEX_STORAGE_SIGNING_SECRET, else the one kept in the data folder).
 * With the s3 driver, signed URLs point at S3 itself and this server serves none.
 */
import { SignedUrl, type StorageConfigError, type StorageSettings } from "@localex/storage-core"
import { signingSecret } from "@localex/storage-core/fs"
import { Clock, Context, Effect, Layer } from "effect"
import { Forbidden, NotFound } from "./Problems.js"

export interface SignedRequest {
  readonly key: string
  readonly method: SignedUrl.Method
  readonly expires: string
  readonly sig: string
  readonly contentType?: string | undefined
}

export class SignedUrls extends Context.Service<
  SignedUrls,
  {
    /** Succeeds with the URL's expiry when the signature holds for this key and method and has not expired. */
    readonly verify: (request: SignedRequest) => Effect.Effect<Date, Forbidden | NotFound>
    /** Whether `verify` would succeed now, without the Effect runtime (the download fast path: fastDownload.ts). */
    readonly accepts: (request: SignedRequest) => boolean
  }
>()("@localex/http/SignedUrls") {
  static readonly layer = (settings: StorageSettings): Layer.Layer<SignedUrls, StorageConfigError> =>
    Layer.effect(
      SignedUrls,
      Effect.gen(function* () {
        if (settings.driver !== "fs") {
          return SignedUrls.of({
            verify: () =>
              Effect.fail(new NotFound({ detail: "This server serves signed URLs only with the fs driver" })),
            accepts: () => false
          })
        }
        const secret = yield* signingSecret(settings)
        // A PUT URL signed for a Content-Type needs exactly it; one signed without accepts any.
        const check = (request: SignedRequest, now: Date) =>
          SignedUrl.verify({
            secret,
            key: request.key,
            method: request.method,
            expires: request.expires,
            sig: request.sig,
            now,
            ...(request.contentType === undefined ? {} : { contentType: request.contentType })
          })
        return SignedUrls.of({
          accepts: (request) => check(request, new Date())._tag === "Valid",
          verify: (request) =>
            Effect.gen(function* () {
              const verdict = check(request, new Date(yield* Clock.currentTimeMillis))
              switch (verdict._tag) {
                case "Valid":
                  return verdict.expiresAt
                case "Expired":
                  return yield* new Forbidden({
                    detail: `This signed URL expired at ${verdict.expiredAt.toISOString()}: ask for a new one`
                  })
                case "BadSignature":
                  return yield* new Forbidden({
                    detail:
                      request.method === "PUT"
                        ? `The signature does not match this PUT of "${request.key}" with ${request.contentType === undefined ? "no Content-Type" : `Content-Type "${request.contentType}"`}: check the URL, and send the Content-Type it was signed for, if any`
                        : `The signature does not match this GET of "${request.key}"`
                  })
              }
            })
        })
      })
    )
}
