import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import type { InvalidKey } from "../src/Errors.js"
import * as Keys from "../src/Keys.js"

const reason = (key: string) => Keys.problem(key)
const built = (result: Result.Result<Keys.Key, InvalidKey>): string =>
  Result.isSuccess(result) ? result.success : `refused: ${result.failure.reason}`

describe("Keys.validate", () => {
  it("accepts keys S3 accepts and LocalEx uses", () => {
    const valid = [
      "a",
      "items/8f14e45f/photo.jpg",
      "items/8f14e45f/", // a folder marker
      "with space/and + % & = ? # ! ' ( ) * ~ @",
      "unicodé/日本語/😀.png",
      ".hidden/..dots/...",
      "x".repeat(1024),
      `${"é".repeat(511)}xy` // 1,024 bytes in 513 characters
    ]
    for (const key of valid) {
      assert.isUndefined(reason(key), key)
      assert.isTrue(Keys.isKey(key))
      assert.isTrue(Result.isSuccess(Keys.validate(key)))
    }
  })

  it("refuses each kind of bad key, saying why", () => {
    const invalid: ReadonlyArray<readonly [string, RegExp]> = [
      ["", /empty/],
      ["/leading", /start with "\/"/],
      ["a//b", /empty segment/],
      ["a/b//", /empty segment/],
      ["..", /"\.\." segment/],
      ["a/../b", /"\.\." segment/],
      [".", /"\." segment/],
      ["a/./b", /"\." segment/],
      ["nul\u0000", /control characters/],
      ["tab\tkey", /control characters/],
      ["del\u007f", /control characters/],
      ["c1\u0085", /control characters/],
      ["back\\slash", /"\\"/],
      ["lone\uD83D", /lone surrogate/],
      ["non\uFFFEchar", /U\+FFFE or U\+FFFF/],
      ["P/\uFFFF", /U\+FFFE or U\+FFFF/],
      ["x".repeat(1025), /at most 1024 bytes \(this one is 1025\)/],
      [`${"é".repeat(512)}x`, /at most 1024 bytes \(this one is 1025\)/]
    ]
    for (const [key, why] of invalid) {
      assert.match(reason(key) ?? "(accepted)", why, JSON.stringify(key))
      assert.isFalse(Keys.isKey(key))
    }
  })

  it.effect("fails with InvalidKey carrying the key and the reason", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Keys.make("a//b"))
      assert.strictEqual(error._tag, "InvalidKey")
      assert.strictEqual(error.key, "a//b")
      assert.include(error.message, "a//b")
      assert.include(error.message, "empty segment")
      assert.strictEqual(yield* Keys.make("a/b"), "a/b")
    })
  )
})

describe("Keys.validatePrefix", () => {
  it("accepts any start of a valid key, including a partial last segment", () => {
    for (const prefix of ["", "items/", "items/8f", "photos/.", "photos/..", "a/b/c", "x".repeat(1024)]) {
      assert.isTrue(Result.isSuccess(Keys.validatePrefix(prefix)), prefix)
    }
  })

  it("refuses prefixes no valid key starts with", () => {
    for (const prefix of ["/", "/items", "a//", "a/../", "a/./b", "ctl\u0001", "x".repeat(1025)]) {
      assert.isTrue(Result.isFailure(Keys.validatePrefix(prefix)), prefix)
    }
  })
})

describe("LocalEx key layout", () => {
  it("builds items/, profiles/, temp/ and reports/ keys", () => {
    assert.strictEqual(built(Keys.item("8f14e45f", "original.jpg")), "items/8f14e45f/original.jpg")
    assert.strictEqual(built(Keys.item("8f14e45f", "variants", "640w.webp")), "items/8f14e45f/variants/640w.webp")
    assert.strictEqual(built(Keys.profile("user_42", "avatar.png")), "profiles/user_42/avatar.png")
    assert.strictEqual(built(Keys.temp("upload-1", "part.bin")), "temp/upload-1/part.bin")
    assert.strictEqual(built(Keys.report("2026-10-01", "cleanup.json")), "_localex/reports/2026-10-01/cleanup.json")
    assert.deepStrictEqual(Keys.prefixes, {
      items: "items/",
      profiles: "profiles/",
      temp: "temp/",
      reserved: "_localex/",
      reports: "_localex/reports/"
    })
    assert.isTrue(Keys.isReserved("_localex/leases/daily"))
    assert.isFalse(Keys.isReserved("items/_localex/x"))
    for (const [name, prefix] of Object.entries(Keys.prefixes)) {
      assert.isTrue(Result.isSuccess(Keys.validatePrefix(prefix)), name)
    }
  })

  it("refuses ids that could change the layout, and bad trailing parts", () => {
    const bad = [
      Keys.item("../profiles", "x.jpg"),
      Keys.item("a/b", "x.jpg"),
      Keys.item("", "x.jpg"),
      Keys.item("-leading", "x.jpg"),
      Keys.item("x".repeat(129), "x.jpg"),
      Keys.profile("user 42", "avatar.png"),
      Keys.item("8f14e45f", ".."),
      Keys.item("8f14e45f", "a", "", "b"),
      Keys.temp("ctl\u0001")
    ]
    for (const result of bad) {
      assert.isTrue(Result.isFailure(result))
      if (Result.isFailure(result)) assert.strictEqual(result.failure._tag, "InvalidKey")
    }
    assert.isTrue(Result.isSuccess(Keys.item("x".repeat(128), "x.jpg")))
  })
})

describe("UTF-8 byte order", () => {
  it("orders above-BMP characters after U+E000–U+FFFF, unlike JavaScript's <", () => {
    const emoji = "😀" // U+1F600: UTF-16 D83D DE00, UTF-8 F0 9F 98 80
    const fullwidth = "ｚ" // U+FF5A: UTF-16 FF5A, UTF-8 EF BD 9A
    assert.isTrue(emoji < fullwidth, "JavaScript compares UTF-16 code units")
    assert.isAbove(Keys.compare(emoji, fullwidth), 0)
    assert.strictEqual(Keys.compare("a", "a"), 0)
    assert.isBelow(Keys.compare("a", "ab"), 0)
    assert.isBelow(Keys.compare("B", "a"), 0)
  })

  it("agrees with comparing the UTF-8 bytes, for every pair of short strings over awkward characters", () => {
    const chars = ["", "a", "B", "/", "é", "中", "\uE000", "\uFFFF", "😀", "\u{10FFFF}", "ｚ"]
    const strings = chars.flatMap((x) => chars.map((y) => x + y))
    for (const a of strings) {
      for (const b of strings) {
        const bytes = Math.sign(Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")))
        assert.strictEqual(Math.sign(Keys.compare(a, b)), bytes, `${a} vs ${b}`)
      }
    }
  })
})
