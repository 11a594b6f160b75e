/**
 * `localex-sha256`: what stores built from settings write (bytes, files of any size, sized streams), what
 * they leave alone (unsized streams, a checksum the caller gives), copies that replace metadata,
 * and a stream checked against a checksum.
 */
import { createHash } from "node:crypto"
import { appendFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { ContentChecksum, fromFile, Storage } from "../src/index.js"
import * as Testing from "../src/testing.js"

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

describe("content checksum", () => {
  it.live("stores built from settings write it on every put whose bytes are known first", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const root = Testing.tempDir("checksum")
        const { store } = yield* Storage.makeStore({ driver: "fs", root, publicUrl: "http://x", signingSecret: "s" })
        const bytes = Testing.bytes(1000, 3)
        assert.strictEqual(ContentChecksum.of(yield* store.put("a.bin", bytes)), sha(bytes))

        const file = path.join(root, "..", `${path.basename(root)}-upload.bin`)
        writeFileSync(file, bytes)
        assert.strictEqual(ContentChecksum.of(yield* store.put("file.bin", fromFile(file))), sha(bytes))
        // Above the buffer (and multipart) threshold a file is hashed by a streamed read first.
        const large = Testing.bytes(6 * 1024 * 1024 + 5, 7)
        writeFileSync(file, large)
        const largeInfo = yield* store.put("large.bin", fromFile(file))
        assert.strictEqual(ContentChecksum.of(largeInfo), sha(large))
        assert.strictEqual(largeInfo.size, large.length)

        const chunks = Stream.make(bytes.subarray(0, 10), bytes.subarray(10))
        const sized = yield* store.put("sized.bin", chunks, { contentLength: bytes.length })
        assert.strictEqual(ContentChecksum.of(sized), sha(bytes))
        const unsized = yield* store.put("unsized.bin", Stream.make(bytes))
        assert.isUndefined(ContentChecksum.of(unsized), "an unsized stream is not read twice")

        // A checksum the caller gives is kept (a wrong one fails the put: the ObjectStore contract).
        const given = sha(bytes)
        const vouched = yield* store.put("given.bin", bytes, { metadata: { [ContentChecksum.METADATA_NAME]: given } })
        assert.strictEqual(ContentChecksum.of(vouched), given)
        const refused = yield* Effect.flip(
          store.put("wrong.bin", bytes, { metadata: { [ContentChecksum.METADATA_NAME]: "0".repeat(64) } })
        )
        assert.strictEqual(refused._tag, "TransportError")
        assert.isFalse(yield* store.exists("wrong.bin"))

        const copied = yield* store.copy("a.bin", "b.bin", { replace: { metadata: { owner: "me" } } })
        assert.deepStrictEqual(copied.metadata, { owner: "me", [ContentChecksum.METADATA_NAME]: sha(bytes) })
      })
    )
  )

  it.live("a large file that changes while it is uploaded fails the put and leaves no object", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const root = Testing.tempDir("checksum-change")
        const { store: inner } = yield* Storage.makeStore({
          driver: "fs",
          root,
          publicUrl: "http://x",
          signingSecret: "s"
        })
        const file = path.join(root, "..", `${path.basename(root)}-growing.bin`)
        writeFileSync(file, Testing.bytes(6 * 1024 * 1024, 2))
        // Another writer appends to the file while the upload runs (after the hash was taken).
        const racing = ContentChecksum.withChecksums({
          ...inner,
          put: (key, body, options) =>
            Effect.tap(inner.put(key, body, options), () => Effect.sync(() => appendFileSync(file, "more")))
        })
        const error = yield* Effect.flip(racing.put("growing.bin", fromFile(file)))
        assert.strictEqual(error._tag, "TransportError")
        assert.include(error.message, "changed while")
        assert.isFalse(yield* inner.exists("growing.bin"))
      })
    )
  )

  it.effect("verifying fails a stream at its end when the bytes do not hash as expected", () =>
    Effect.gen(function* () {
      const bytes = Testing.bytes(100, 1)
      const ok = yield* Stream.runCollect(ContentChecksum.verifying(Stream.make(bytes), sha(bytes), (a) => a))
      assert.strictEqual(ok.length, 1)
      const error = yield* Effect.flip(
        Stream.runDrain(ContentChecksum.verifying(Stream.make(bytes), "f".repeat(64), (actual) => `got ${actual}`))
      )
      assert.strictEqual(error, `got ${sha(bytes)}`)
      assert.strictEqual(
        yield* ContentChecksum.ofStream(Stream.make(bytes.subarray(0, 50), bytes.subarray(50))),
        sha(bytes)
      )
    })
  )
})
