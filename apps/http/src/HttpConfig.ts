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
 * | LOCALEX_HTTP_API_KEYS_FILE      | (none)        | the key file, reloaded on change (see ApiKeys)   |
 * | LOCALEX_HTTP_API_KEYS_POLL      | 5 seconds     | how often the key file is stat'ed (fallback)     |
 * | LOCALEX_HTTP_SHUTDOWN_TIMEOUT   | 10 seconds    | how long SIGTERM waits for in-flight requests    |
 * | LOCALEX_HTTP_STATE_DIR          | .localex/http | the app's own files (the development key)        |
 * | LOCALEX_CDN_BASE_URL            | (none)        | photo variant URLs: `<base>/<key>` (else signed); alias LOCALEX_HTTP_CDN_BASE_URL |
 * | LOCALEX_HTTP_STATS_TTL          | 60 seconds    | how long GET /v1/stats answers from its cache    |
 * | LOCALEX_HTTP_MAX_BODY_BYTES     | 16 KiB        | largest body of a non-upload request (JSON)      |
 * | LOCALEX_HTTP_HEADERS_TIMEOUT    | 20 seconds    | to receive a request's headers                   |
 * | LOCALEX_HTTP_REQUEST_TIMEOUT    | 300 seconds   | to receive a whole request, body included        |
 * | LOCALEX_HTTP_IDLE_TIMEOUT       | 60 seconds    | a connection with no bytes either way is closed  |
 * | LOCALEX_HTTP_KEEP_ALIVE_TIMEOUT | 5 seconds     | an idle keep-alive connection is closed          |
 * | LOCALEX_HTTP_MAX_CONNECTIONS    | 1024          | connections over it are closed at once           |
 * | LOCALEX_HTTP_ACTIVE_CONTENT     | attachment    | HTML/SVG/XML/JS objects: attachment or inline    |
 * | LOCALEX_HTTP_CONTENT_CSP        | sandbox; …    | Content-Security-Policy of served objects        |
 * | LOCALEX_HTTP_MONTHLY_BUDGET_USD | (none)        | the dashboard's budget, against the estimate     |
 * | LOCALEX_HTTP_CLOUDWATCH_BUCKET  | (none)        | bucket whose CloudWatch alarms the dashboard shows |
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
  /** LOCALEX_HTTP_API_KEYS_FILE: the key file (@localex/security/api-keys), reloaded while the server runs. */
  readonly apiKeysFile: Option.Option<string>
  /** LOCALEX_HTTP_API_KEYS_POLL: how often the key file is stat'ed, besides change events. */
  readonly apiKeysPollInterval: Duration.Duration
  readonly shutdownTimeout: Duration.Duration
  /** The app's own files (the generated development key), apart from the store's data. */
  readonly stateDir: string
  /** LOCALEX_CDN_BASE_URL (alias LOCALEX_HTTP_CDN_BASE_URL), without a trailing "/": photo variants are linked as `<base>/<key>` instead of signed URLs. */
  readonly cdnBaseUrl: Option.Option<string>
  /** LOCALEX_HTTP_STATS_TTL: how long a /v1/stats result is served from the cache (0: never cached). */
  readonly statsTtl: Duration.Duration
  /** LOCALEX_HTTP_MAX_BODY_BYTES: the largest body of a request that is not an upload (refused with 413). */
  readonly maxBodyBytes: number
  readonly headersTimeout: Duration.Duration
  readonly requestTimeout: Duration.Duration
  readonly idleTimeout: Duration.Duration
  readonly keepAliveTimeout: Duration.Duration
  readonly maxConnections: number
  /** How stored objects of active types (HTML, SVG, XML, JavaScript) are served: as downloads, or inline. */
  readonly activeContent: "attachment" | "inline"
  /** The Content-Security-Policy of served objects ("" sends none). */
  readonly contentCsp: string
  /** LOCALEX_HTTP_MONTHLY_BUDGET_USD: the monthly budget the dashboard sets the cost estimate against. */
  readonly monthlyBudgetUsd: Option.Option<number>
  /** LOCALEX_HTTP_CLOUDWATCH_BUCKET: the bucket whose guide alarms (monitoring's Alarms) the dashboard shows. */
  readonly cloudwatchBucket: Option.Option<string>
}

/** Bytes, as a number (`26214400`) or with a unit (`25 MiB`). */
const bytes = (name: string, fallback: number) =>
  Config.Int(name).pipe(
    Config.orElse(() => Config.ByteSize(name).pipe(Config.map(Number))),
    Config.withDefault(fallback)
  )

/** A duration, in seconds (`30`) or with a unit (`30 seconds`, `5 minutes`). */
const seconds = (name: string, fallback: number) =>
  Config.Int(name).pipe(
    Config.map(Duration.seconds),
    Config.orElse(() => Config.Duration(name)),
    Config.withDefault(Duration.seconds(fallback))
  )

/** Sandboxed: a stored page runs no script and reaches nothing, even when opened from this origin. */
export const DEFAULT_CONTENT_CSP =
  "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"

const settings = Config.all({
  port: Config.Int("LOCALEX_HTTP_PORT").pipe(Config.withDefault(8080)),
  host: Config.String("LOCALEX_HTTP_HOST").pipe(Config.withDefault("127.0.0.1")),
  maxUploadBytes: bytes("LOCALEX_HTTP_MAX_UPLOAD_BYTES", 25 * MiB),
  apiKeys: Config.option(Config.String("LOCALEX_HTTP_API_KEYS")),
  apiKeysFile: Config.option(Config.String("LOCALEX_HTTP_API_KEYS_FILE")),
  apiKeysPollInterval: seconds("LOCALEX_HTTP_API_KEYS_POLL", 5),
  shutdownTimeout: seconds("LOCALEX_HTTP_SHUTDOWN_TIMEOUT", 10),
  stateDir: Config.String("LOCALEX_HTTP_STATE_DIR").pipe(Config.withDefault(".localex/http")),
  // The CDN package's name wins; LOCALEX_HTTP_CDN_BASE_URL stays as its alias.
  cdnBaseUrl: Config.option(
    Config.String("LOCALEX_CDN_BASE_URL").pipe(Config.orElse(() => Config.String("LOCALEX_HTTP_CDN_BASE_URL")))
  ),
  statsTtl: seconds("LOCALEX_HTTP_STATS_TTL", 60),
  maxBodyBytes: bytes("LOCALEX_HTTP_MAX_BODY_BYTES", 16 * 1024),
  headersTimeout: seconds("LOCALEX_HTTP_HEADERS_TIMEOUT", 20),
  requestTimeout: seconds("LOCALEX_HTTP_REQUEST_TIMEOUT", 300),
  idleTimeout: seconds("LOCALEX_HTTP_IDLE_TIMEOUT", 60),
  keepAliveTimeout: seconds("LOCALEX_HTTP_KEEP_ALIVE_TIMEOUT", 5),
  maxConnections: Config.Int("LOCALEX_HTTP_MAX_CONNECTIONS").pipe(Config.withDefault(1024)),
  activeContent: Config.Literals(["attachment", "inline"], "LOCALEX_HTTP_ACTIVE_CONTENT").pipe(
    Config.withDefault("attachment" as const)
  ),
  contentCsp: Config.String("LOCALEX_HTTP_CONTENT_CSP").pipe(Config.withDefault(DEFAULT_CONTENT_CSP)),
  monthlyBudgetUsd: Config.option(Config.Number("LOCALEX_HTTP_MONTHLY_BUDGET_USD")),
  cloudwatchBucket: Config.option(Config.String("LOCALEX_HTTP_CLOUDWATCH_BUCKET"))
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
      if (s.maxBodyBytes < 1) {
        return yield* new HttpConfigError({ setting: "LOCALEX_HTTP_MAX_BODY_BYTES", reason: "must be at least 1" })
      }
      if (s.maxConnections < 1) {
        return yield* new HttpConfigError({ setting: "LOCALEX_HTTP_MAX_CONNECTIONS", reason: "must be at least 1" })
      }
      if (Duration.toMillis(s.apiKeysPollInterval) < 100) {
        return yield* new HttpConfigError({ setting: "LOCALEX_HTTP_API_KEYS_POLL", reason: "must be at least 100 ms" })
      }
      if (/[\r\n]/.test(s.contentCsp)) {
        return yield* new HttpConfigError({ setting: "LOCALEX_HTTP_CONTENT_CSP", reason: "must be one line" })
      }
      if (Duration.isLessThan(s.requestTimeout, s.headersTimeout)) {
        return yield* new HttpConfigError({
          setting: "LOCALEX_HTTP_REQUEST_TIMEOUT",
          reason: "must be at least LOCALEX_HTTP_HEADERS_TIMEOUT (the headers are part of the request)"
        })
      }
      if (Option.isSome(s.monthlyBudgetUsd) && !(s.monthlyBudgetUsd.value > 0)) {
        return yield* new HttpConfigError({
          setting: "LOCALEX_HTTP_MONTHLY_BUDGET_USD",
          reason: `must be an amount in USD above 0, e.g. 50 (got ${s.monthlyBudgetUsd.value})`
        })
      }
      if (Option.isSome(s.cdnBaseUrl)) {
        const url = URL.parse(s.cdnBaseUrl.value)
        if (url === null || (url.protocol !== "https:" && url.protocol !== "http:") || url.search !== "") {
          return yield* new HttpConfigError({
            setting: "LOCALEX_CDN_BASE_URL (or its alias LOCALEX_HTTP_CDN_BASE_URL)",
            reason: `must be an http(s) URL without a query, e.g. https://cdn.localex.example (got "${s.cdnBaseUrl.value}")`
          })
        }
      }
      return HttpConfig.of({ ...s, cdnBaseUrl: Option.map(s.cdnBaseUrl, (base) => base.replace(/\/+$/, "")) })
    })
  )
}
