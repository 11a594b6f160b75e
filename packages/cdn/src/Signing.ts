/**
 * Signed CloudFront URLs and cookies for private content, with AWS's own signer
 * (`@aws-sdk/cloudfront-signer`): a URL gets a canned policy (one URL, an expiry); cookies get a
 * custom policy, so one set of cookies can cover a wildcard resource such as `https://cdn/items/42/*`.
 */
import { createPrivateKey } from "node:crypto"
import { readFile } from "node:fs/promises"
import { getSignedCookies, getSignedUrl } from "@aws-sdk/cloudfront-signer"
import { Effect } from "effect"
import { SigningKeyError } from "./Errors.js"

export interface SigningKey {
  readonly keyPairId: string
  readonly privateKey: string
}

/** Reads and checks the PEM private key (an unreadable file or a key that is not private is refused). */
export const loadSigningKey = (
  keyPairId: string | undefined,
  privateKeyFile: string | undefined
): Effect.Effect<SigningKey, SigningKeyError> =>
  Effect.gen(function* () {
    if (keyPairId === undefined || privateKeyFile === undefined)
      return yield* new SigningKeyError({ reason: "no key pair id or no private key file is set" })
    const privateKey = yield* Effect.tryPromise({
      try: () => readFile(privateKeyFile, "utf8"),
      catch: (error) => new SigningKeyError({ reason: `cannot read ${privateKeyFile}: ${(error as Error).message}` })
    })
    yield* Effect.try({
      try: () => createPrivateKey(privateKey),
      catch: () => new SigningKeyError({ reason: `${privateKeyFile} is not a PEM private key` })
    })
    return { keyPairId, privateKey }
  })

const checkUrl = (url: string) =>
  URL.canParse(url) && /^https?:$/.test(new URL(url).protocol)
    ? Effect.succeed(url)
    : Effect.fail(new SigningKeyError({ reason: `${JSON.stringify(url)} is not an http(s) URL to sign` }))

/** A URL valid until `expiresAt` (canned policy: CloudFront checks `Expires`, `Signature`, `Key-Pair-Id`). */
export const signUrl = (key: SigningKey, url: string, expiresAt: Date): Effect.Effect<string, SigningKeyError> =>
  Effect.map(checkUrl(url), (checked) =>
    getSignedUrl({ url: checked, keyPairId: key.keyPairId, privateKey: key.privateKey, dateLessThan: expiresAt })
  )

/** The policy a set of cookies carries: `resource` may end in `*`. */
export const cookiePolicy = (resource: string, expiresAt: Date) =>
  JSON.stringify({
    Statement: [
      { Resource: resource, Condition: { DateLessThan: { "AWS:EpochTime": Math.floor(expiresAt.getTime() / 1000) } } }
    ]
  })

/** `CloudFront-Policy`, `CloudFront-Signature`, `CloudFront-Key-Pair-Id` for every URL under `resource`. */
export const signCookies = (
  key: SigningKey,
  resource: string,
  expiresAt: Date
): Effect.Effect<Readonly<Record<string, string>>, SigningKeyError> =>
  Effect.map(checkUrl(resource.replace(/\*$/, "")), () => {
    const cookies = getSignedCookies({
      keyPairId: key.keyPairId,
      privateKey: key.privateKey,
      policy: cookiePolicy(resource, expiresAt)
    })
    return Object.fromEntries(
      Object.entries(cookies).filter((entry): entry is [string, string] => typeof entry[1] === "string")
    )
  })
