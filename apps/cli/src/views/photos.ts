/** Views of photos: a manifest, a locally processed photo, a deleted photo. */
import type { DeletedPhoto, PhotoManifest, ProcessedPhoto } from "@localex/image-processing"
import { type Document, formatText } from "../Output.js"
import { bytes, columns } from "./format.js"

interface VariantRow {
  readonly size: string
  readonly format: string
  readonly width: number
  readonly height: number
  readonly bytes: number
}

/** size, format, width×height, bytes, and where it is (a file or a key). */
const variantLines = (variants: ReadonlyArray<VariantRow & { readonly at: string }>) =>
  columns(
    variants.map((v) => [v.size, v.format, `${v.width}×${v.height}`, bytes(v.bytes), v.at]),
    [2, 3]
  )

const sourceLine = (source: PhotoManifest["source"]) =>
  `${source.format} ${source.width}×${source.height} (${bytes(source.bytes)})`

/** A stored photo: its id, where it is, and its variants; the JSON is the manifest itself. */
export const photoManifest = (manifest: PhotoManifest): Document => ({
  primary: true,
  text: [
    ...formatText([
      ["photo id", manifest.photoId],
      ["prefix", manifest.prefix],
      ["source", sourceLine(manifest.source)],
      ["created", manifest.createdAt]
    ]),
    ...variantLines(manifest.variants.map((v) => ({ ...v, bytes: v.bytes, at: v.key })))
  ],
  json: manifest
})

/** Variants made locally and written to files (`paths`, in the order of `photo.variants`). */
export const processedPhoto = (photo: ProcessedPhoto, out: string, paths: ReadonlyArray<string>): Document => ({
  primary: true,
  text: [
    ...formatText([
      ["photo id", photo.photoId],
      ["source", sourceLine(photo.source)],
      ["written to", out]
    ]),
    ...variantLines(photo.variants.map((v, i) => ({ ...v, bytes: v.data.length, at: paths[i]! })))
  ],
  json: {
    photoId: photo.photoId,
    source: photo.source,
    out,
    variants: photo.variants.map((v, i) => ({
      size: v.size,
      format: v.format,
      contentType: v.contentType,
      width: v.width,
      height: v.height,
      bytes: v.data.length,
      path: paths[i]!
    }))
  }
})

/** The keys of a deleted photo, the manifest last. */
export const photoDeleted = (deleted: DeletedPhoto): Document => ({
  text: deleted.keys.map((key) => `deleted ${key}`),
  json: { prefix: deleted.prefix, deleted: deleted.keys }
})
