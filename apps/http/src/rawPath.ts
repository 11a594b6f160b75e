/**
 * Every route acts on exactly the path the client sent, or refuses it with 400.
 *
 * The router (find-my-way) would otherwise change it: it cuts the path at `;` (`semi;v2.txt` →
 * `semi`), and the server adapter resolves an absolute-form target (`GET http://host/a/../b`)
 * as a URL. So before routing, the request's URL becomes its raw target again, with `;` and
 * `#` percent-encoded (they are key characters here, not separators); the router keeps `//`
 * and trailing slashes (Server.ts turns its normalisations off), and key routes decode the key
 * from this raw path themselves (`pathKey`). A path or query that is not valid
 * percent-encoded UTF-8 (`%FF`) is refused: `?key=%FF` is not the key `%FF` (that is `%25FF`).
 *
 * One route shares its path with another: `GET /v1/files` (the listing) and the stat of
 * `/v1/files/*` (which the router also registers at `/v1/files`). The listing is routed at
 * `/v1/files/` internally, and a raw `GET /v1/files/` (an empty key) is refused here.
 */
import { SignedUrl } from "@localex/storage-core"
import { Effect } from "effect"
import { HttpServerRequest, type HttpServerResponse } from "effect/http"
import { LIST_ROUTE } from "./Api.js"
import { InvalidKeyProblem, problemResponse } from "./Problems.js"

/** The routes whose rest of path is an object key. */
const KEY_PREFIXES = ["/v1/files/", "/v1/signed/", "/v1/content/"]

/** The request target as the client sent it: origin-form `path?query` (an absolute-form target loses its scheme and host only). */
const rawTarget = (request: HttpServerRequest.HttpServerRequest): string => {
  const source = request.source as { readonly url?: unknown } | null
  const raw = typeof source?.url === "string" ? source.url : request.url
  if (raw.startsWith("/")) return raw
  const authority = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(raw)
  const rest = authority === null ? raw : raw.slice(authority[0].length)
  return rest.startsWith("/") ? rest : `/${rest}`
}

const decodes = (text: string): boolean => {
  try {
    decodeURIComponent(text)
    return true
  } catch {
    return false
  }
}

/** Whether a query string (without "?") is not valid percent-encoded UTF-8. */
export const badQuery = (query: string): boolean => query.split("&").some((pair) => !decodes(pair.replaceAll("+", " ")))

const refuse = (name: "invalid-key" | "bad-request", detail: string) =>
  Effect.succeed(
    problemResponse({ name, status: 400, title: name === "invalid-key" ? "Invalid key" : "Bad request", detail })
  )

/** Wraps the router (and every middleware inside it): the request it sees has its raw URL. */
export const rawPath = <E, R>(
  httpEffect: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const target = rawTarget(request)
    const at = target.indexOf("?")
    const path = at === -1 ? target : target.slice(0, at)
    const query = at === -1 ? "" : target.slice(at)
    const keyRoute = KEY_PREFIXES.some((prefix) => path.startsWith(prefix))
    if (!decodes(path)) {
      return refuse(
        keyRoute ? "invalid-key" : "bad-request",
        "The path is not valid percent-encoded UTF-8: encode each byte of a key's UTF-8 as %XX (a literal % is %25)"
      )
    }
    if (badQuery(query.slice(1))) {
      return refuse(
        "bad-request",
        "The query is not valid percent-encoded UTF-8: encode each byte of a value's UTF-8 as %XX (a literal % is %25)"
      )
    }
    const listing = request.method === "GET" || request.method === "HEAD"
    if (listing && path === LIST_ROUTE) {
      return refuse("invalid-key", "No key after /v1/files/: list keys with GET /v1/files?prefix=…")
    }
    const routed = listing && path === "/v1/files" ? LIST_ROUTE : path.replaceAll(";", "%3B").replaceAll("#", "%23")
    const url = `${routed}${query}`
    return url === request.url
      ? httpEffect
      : Effect.provideService(httpEffect, HttpServerRequest.HttpServerRequest, request.modify({ url }))
  })

/** The object key of a key route's request: the rest of its raw path after `prefix`, percent-decoded once. */
export const pathKey = (
  request: HttpServerRequest.HttpServerRequest,
  prefix: string
): Effect.Effect<string, InvalidKeyProblem> => {
  const path = request.url.split("?", 1)[0] ?? ""
  const key = path.startsWith(prefix) ? SignedUrl.decodeKeyPath(path.slice(prefix.length)) : undefined
  return key === undefined
    ? Effect.fail(new InvalidKeyProblem({ detail: `The path "${path}" holds no valid key after ${prefix}` }))
    : Effect.succeed(key)
}
