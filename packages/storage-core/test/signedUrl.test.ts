import { assert, describe, it } from "@effect/vitest"
import * as SignedUrl from "../src/SignedUrl.js"

const secret = "test-secret"
const publicUrl = "https://storage.localex.example"
const expiresAt = new Date("2026-11-01T12:00:00.900Z")
const expires = String(Math.floor(expiresAt.getTime() / 1000))
const before = new Date("2026-11-01T11:59:00Z")

/** Signs, then verifies what the HTTP app would receive, with `changes` applied to the request. */
const roundTrip = (
  signed: Omit<SignedUrl.SignInput, "secret" | "publicUrl" | "expiresAt">,
  changes: {
    readonly secret?: string
    readonly key?: string
    readonly method?: SignedUrl.Method
    readonly expires?: string
    readonly sig?: string
    readonly contentType?: string | undefined
    readonly now?: Date
  } = {}
) => {
  const url = SignedUrl.sign({ secret, publicUrl, expiresAt, ...signed })
  const parts = SignedUrl.parse(url)!
  const contentType = "contentType" in changes ? changes.contentType : signed.contentType
  return SignedUrl.verify({
    secret: changes.secret ?? secret,
    key: changes.key ?? parts.key,
    method: changes.method ?? signed.method,
    expires: changes.expires ?? parts.expires,
    sig: changes.sig ?? parts.sig,
    now: changes.now ?? before,
    ...(contentType === undefined ? {} : { contentType })
  })
}

describe("SignedUrl.sign", () => {
  it("makes <publicUrl>/v1/signed/<key>?method=…&expires=<unix s>&sig=<base64url>", () => {
    const url = SignedUrl.sign({ secret, publicUrl, key: "items/1/photo 1.jpg", method: "GET", expiresAt })
    const parsed = new URL(url)
    assert.strictEqual(parsed.origin + parsed.pathname, `${publicUrl}/v1/signed/items/1/photo%201.jpg`)
    assert.strictEqual(parsed.searchParams.get("method"), "GET")
    assert.strictEqual(parsed.searchParams.get("expires"), expires)
    assert.match(parsed.searchParams.get("sig")!, /^[A-Za-z0-9_-]{43}$/)
    assert.deepStrictEqual([...parsed.searchParams.keys()], ["method", "expires", "sig"])
  })

  it("is deterministic, and differs for each signed field", () => {
    const base = { secret, publicUrl, key: "a/b", method: "PUT", expiresAt, contentType: "image/jpeg" } as const
    const sig = (input: SignedUrl.SignInput) => SignedUrl.parse(SignedUrl.sign(input))!.sig
    assert.strictEqual(sig(base), sig(base))
    const variants = [
      { ...base, secret: "other" },
      { ...base, key: "a/c" },
      { ...base, method: "GET" as const },
      { ...base, expiresAt: new Date(expiresAt.getTime() + 1000) },
      { ...base, contentType: "image/png" },
      { secret, publicUrl, key: "a/b", method: "PUT" as const, expiresAt }
    ]
    for (const variant of variants) assert.notStrictEqual(sig(variant), sig(base))
  })
})

describe("SignedUrl.verify", () => {
  it("accepts the request the URL was signed for, until it expires", () => {
    assert.deepStrictEqual(roundTrip({ key: "items/1/photo.jpg", method: "GET" }), {
      _tag: "Valid",
      expiresAt: new Date(Number(expires) * 1000)
    })
    const atExpiry = new Date(Number(expires) * 1000)
    assert.strictEqual(roundTrip({ key: "k", method: "GET" }, { now: atExpiry })._tag, "Valid")
    assert.deepStrictEqual(roundTrip({ key: "k", method: "GET" }, { now: new Date(atExpiry.getTime() + 1) }), {
      _tag: "Expired",
      expiredAt: atExpiry
    })
  })

  it("binds a PUT signed with a Content-Type to exactly that Content-Type", () => {
    const put = { key: "uploads/a.jpg", method: "PUT", contentType: "image/jpeg" } as const
    assert.strictEqual(roundTrip(put)._tag, "Valid")
    assert.strictEqual(roundTrip(put, { contentType: "image/png" })._tag, "BadSignature")
    assert.strictEqual(roundTrip(put, { contentType: "image/JPEG" })._tag, "BadSignature")
    assert.strictEqual(roundTrip(put, { contentType: "image/jpeg; charset=utf-8" })._tag, "BadSignature")
    assert.strictEqual(roundTrip(put, { contentType: "" })._tag, "BadSignature")
    assert.strictEqual(roundTrip(put, { contentType: undefined })._tag, "BadSignature", "no Content-Type at all")
    // A URL bound to a type cannot be replayed as one that accepts any (and the reverse).
    assert.strictEqual(roundTrip(put, { contentType: "*" })._tag, "BadSignature")
  })

  it("lets a PUT signed without a Content-Type carry any Content-Type, or none", () => {
    const put = { key: "uploads/a.bin", method: "PUT" } as const
    for (const contentType of [undefined, "image/jpeg", "application/octet-stream", "text/plain; charset=utf-8", ""]) {
      assert.strictEqual(roundTrip(put, { contentType })._tag, "Valid", String(contentType))
    }
    // Still only for the key, method and expiry it was signed for.
    assert.strictEqual(roundTrip(put, { contentType: "image/png", key: "uploads/b.bin" })._tag, "BadSignature")
    assert.strictEqual(roundTrip(put, { contentType: "image/png", method: "GET" })._tag, "BadSignature")
  })

  it("tells a PUT bound to an empty Content-Type from one that accepts any", () => {
    const bound = { key: "uploads/a.bin", method: "PUT", contentType: "" } as const
    assert.strictEqual(roundTrip(bound, { contentType: "" })._tag, "Valid")
    assert.strictEqual(roundTrip(bound, { contentType: "image/png" })._tag, "BadSignature")
    assert.strictEqual(roundTrip(bound, { contentType: undefined })._tag, "BadSignature")
    const sig = (input: Omit<SignedUrl.SignInput, "secret" | "publicUrl" | "expiresAt">) =>
      SignedUrl.parse(SignedUrl.sign({ secret, publicUrl, expiresAt, ...input }))!.sig
    assert.notStrictEqual(sig(bound), sig({ key: "uploads/a.bin", method: "PUT" }))
  })

  it("ignores the Content-Type of a GET, signed or sent", () => {
    assert.strictEqual(
      roundTrip({ key: "k", method: "GET", contentType: "x/y" }, { contentType: undefined })._tag,
      "Valid"
    )
    assert.strictEqual(roundTrip({ key: "k", method: "GET" }, { contentType: "text/html" })._tag, "Valid")
  })

  it("refuses any tampering: key, method, expiry, signature, secret", () => {
    const get = { key: "items/1/photo.jpg", method: "GET" } as const
    const tampered = [
      roundTrip(get, { key: "items/1/photo.jpe" }),
      roundTrip(get, { key: "items/2/photo.jpg" }),
      roundTrip(get, { method: "PUT" }),
      roundTrip(get, { expires: String(Number(expires) + 3600) }),
      roundTrip(get, { secret: "guessed" }),
      roundTrip(get, { sig: "A".repeat(43) })
    ]
    for (const verdict of tampered) assert.deepStrictEqual(verdict, { _tag: "BadSignature" })
  })

  it("accepts only the canonical spelling of a signature", () => {
    // The last of 43 base64url characters holds 4 bits and 2 unused ones: "A" and "B" decode alike.
    const get = { key: "k", method: "GET" } as const
    for (let n = 0; n < 64; n++) {
      const expiresAt = new Date(Date.UTC(2026, 10, 1, 12, 0, n))
      const url = SignedUrl.sign({ secret, publicUrl, expiresAt, ...get })
      const parts = SignedUrl.parse(url)!
      const verify = (sig: string) =>
        SignedUrl.verify({ secret, ...get, expires: parts.expires, sig, now: before })._tag
      assert.strictEqual(verify(parts.sig), "Valid")
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
      const last = alphabet.indexOf(parts.sig.at(-1)!)
      for (let low = 1; low < 4; low++) {
        const sameBytes = `${parts.sig.slice(0, -1)}${alphabet[last + low]}`
        assert.deepStrictEqual(Buffer.from(sameBytes, "base64url"), Buffer.from(parts.sig, "base64url"))
        assert.strictEqual(verify(sameBytes), "BadSignature", sameBytes)
      }
    }
  })

  it("refuses malformed parameters without throwing", () => {
    const get = { key: "k", method: "GET" } as const
    for (const expires of ["", "-1", "1e9", "12.5", "0x10", "9".repeat(13)]) {
      assert.strictEqual(roundTrip(get, { expires })._tag, "BadSignature", expires)
    }
    const sig = SignedUrl.parse(SignedUrl.sign({ secret, publicUrl, expiresAt, ...get }))!.sig
    for (const bad of ["", sig.slice(1), `${sig}A`, `${sig.slice(0, 42)}+`, `${sig}=`]) {
      assert.strictEqual(roundTrip(get, { sig: bad })._tag, "BadSignature", bad)
    }
  })
})

describe("SignedUrl key paths", () => {
  it("round-trips awkward keys through the URL path", () => {
    const keys = ["with space/file name.txt", "unicodé/日本語 😀.png", "sym + % & = ? #.bin", "folder/", "a/b/c"]
    for (const key of keys) {
      const url = SignedUrl.sign({ secret, publicUrl, key, method: "GET", expiresAt })
      assert.strictEqual(SignedUrl.parse(url)?.key, key)
      assert.strictEqual(SignedUrl.decodeKeyPath(SignedUrl.encodeKeyPath(key)), key)
      assert.notInclude(new URL(url).pathname, "?")
    }
  })

  it("works under a public URL with a path, and rejects what is not a signed URL", () => {
    const url = SignedUrl.sign({ secret, publicUrl: "https://x.example/storage", key: "a/b", method: "GET", expiresAt })
    assert.isTrue(url.startsWith("https://x.example/storage/v1/signed/a/b?"))
    assert.strictEqual(SignedUrl.parse(url)?.key, "a/b")
    assert.isUndefined(SignedUrl.parse("https://x.example/v1/other/a"))
    assert.isUndefined(SignedUrl.parse("https://x.example/v1/signed/a?method=GET&expires=1"))
    assert.isUndefined(SignedUrl.parse("not a url"))
    assert.isUndefined(SignedUrl.decodeKeyPath("bad%E0%A4%A"))
  })
})
