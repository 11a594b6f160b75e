/**
 * The bearer-key check in front of the `files` group: 401 without a known key, 403 when the
 * key lacks the scope the endpoint is annotated with (`RequiredScope`).
 */
import { Context, Effect, Layer, Redacted } from "effect"
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
        if (token === "")
          return Effect.fail(new Unauthorized({ detail: "Send an API key: Authorization: Bearer <key>" }))
        const verdict = keys.authenticate(token)
        // An expired key is told apart (its holder needs a new one), without naming the key.
        if (verdict._tag === "Expired")
          return Effect.fail(new Unauthorized({ detail: "This API key has expired: ask for a new one" }))
        if (verdict._tag === "Unknown") {
          return Effect.fail(
            new Unauthorized({
              detail:
                "Unknown API key: check the key, or the hashes in LOCALEX_HTTP_API_KEYS / LOCALEX_HTTP_API_KEYS_FILE"
            })
          )
        }
        const scope = Context.get(endpoint.annotations, RequiredScope)
        if (!grants(verdict.key.scopes, scope)) return Effect.fail(missingScope(scope))
        // The key file and the environment only hold the app's scopes (checked when they are read).
        const scopes = verdict.key.scopes as ReadonlySet<Scope>
        return Effect.provideService(httpEffect, Principal, { id: verdict.key.id, scopes })
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
