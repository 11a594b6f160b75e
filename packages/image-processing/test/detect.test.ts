import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { declarationConflict, detectFormat } from "../src/detect.js"
import { photoAs, pngClaiming, randomBytes, svgImage } from "../src/testing.js"

const detected = (bytes: Uint8Array) => {
  const d = detectFormat(bytes)
  return d.supported ? d.format : `unsupported:${d.detected}`
}

describe("detectFormat", () => {
  it.effect("recognises every accepted format by its bytes, as sharp wrote them", () =>
    Effect.gen(function* () {
      for (const format of ["jpeg", "png", "webp", "avif", "gif"] as const) {
        const bytes = yield* Effect.promise(() => photoAs(format, 64, 48))
        assert.strictEqual(detected(bytes), format, format)
      }
    })
  )

  it.effect("names what it refuses", () =>
    Effect.gen(function* () {
      const tiff = yield* Effect.promise(() => photoAs("tiff", 16, 16))
      assert.strictEqual(detected(tiff), "unsupported:tiff")
      assert.strictEqual(detected(svgImage()), "unsupported:svg")
      assert.strictEqual(detected(Buffer.from("\ufeff  <svg xmlns='http://www.w3.org/2000/svg'/>")), "unsupported:svg")
      assert.strictEqual(detected(Buffer.from("<!doctype html><html></html>")), "unsupported:markup (xml/html)")
      assert.strictEqual(detected(Buffer.from("%PDF-1.7\n")), "unsupported:pdf")
      assert.strictEqual(detected(randomBytes(1024)), "unsupported:unknown")
      const heic = Buffer.from([0, 0, 0, 0x18, ...Buffer.from("ftypheic"), 0, 0, 0, 0, ...Buffer.from("mif1heic")])
      assert.strictEqual(detected(heic), "unsupported:heic")
    })
  )

  it("decides by bytes, not by what a name says: a PNG is a PNG", () => {
    assert.strictEqual(detected(pngClaiming(10, 10)), "png")
    assert.strictEqual(detected(new Uint8Array([0xff, 0xd8])), "unsupported:unknown") // too short for JPEG's magic
  })
})

describe("declarationConflict", () => {
  it("accepts declarations that agree, or that say nothing about the format", () => {
    assert.isUndefined(declarationConflict({ contentType: "image/jpeg", filename: "IMG_0001.JPG" }, "jpeg"))
    assert.isUndefined(declarationConflict({ contentType: "image/jpeg; charset=binary" }, "jpeg"))
    assert.isUndefined(declarationConflict({ contentType: "application/octet-stream", filename: "upload" }, "png"))
    assert.isUndefined(declarationConflict({ filename: "scan.jfif" }, "jpeg"))
    assert.isUndefined(declarationConflict({ filename: "photo.final" }, "webp"))
    assert.isUndefined(declarationConflict({}, "gif"))
  })

  it("reports a name or content type that says the file is not an image at all", () => {
    assert.deepStrictEqual(declarationConflict({ filename: "notes.txt" }, "jpeg"), {
      declared: "notes.txt",
      declaredFormat: "text/plain"
    })
    assert.deepStrictEqual(declarationConflict({ contentType: "text/html" }, "png"), {
      declared: "text/html",
      declaredFormat: "text/html"
    })
    assert.isUndefined(declarationConflict({ filename: "upload.bin" }, "png"))
  })

  it("reports a JPEG name on PNG bytes, and a content type naming another format", () => {
    assert.deepStrictEqual(declarationConflict({ filename: "holiday.jpg" }, "png"), {
      declared: "holiday.jpg",
      declaredFormat: "jpeg"
    })
    assert.deepStrictEqual(declarationConflict({ contentType: "image/svg+xml" }, "png"), {
      declared: "image/svg+xml",
      declaredFormat: "svg"
    })
    assert.deepStrictEqual(declarationConflict({ contentType: "image/x-weird" }, "jpeg"), {
      declared: "image/x-weird",
      declaredFormat: "image/x-weird"
    })
  })
})
