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

/** How many verified URLs `accepts` remembers (the oldest is forgotten first). */
const VERIFIED_URLS = 4096

/**
 * The signed URLs whose signature `accepts` has already checked, with their expiry: a URL is
 * typically fetched many times (a photo's URL on a page every visitor loads), and its HMAC is
 * the largest cost of a small download after the file's reads. Only exact repeats of a URL that
 * verified are answered from it (its expiry is still checked); anything else is verified. The
 * fields of a verified URL hold no "\n" (keys, the digits of `expires`, base64url), so the
 * joined fields name one URL only.
 */
const verifiedUrls = () => {
  const urls = new Map<string, number>()
  return {
    get: (id: string) => urls.get(id),
    set: (id: string, expiresAt: number) => {
      if (urls.size >= VERIFIED_URLS) urls.delete(urls.keys().next().value!)
      urls.set(id, expiresAt)
    }
  }
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
        const verified = verifiedUrls()
        return SignedUrls.of({
          accepts: (request) => {
            const now = Date.now()
            const id = [request.method, request.key, request.expires, request.sig, request.contentType ?? ""].join("\n")
            const expiresAt = verified.get(id)
            if (expiresAt !== undefined && now <= expiresAt) return true
            const verdict = check(request, new Date(now))
            if (verdict._tag !== "Valid") return false
            verified.set(id, verdict.expiresAt.getTime())
            return true
          },
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
