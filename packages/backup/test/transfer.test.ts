/**
 * Large objects without `localex-sha256` (a stream above the multipart threshold and above the
 * in-memory hashing limit, written through the drivers' own layers): the backup's copy hashes
 * the source streaming and carries the checksum, into fs and into a multipart upload on the local
 * RGW; copied again create-only (a retry), the 412 finds that copy and succeeds; a stream that
 * does not hash as announced stores nothing on either (no object, no upload left behind).
 */
import { ListMultipartUploadsCommand } from "@aws-sdk/client-s3"
import { assert, describe, it } from "@effect/vitest"
import { ContentChecksum, type ObjectStore } from "@localex/storage-core"
import { Effect, Stream } from "effect"
import { ChecksumMismatch } from "../src/Errors.js"
import { BUFFER_BYTES, copyObject } from "../src/internal/transfer.js"
import { bytesOf, engine, fsSide, s3Side, seeded } from "./support.js"

const SIZE = 12 * 1024 * 1024
const bytes = seeded(SIZE, 5)
const sum = ContentChecksum.sha256Hex(bytes)

/** The bytes as a stream of 1 MiB chunks, of unannounced length. */
const chunks = () =>
  Stream.fromIterable(Array.from({ length: SIZE / 2 ** 20 }, (_, i) => bytes.subarray(i * 2 ** 20, (i + 1) * 2 ** 20)))

const scenario = (destination: ObjectStore["Service"]) =>
  Effect.gen(function* () {
    assert.isAbove(SIZE, BUFFER_BYTES, "above the in-memory hashing limit: hashed streaming")
    const source = (yield* fsSide("", { raw: true })).store
    yield* source.put("big.bin", chunks())
    assert.isUndefined(ContentChecksum.of(yield* source.head("big.bin")), "the driver's own layer wrote none")

    const copied = yield* copyObject(source, "big.bin", destination, "big.bin", { ifNoneMatch: "*" })
    assert.strictEqual(ContentChecksum.of(copied), sum)
    assert.strictEqual(ContentChecksum.of(yield* destination.head("big.bin")), sum)
    assert.isTrue((yield* bytesOf(destination, "big.bin")).equals(Buffer.from(bytes)))
    // Copied again create-only (a retry whose first answer was lost): the 412 finds this very copy.
    const again = yield* copyObject(source, "big.bin", destination, "big.bin", { ifNoneMatch: "*" })
    assert.strictEqual(again.etag, copied.etag)
    // Something else there: a real conflict.
    yield* destination.put("other.bin", seeded(SIZE, 6))
    yield* source.put("other.bin", chunks())
    const conflict = yield* Effect.flip(copyObject(source, "other.bin", destination, "other.bin", { ifNoneMatch: "*" }))
    assert.strictEqual(conflict._tag, "PreconditionFailed")

    // The write the copy relies on: a stream failing its check at the very end stores nothing.
    const wrong = "0".repeat(64)
    const refused = yield* Effect.flip(
      destination.put(
        "bad.bin",
        ContentChecksum.verifying(
          chunks(),
          wrong,
          (actual) => new ChecksumMismatch({ key: "bad.bin", expected: wrong, actual })
        ),
        { contentLength: SIZE, metadata: { [ContentChecksum.METADATA_NAME]: wrong } }
      )
    )
    assert.include(refused.message, sum, "the error names the hash the bytes had")
    assert.isFalse(yield* destination.exists("bad.bin"))
    return copied
  })

describe("large objects without a checksum", () => {
  it.live("into fs: the copy carries the checksum computed streaming; a bad stream stores nothing", () =>
    Effect.scoped(Effect.flatMap(fsSide("", { raw: true }), (side) => scenario(side.store)))
  )

  it.live.skipIf(!engine)(
    "into RGW (multipart): the copy carries the checksum; a bad stream stores nothing and leaves no upload",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const { side, bucket, raw } = yield* s3Side({ raw: true })
          const copied = yield* scenario(side.store)
          assert.match(copied.etag, /-\d+$/, "a multipart upload")
          const uploads = yield* Effect.promise(() => raw.send(new ListMultipartUploadsCommand({ Bucket: bucket })))
          assert.deepStrictEqual(uploads.Uploads ?? [], [], "the failed upload was aborted")
        })
      ),
    60_000
  )
})
