// Signed URLs and cookies, checked the way CloudFront checks them: the policy's signature
// verifies with the public key of the pair, and the policy says what was asked.
import { createVerify, generateKeyPairSync } from "node:crypto"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CloudFrontClient } from "@aws-sdk/client-cloudfront"
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Cdn, CdnClients, DEFAULT_TTLS, SigningKeyError } from "../src/index.js"

const { privateKey, publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" }
})
const dir = mkdtempSync(join(tmpdir(), "cdn-signing-"))
const keyFile = join(dir, "private.pem")
writeFileSync(keyFile, privateKey)
const notAKey = join(dir, "not-a-key.pem")
writeFileSync(notAKey, "hello")

/** CloudFront's URL-safe base64: + → -, = → _, / → ~. */
const fromCloudFrontBase64 = (text: string) =>
  Buffer.from(text.replace(/-/g, "+").replace(/_/g, "=").replace(/~/g, "/"), "base64")

const verifies = (policy: string, signature: string) =>
  createVerify("RSA-SHA1").update(policy).verify(publicKey, fromCloudFrontBase64(signature))

const clients = CdnClients.layer({
  cloudfront: new CloudFrontClient({ region: "us-east-1" }),
  cloudwatch: new CloudWatchClient({ region: "us-east-1" })
})
const cdn = (privateKeyFile: string | undefined) =>
  Cdn.layer({
    domains: [],
    ttls: DEFAULT_TTLS,
    baseUrl: "https://cdn.localex.test",
    keyPairId: "K2JCJMDEHXQW5F",
    ...(privateKeyFile === undefined ? {} : { privateKeyFile })
  }).pipe(Layer.provide(clients))

const expiresAt = new Date("2030-01-01T00:00:00Z")

describe("Signing", () => {
  it.effect("a signed URL for a key: canned policy over the exact URL, verified with the public key", () =>
    Effect.gen(function* () {
      const service = yield* Cdn
      const signed = new URL(yield* service.signUrl("items/42/a b.jpg", expiresAt))
      assert.strictEqual(signed.origin + signed.pathname, "https://cdn.localex.test/items/42/a%20b.jpg")
      assert.strictEqual(signed.searchParams.get("Key-Pair-Id"), "K2JCJMDEHXQW5F")
      assert.strictEqual(signed.searchParams.get("Expires"), String(expiresAt.getTime() / 1000))
      const canned = JSON.stringify({
        Statement: [
          {
            Resource: "https://cdn.localex.test/items/42/a%20b.jpg",
            Condition: { DateLessThan: { "AWS:EpochTime": expiresAt.getTime() / 1000 } }
          }
        ]
      })
      assert.isTrue(verifies(canned, signed.searchParams.get("Signature")!))
      // A tampered resource does not verify.
      assert.isFalse(verifies(canned.replace("42", "43"), signed.searchParams.get("Signature")!))
    }).pipe(Effect.provide(cdn(keyFile)))
  )

  it.effect("signed cookies: a custom policy over a wildcard resource, verified with the public key", () =>
    Effect.gen(function* () {
      const service = yield* Cdn
      const cookies = yield* service.signCookies("items/42/*", expiresAt)
      const policy = fromCloudFrontBase64(cookies["CloudFront-Policy"]!).toString("utf8")
      assert.deepStrictEqual(JSON.parse(policy), {
        Statement: [
          {
            Resource: "https://cdn.localex.test/items/42/*",
            Condition: { DateLessThan: { "AWS:EpochTime": expiresAt.getTime() / 1000 } }
          }
        ]
      })
      assert.strictEqual(cookies["CloudFront-Key-Pair-Id"], "K2JCJMDEHXQW5F")
      assert.isTrue(verifies(policy, cookies["CloudFront-Signature"]!))
    }).pipe(Effect.provide(cdn(keyFile)))
  )

  it.effect("no key, an unreadable key or a file that is not a key: SigningKeyError", () =>
    Effect.gen(function* () {
      for (const file of [undefined, join(dir, "missing.pem"), notAKey]) {
        const error = yield* Effect.flip(
          Effect.gen(function* () {
            return yield* (yield* Cdn).signUrl("items/1.jpg", expiresAt)
          }).pipe(Effect.provide(cdn(file)))
        )
        assert.instanceOf(error, SigningKeyError, String(file))
      }
    })
  )
})
