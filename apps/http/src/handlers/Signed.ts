/**
 * /v1/signed/{key}: the fs driver's signed URLs. GET serves the object (download.ts: ranges,
 * conditional requests, the safe-serving headers); PUT uploads.
 * The signature is checked before anything else: a bad or expired one is 403.
 */

import { Cdn } from "@localex/cdn"
import { ObjectStore } from "@localex/storage-core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { policyHeaders, serveObject } from "../download.js"
import { HttpConfig } from "../HttpConfig.js"
import { pathKey } from "../rawPath.js"
import { SignedUrls } from "../SignedUrls.js"
import { upload } from "../upload.js"

const SIGNED = "/v1/signed/"

export const SignedHandlers = HttpApiBuilder.group(
  Api,
  "signed",
  Effect.fn(function* (handlers) {
    const store = yield* ObjectStore
    const signed = yield* SignedUrls
    const config = yield* HttpConfig
    const cdn = yield* Cdn

    return handlers
      .handle(
        "download",
        Effect.fnUntraced(function* ({ query, request }) {
          const key = yield* pathKey(request, SIGNED)
          yield* signed.verify({ key, method: "GET", expires: query.expires, sig: query.sig })
          // The URL is the authorisation: the cache policy's headers as a CDN origin serves them.
          return yield* serveObject(store, key, request, {
            config,
            cachePolicy: () => policyHeaders(cdn.decide(key), true)
          })
        })
      )
      .handleRaw(
        "upload",
        Effect.fnUntraced(function* ({ query, request }) {
          const key = yield* pathKey(request, SIGNED)
          yield* signed.verify({
            key,
            method: "PUT",
            expires: query.expires,
            sig: query.sig,
            contentType: request.headers["content-type"]
          })
          return yield* upload(store, request, key, { maxBytes: config.maxUploadBytes })
        })
      )
  })
)
