/**
 * The byte-keyed tables of the analysis' hot path: found by bytes wherever the bytes sit, bounded,
 * and (ByteTally) counting by decoded name, so two spellings of one key are one row.
 */
import { assert, describe, it } from "@effect/vitest"
import { ByteMap } from "../src/internal/byteMap.js"
import { ByteTally } from "../src/internal/tally.js"

const bytes = (text: string) => Buffer.from(text, "utf8")

describe("ByteMap", () => {
  it("finds a key by its bytes at any offset, and tells similar keys apart", () => {
    const map = new ByteMap<number>(10_000)
    for (let i = 0; i < 5000; i++) {
      const key = bytes(`items/${i}/photo.jpg`)
      assert.strictEqual(map.get(key, 0, key.length), undefined)
      map.set(key, 0, key.length, i)
    }
    assert.strictEqual(map.size, 5000)
    // The same bytes inside a longer line (the way the analysis looks them up).
    const line = bytes("REST.GET.OBJECT items/4321/photo.jpg 200")
    assert.strictEqual(map.get(line, 16, 36), 4321)
    assert.strictEqual(map.get(line, 16, 35), undefined) // a prefix is another key
    const empty = bytes("")
    map.set(empty, 0, 0, -1)
    assert.strictEqual(map.get(line, 3, 3), -1)
  })

  it("keeps at most `capacity` keys and none longer than `maxKeyBytes`", () => {
    const map = new ByteMap<string>(2, 8)
    for (const key of ["a", "b", "c"]) map.set(bytes(key), 0, 1, key)
    assert.strictEqual(map.size, 2)
    assert.strictEqual(map.get(bytes("c"), 0, 1), undefined)
    const small = new ByteMap<string>(10, 8)
    small.set(bytes("123456789"), 0, 9, "long")
    assert.strictEqual(small.get(bytes("123456789"), 0, 9), undefined)
    small.set(bytes("12345678"), 0, 8, "fits")
    assert.strictEqual(small.get(bytes("12345678"), 0, 8), "fits")
  })
})

describe("ByteTally", () => {
  const keyName = (b: Buffer, start: number, end: number) => decodeURIComponent(b.toString("utf8", start, end))

  it("counts by decoded name: two spellings of one key are one row", () => {
    const tally = new ByteTally(10, keyName)
    for (const raw of ["caf%C3%A9.jpg", "café.jpg", "caf%C3%A9.jpg", "other.jpg"]) {
      const b = bytes(raw)
      tally.addBytes(b, 0, b.length, 100)
    }
    assert.deepStrictEqual(tally.top(5), [
      { name: "café.jpg", count: 3, bytes: 300 },
      { name: "other.jpg", count: 1, bytes: 100 }
    ])
    assert.strictEqual(tally.truncated, false)
  })

  it("counts names past its capacity as untracked, however often they come back", () => {
    const tally = new ByteTally(1, keyName)
    for (const raw of ["a", "b", "b", "a"]) tally.addBytes(bytes(raw), 0, 1)
    assert.deepStrictEqual(tally.top(5), [{ name: "a", count: 2, bytes: 0 }])
    assert.strictEqual(tally.untracked, 2)
    assert.strictEqual(tally.truncated, true)
  })
})
