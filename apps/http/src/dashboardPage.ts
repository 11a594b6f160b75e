/**
 * `/dashboard`: a static page built with the app (`dist/dashboard/`: the HTML, its script and
 * style, and Chart.js copied from the installed package — nothing is fetched from elsewhere at
 * view time). The page asks `/v1/dashboard` for its data with the admin key the user typed in,
 * kept in the tab's session storage.
 *
 * Served with a strict Content-Security-Policy (scripts and styles from this origin only, no
 * inline script, no framing, fetches to this origin only), `nosniff`, and `Cache-Control:
 * no-cache` with an ETag: a browser revalidates (304) and always runs the version deployed.
 */
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join("; ")

/** Path → file in dist/dashboard and its content type. */
const ASSETS: ReadonlyArray<readonly [path: `/${string}`, file: string, contentType: string]> = [
  ["/dashboard", "index.html", "text/html; charset=utf-8"],
  ["/dashboard/app.js", "app.js", "text/javascript; charset=utf-8"],
  ["/dashboard/app.css", "app.css", "text/css; charset=utf-8"],
  ["/dashboard/chart.umd.min.js", "chart.umd.min.js", "text/javascript; charset=utf-8"]
]

const DIRECTORY = new URL("./dashboard/", import.meta.url)

const route = ([path, file, contentType]: (typeof ASSETS)[number]) => {
  const body = readFileSync(new URL(file, DIRECTORY))
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`
  const headers = {
    "cache-control": "no-cache",
    etag,
    "content-security-policy": DASHBOARD_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY"
  }
  return HttpRouter.add(
    "GET",
    path,
    Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
      (request.headers["if-none-match"] ?? "").split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag)
        ? HttpServerResponse.empty({ status: 304, headers })
        : HttpServerResponse.uint8Array(body, { contentType, headers })
    )
  )
}

/** The dashboard's routes; the start fails if the build left the page out. */
export const DashboardPage = Layer.unwrap(
  Effect.try({
    try: () => {
      const [first, ...rest] = ASSETS.map(route)
      return Layer.mergeAll(first!, ...rest)
    },
    catch: (cause) => new Error(`the dashboard page is missing from ${DIRECTORY.pathname} (build the app): ${cause}`)
  }).pipe(Effect.orDie)
)
