/**
 * The HTTP app's settings, read from the environment in this one place (storage settings are
 * storage-core's: LOCALEX_STORAGE_*, AWS_*; with the fs driver, LOCALEX_STORAGE_PUBLIC_URL
 * defaults to this server's own URL).
 *
 * | variable                        | default       | meaning                                          |
 * | ------------------------------- | ------------- | ------------------------------------------------ |
 * | LOCALEX_HTTP_PORT               | 8080          | port to listen on (0: any free port)             |
 * | LOCALEX_HTTP_HOST               | 127.0.0.1     | interface to listen on (0.0.0.0: every one)      |
 * | LOCALEX_HTTP_MAX_UPLOAD_BYTES   | 25 MiB        | largest upload, bytes or "25 MiB"                |
 * | LOCALEX_HTTP_API_KEYS           | (dev key)     | `sha256hex:scope+scope,…` (see ApiKeys)          |
 * | LOCALEX_HTTP_SHUTDOWN_TIMEOUT   | 10 seconds    | how long SIGTERM waits for in-flight requests    |
 * | LOCALEX_HTTP_STATE_DIR          | .localex/http | the app's own files (the development key)        |
 * | LOCALEX_HTTP_CDN_BASE_URL       | (none)        | photo variant URLs: `<base>/<key>` (else signed) |
 * | LOCALEX_HTTP_STATS_TTL          | 60 seconds    | how long GET /v1/stats answers from its cache    |
 *
 * The photo routes' settings are image-processing's (IMAGE_*; IMAGE_MAX_INPUT_BYTES caps an upload).
 */
import { Config, Context, Duration, Effect, Layer, Option, Schema } from "effect"

export const MiB = 1024 * 1024

export interface HttpSettings {
  readonly port: number
  readonly host: string
  readonly maxUploadBytes: number
  /** The raw key list; parsed and checked by ApiKeys. */
  readonly apiKeys: Option.Option<string>
  readonly shutdownTimeout: Duration.Duration
  /** The app's own files (the generated development key), apart from the store's data. */
  readonly stateDir: string
  /** LOCALEX_HTTP_CDN_BASE_URL, without a trailing "/": photo variants are linked as `<base>/<key>` instead of signed URLs. */
  readonly cdnBaseUrl: Option.Option<string>
  /** LOCALEX_HTTP_STATS_TTL: how long a /v1/stats result is served from the cache (0: never cached). */
  readonly statsTtl: Duration.Duration
}

const bytes = Config.Int("LOCALEX_HTTP_MAX_UPLOAD_BYTES").pipe(
  Config.orElse(() => Config.ByteSize("LOCALEX_HTTP_MAX_UPLOAD_BYTES").pipe(Config.map(Number))),
  Config.withDefault(25 * MiB)
)

const timeout = Config.Int("LOCALEX_HTTP_SHUTDOWN_TIMEOUT").pipe(
  Config.map(Duration.seconds),
  Config.orElse(() => Config.Duration("LOCALEX_HTTP_SHUTDOWN_TIMEOUT")),
  Config.withDefault(Duration.seconds(10))
)

const statsTtl = Config.Int("LOCALEX_HTTP_STATS_TTL").pipe(
  Config.map(Duration.seconds),
  Config.orElse(() => Config.Duration("LOCALEX_HTTP_STATS_TTL")),
  Config.withDefault(Duration.seconds(60))
)

const settings = Config.all({
  port: Config.Int("LOCALEX_HTTP_PORT").pipe(Config.withDefault(8080)),
  host: Config.String("LOCALEX_HTTP_HOST").pipe(Config.withDefault("127.0.0.1")),
  maxUploadBytes: bytes,
  apiKeys: Config.option(Config.String("LOCALEX_HTTP_API_KEYS")),
  shutdownTimeout: timeout,
  stateDir: Config.String("LOCALEX_HTTP_STATE_DIR").pipe(Config.withDefault(".localex/http")),
  cdnBaseUrl: Config.option(Config.String("LOCALEX_HTTP_CDN_BASE_URL")),
  statsTtl
})

/** A setting that cannot work. */
export class HttpConfigError extends Schema.TaggedError<HttpConfigError>()("HttpConfigError", {
  setting: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Invalid setting ${this.setting}: ${this.reason}`
  }
}

export class HttpConfig extends Context.Service<HttpConfig, HttpSettings>()("@localex/http/HttpConfig") {
  static readonly layer = Layer.effect(
    HttpConfig,
    Effect.gen(function* () {
      const s = yield* settings.pipe(
        Effect.mapError((error) => new HttpConfigError({ setting: "environment", reason: error.message }))
      )
      if (s.port < 0 || s.port > 65535) {
        return yield* new HttpConfigError({ setting: "LOCALEX_HTTP_PORT", reason: `must be 0–65535, not ${s.port}` })
      }
      if (s.maxUploadBytes < 1) {
        return yield* new HttpConfigError({ setting: "LOCALEX_HTTP_MAX_UPLOAD_BYTES", reason: "must be at least 1" })
      }
      if (Option.isSome(s.cdnBaseUrl)) {
        const url = URL.parse(s.cdnBaseUrl.value)
        if (url === null || (url.protocol !== "https:" && url.protocol !== "http:") || url.search !== "") {
          return yield* new HttpConfigError({
            setting: "LOCALEX_HTTP_CDN_BASE_URL",
            reason: `must be an http(s) URL without a query, e.g. https://cdn.localex.example (got "${s.cdnBaseUrl.value}")`
          })
        }
      }
      return HttpConfig.of({ ...s, cdnBaseUrl: Option.map(s.cdnBaseUrl, (base) => base.replace(/\/+$/, "")) })
    })
  )
}
