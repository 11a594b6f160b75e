/**
 * The HTTP app's settings as the environment gives them: the CDN base URL under the CDN package's
 * name `LOCALEX_CDN_BASE_URL`, with `LOCALEX_HTTP_CDN_BASE_URL` as its alias (the new name wins),
 * and a refused setting naming what to fix.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option } from "effect"
import { HttpConfig } from "../src/HttpConfig.js"

const configWith = (env: Record<string, string>) =>
  Effect.gen(function* () {
    return yield* HttpConfig
  }).pipe(Effect.provide(HttpConfig.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))))

describe("HttpConfig: the CDN base URL", () => {
  it.effect("LOCALEX_CDN_BASE_URL sets it; the alias alone too; the new name wins over the alias", () =>
    Effect.gen(function* () {
      assert.isTrue(Option.isNone((yield* configWith({})).cdnBaseUrl))
      const byName = yield* configWith({ LOCALEX_CDN_BASE_URL: "https://cdn.localex.example/" })
      assert.deepStrictEqual(byName.cdnBaseUrl, Option.some("https://cdn.localex.example"))
      const byAlias = yield* configWith({ LOCALEX_HTTP_CDN_BASE_URL: "https://old.localex.example" })
      assert.deepStrictEqual(byAlias.cdnBaseUrl, Option.some("https://old.localex.example"))
      const both = yield* configWith({
        LOCALEX_CDN_BASE_URL: "https://new.localex.example",
        LOCALEX_HTTP_CDN_BASE_URL: "https://old.localex.example"
      })
      assert.deepStrictEqual(both.cdnBaseUrl, Option.some("https://new.localex.example"))
    })
  )

  it.effect("a base URL that is not http(s) is refused, naming both settings", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(configWith({ LOCALEX_CDN_BASE_URL: "ftp://cdn.localex.example" }))
      assert.strictEqual(error._tag, "HttpConfigError")
      assert.match(error.message, /LOCALEX_CDN_BASE_URL \(or its alias LOCALEX_HTTP_CDN_BASE_URL\)/)
    })
  )
})
