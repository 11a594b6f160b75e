// image-processing (sharp, installed as the package's own dependency): a photo in, six variants out.
import assert from "node:assert/strict"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ImagePipeline } from "@localex/image-processing"
import { photoJpeg } from "@localex/image-processing/testing"
import * as Fs from "@localex/storage-core/fs"
import { Effect, Layer } from "effect"

const store = Fs.layer({ root: mkdtempSync(join(tmpdir(), "consumer-photos-")), publicUrl: "http://127.0.0.1:8080" })
const photo = await photoJpeg({ width: 1200, height: 900 })

const program = Effect.gen(function* () {
  const pipeline = yield* ImagePipeline
  const processed = yield* pipeline.process(photo, { filename: "IMG_0001.jpg" })
  return processed.variants.map((variant) => `${variant.size}.${variant.format}`).sort()
}).pipe(Effect.provide(ImagePipeline.layerConfig.pipe(Layer.provide(store))))

assert.deepEqual(await Effect.runPromise(program), [
  "large.jpeg",
  "large.webp",
  "medium.jpeg",
  "medium.webp",
  "thumbnail.jpeg",
  "thumbnail.webp"
])
console.log("ok")
