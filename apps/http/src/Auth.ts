/**
 * The bearer-key check in front of the `files` group: 401 without a known key, 403 when the
 * key lacks the scope the endpoint is annotated with (`RequiredScope`).
 */
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { Authorization, Principal, RequiredScope, type Scope } from "./Api.js"
import { ApiKeys, grants } from "./ApiKeys.js"
import { Forbidden, Unauthorized } from "./Problems.js"

export const AuthorizationLive = Layer.effect(
  Authorization,
  Effect.gen(function* () {
    const keys = yield* ApiKeys
    return Authorization.of({
      bearer: (httpEffect, { credential, endpoint }) => {
        const token = Redacted.value(credential)
        const key = token === "" ? Option.none() : keys.authenticate(token)
        if (Option.isNone(key)) {
          return Effect.fail(
            new Unauthorized({
              detail:
                token === ""
                  ? "Send an API key: Authorization: Bearer <key>"
                  : "Unknown API key: check the key, or the hashes in LOCALEX_HTTP_API_KEYS"
            })
          )
        }
        const scope = Context.get(endpoint.annotations, RequiredScope)
        if (!grants(key.value.scopes, scope)) return Effect.fail(missingScope(scope))
        return Effect.provideService(httpEffect, Principal, { id: key.value.id, scopes: key.value.scopes })
      }
    })
  })
)

const missingScope = (scope: Scope) => new Forbidden({ detail: `This API key lacks the "${scope}" scope` })

/** Fails with 403 unless the caller's key grants `scope` (for endpoints whose scope depends on the input). */
export const requireScope = Effect.fnUntraced(function* (scope: Scope) {
  const principal = yield* Principal
  if (!grants(principal.scopes, scope)) return yield* missingScope(scope)
})
