import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  addKey,
  authenticate,
  emptyKeyFile,
  fileEntries,
  formatKeyFile,
  generateSecret,
  grants,
  hashSecret,
  keyStatus,
  parseKeyFile,
  parseKeyList,
  rotateKey,
  successorId
} from "../../src/ApiKeys.js"

const now = new Date("2026-12-02T12:00:00Z")
const hash = (secret: string) => hashSecret(secret)
const record = (fields: Record<string, unknown>) =>
  JSON.stringify({
    version: 1,
    keys: [{ id: "ci", sha256: hash("s1"), scopes: ["read"], createdAt: "2026-11-01T00:00:00Z", ...fields }]
  })

const reasonOf = (text: string) =>
  Effect.flip(parseKeyFile(text, "/k.json")).pipe(Effect.map((error) => `${error._tag}: ${error.message}`))

describe("key file parsing", () => {
  it.effect("parses a valid file, lowercasing hashes and keeping the times", () =>
    Effect.gen(function* () {
      const text = JSON.stringify({
        version: 1,
        keys: [
          {
            id: "ci",
            label: "CI uploader",
            sha256: hash("s1").toUpperCase(),
            scopes: ["read", "write"],
            createdAt: "2026-11-01T00:00:00Z",
            expiresAt: "2027-11-01T00:00:00Z"
          }
        ]
      })
      const file = yield* parseKeyFile(text, "/k.json")
      assert.strictEqual(file.keys.length, 1)
      const key = file.keys[0]!
      assert.strictEqual(key.sha256, hash("s1"))
      assert.deepStrictEqual(key.scopes, ["read", "write"])
      assert.strictEqual(key.expiresAt?.toISOString(), "2027-11-01T00:00:00.000Z")
      // format → parse is the identity
      assert.deepStrictEqual(yield* parseKeyFile(formatKeyFile(file), "/k.json"), file)
    })
  )

  it.effect("refuses malformed files with a typed error that names the key and field", () =>
    Effect.gen(function* () {
      const cases: Array<[string, string]> = [
        ["{not json", "not JSON"],
        ["[]", "expected a JSON object"],
        [JSON.stringify({ version: 2, keys: [] }), '"version" must be 1'],
        [JSON.stringify({ version: 1 }), '"keys" must be an array'],
        [JSON.stringify({ version: 1, keys: [], extra: 1 }), 'unknown field(s) "extra"'],
        [record({ sha256: "abc" }), 'keys[0] ("ci").sha256 must be 64 hex digits'],
        [record({ scopes: [] }), ".scopes must be a non-empty array"],
        [record({ scopes: ["root"] }), 'unknown scope(s) "root"'],
        [record({ createdAt: "yesterday" }), ".createdAt must be an ISO 8601 time"],
        [record({ expiresAt: "2026-13-45T00:00:00Z" }), ".expiresAt must be an ISO 8601 time"],
        [record({ expires_at: "2027-01-01T00:00:00Z" }), 'unknown field(s) "expires_at"'],
        [record({ secret: "s1" }), 'unknown field(s) "secret"'],
        [record({ id: "../x" }), "keys[0].id must be"]
      ]
      for (const [text, expected] of cases) {
        const reason = yield* reasonOf(text)
        assert.include(reason, "KeyFileInvalid", text)
        assert.include(reason, expected, text)
        assert.include(reason, '"/k.json"')
      }
      const twice = JSON.stringify({
        version: 1,
        keys: [
          { id: "a", sha256: hash("s1"), scopes: ["read"], createdAt: "2026-11-01T00:00:00Z" },
          { id: "a", sha256: hash("s2"), scopes: ["read"], createdAt: "2026-11-01T00:00:00Z" }
        ]
      })
      assert.include(yield* reasonOf(twice), "the id is used twice")
      assert.include(
        yield* reasonOf(twice.replace(`"id":"a","sha256":"${hash("s2")}`, `"id":"b","sha256":"${hash("s1")}`)),
        "the same sha256 is listed twice"
      )
    })
  )
})

describe("status, authentication and scopes", () => {
  const at = (iso: string) => new Date(iso)

  it("a key works until the earlier of expiresAt and notAfter", () => {
    assert.deepStrictEqual(keyStatus({}, now), { _tag: "Active" })
    assert.deepStrictEqual(keyStatus({ expiresAt: at("2027-01-01T00:00:00Z") }, now), { _tag: "Active" })
    assert.deepStrictEqual(keyStatus({ notAfter: at("2026-12-03T00:00:00Z") }, now), {
      _tag: "Rotating",
      until: at("2026-12-03T00:00:00Z")
    })
    assert.deepStrictEqual(keyStatus({ expiresAt: now }, now), { _tag: "Expired", at: now })
    assert.deepStrictEqual(
      keyStatus({ expiresAt: at("2026-12-02T13:00:00Z"), notAfter: at("2026-12-03T00:00:00Z") }, now),
      { _tag: "Rotating", until: at("2026-12-02T13:00:00Z") }
    )
    assert.deepStrictEqual(
      keyStatus({ expiresAt: at("2026-12-01T00:00:00Z"), notAfter: at("2026-12-05T00:00:00Z") }, now),
      { _tag: "Expired", at: at("2026-12-01T00:00:00Z") }
    )
  })

  it.effect("authenticate: valid, expired, unknown; the file's entry wins over the environment's", () =>
    Effect.gen(function* () {
      const file = yield* parseKeyFile(
        JSON.stringify({
          version: 1,
          keys: [
            { id: "live", sha256: hash("s1"), scopes: ["read"], createdAt: "2026-11-01T00:00:00Z" },
            {
              id: "old",
              sha256: hash("s2"),
              scopes: ["write"],
              createdAt: "2026-11-01T00:00:00Z",
              notAfter: "2026-12-01T00:00:00Z"
            }
          ]
        }),
        "/k.json"
      )
      const env = yield* parseKeyList(`${hash("s1")}:admin, ${hash("s3")}:read+write`)
      const entries = [...fileEntries(file), ...env]
      const live = authenticate(entries, "s1", now)
      assert.strictEqual(live._tag, "Valid")
      assert.strictEqual(live._tag === "Valid" && live.key.id, "live")
      assert.isFalse(live._tag === "Valid" && grants(live.key.scopes, "admin"))
      assert.strictEqual(authenticate(entries, "s2", now)._tag, "Expired")
      const fromEnv = authenticate(entries, "s3", now)
      assert.strictEqual(fromEnv._tag === "Valid" && fromEnv.key.id, `env:${hash("s3").slice(0, 8)}`)
      assert.strictEqual(authenticate(entries, "nope", now)._tag, "Unknown")
      assert.isTrue(grants(new Set(["admin"]), "write"))
      assert.isFalse(grants(new Set(["read"]), "write"))
    })
  )

  it.effect("LOCALEX_HTTP_API_KEYS: malformed entries are typed errors naming the entry", () =>
    Effect.gen(function* () {
      for (const [text, expected] of [
        ["", "lists no key"],
        ["abc:read", "entry 1: expected <sha256 hex>"],
        [`${hash("a")}:read,${hash("b")}:root`, 'entry 2: scopes are read, write, admin joined by "+" (got "root")']
      ]) {
        const error = yield* Effect.flip(parseKeyList(text!))
        assert.strictEqual(error._tag, "KeyListInvalid")
        assert.include(error.message, expected!)
      }
    })
  )
})

describe("add and rotate", () => {
  it("secrets are 32 random bytes, base64url, and differ", () => {
    const a = generateSecret()
    const b = generateSecret()
    assert.match(a, /^lxk_[A-Za-z0-9_-]{43}$/)
    assert.notStrictEqual(a, b)
  })

  it("successor ids", () => {
    assert.strictEqual(successorId("ci", new Set(["ci"])), "ci.2")
    assert.strictEqual(successorId("ci.2", new Set(["ci", "ci.2"])), "ci.3")
    assert.strictEqual(successorId("ci", new Set(["ci", "ci.2", "ci.3"])), "ci.4")
  })

  it.effect("add keeps only the hash; refuses a duplicate id, an unknown scope, a past expiry", () =>
    Effect.gen(function* () {
      const { file, key } = yield* addKey(emptyKeyFile, { id: "ci", scopes: ["read", "write"], now, secret: "s1" })
      assert.strictEqual(key.sha256, hash("s1"))
      assert.notInclude(formatKeyFile(file), 's1"')
      const generated = yield* addKey(file, { scopes: ["read"], now, secret: "s2" })
      assert.strictEqual(generated.key.id, `key-${hash("s2").slice(0, 8)}`)
      for (const [input, expected] of [
        [{ id: "ci", scopes: ["read"] }, "already has a key with this id"],
        [{ id: "x", scopes: ["root"] }, "unknown scope(s) root"],
        [{ id: "x", scopes: [] }, "at least one scope"],
        [{ id: "x", scopes: ["read"], expiresAt: new Date(now.getTime() - 1) }, "expiry must be in the future"]
      ] as const) {
        const error = yield* Effect.flip(addKey(file, { ...input, now, secret: "s9" }))
        assert.strictEqual(error._tag, "KeyChangeRefused")
        assert.include(error.message, expected)
      }
    })
  )

  it.effect("rotate: a successor with the same scopes and lifetime; the old key ends after the overlap", () =>
    Effect.gen(function* () {
      const created = new Date("2026-11-02T12:00:00Z")
      const start = yield* addKey(emptyKeyFile, {
        id: "ci",
        label: "CI",
        scopes: ["write"],
        expiresAt: new Date("2026-12-02T13:00:00Z"), // 30 days + 1 hour after creation
        now: created,
        secret: "old"
      })
      const rotation = yield* rotateKey(start.file, "/k.json", {
        id: "ci",
        overlapMs: 3_600_000,
        now,
        secret: "new"
      })
      assert.strictEqual(rotation.key.id, "ci.2")
      assert.strictEqual(rotation.key.sha256, hash("new"))
      assert.deepStrictEqual(rotation.key.scopes, ["write"])
      assert.strictEqual(rotation.key.label, "CI")
      assert.strictEqual(rotation.key.expiresAt?.toISOString(), "2027-01-01T13:00:00.000Z")
      assert.strictEqual(rotation.old.notAfter?.toISOString(), "2026-12-02T13:00:00.000Z")
      assert.deepStrictEqual(
        rotation.file.keys.map((k) => k.id),
        ["ci", "ci.2"]
      )
      const entries = fileEntries(rotation.file)
      const during = new Date(now.getTime() + 60_000)
      const after = new Date(now.getTime() + 3_600_000)
      assert.strictEqual(authenticate(entries, "old", during)._tag, "Valid")
      assert.strictEqual(authenticate(entries, "new", during)._tag, "Valid")
      assert.strictEqual(authenticate(entries, "old", after)._tag, "Expired")
      assert.strictEqual(authenticate(entries, "new", after)._tag, "Valid")

      const again = yield* Effect.flip(
        rotateKey(rotation.file, "/k.json", { id: "ci", overlapMs: 0, now, secret: "x" })
      )
      assert.include(again.message, "already being rotated")
      const missing = yield* Effect.flip(
        rotateKey(rotation.file, "/k.json", { id: "nope", overlapMs: 0, now, secret: "x" })
      )
      assert.strictEqual(missing._tag, "KeyNotFound")
      const expired = yield* Effect.flip(
        rotateKey(rotation.file, "/k.json", {
          id: "ci",
          overlapMs: 0,
          now: new Date("2027-01-01T00:00:00Z"),
          secret: "x"
        })
      )
      assert.include(expired.message, "expired at 2026-12-02T13:00:00.000Z")
    })
  )
})
