/**
 * What an input is, decided from its bytes alone (magic numbers), and whether what the caller
 * declared about it (content type, file name) agrees.
 */

import mime from "mime"

/** The formats the pipeline accepts. */
export type InputFormat = "jpeg" | "png" | "webp" | "avif" | "gif"

export type Detection =
  | { readonly supported: true; readonly format: InputFormat }
  | { readonly supported: false; readonly detected: string }

/** What a caller said about an upload: its Content-Type and/or its file name. Both optional. */
export interface Declared {
  readonly contentType?: string | undefined
  readonly filename?: string | undefined
}

const ascii = (bytes: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)))

const startsWith = (bytes: Uint8Array, prefix: ReadonlyArray<number>, at = 0) =>
  bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b)

const supported = (format: InputFormat): Detection => ({ supported: true, format })
const unsupported = (detected: string): Detection => ({ supported: false, detected })

/** ISO-BMFF (`ftyp` box): AVIF when a brand says avif/avis, HEIC for the other HEIF brands. */
const isoBmff = (bytes: Uint8Array): Detection | undefined => {
  if (ascii(bytes, 4, 8) !== "ftyp") return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const boxSize = bytes.length >= 4 ? view.getUint32(0) : 0
  const brands = [ascii(bytes, 8, 12)]
  for (let at = 16; at + 4 <= Math.min(boxSize, bytes.length, 256); at += 4) brands.push(ascii(bytes, at, at + 4))
  if (brands.some((b) => b === "avif" || b === "avis")) return supported("avif")
  if (brands.some((b) => ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"].includes(b))) {
    return unsupported("heic")
  }
  return unsupported(`iso-bmff (${brands[0]?.trim() ?? "?"})`)
}

/** Text that starts like markup: SVG when an `<svg` element appears near the start. */
const markup = (bytes: Uint8Array): Detection | undefined => {
  let at = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0
  while (at < bytes.length && [0x09, 0x0a, 0x0d, 0x20].includes(bytes[at]!)) at++
  if (bytes[at] !== 0x3c) return undefined // "<"
  const head = ascii(bytes, at, at + 4096).toLowerCase()
  return unsupported(head.includes("<svg") ? "svg" : "markup (xml/html)")
}

/** The format of `bytes`, from their first bytes only. */
export const detectFormat = (bytes: Uint8Array): Detection => {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return supported("jpeg")
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return supported("png")
  if (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a") return supported("gif")
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return supported("webp")
  const bmff = isoBmff(bytes)
  if (bmff) return bmff
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return unsupported("tiff")
  if (ascii(bytes, 0, 2) === "BM") return unsupported("bmp")
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return unsupported("ico")
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20]))
    return unsupported("jxl")
  if (ascii(bytes, 0, 5) === "%PDF-") return unsupported("pdf")
  return markup(bytes) ?? unsupported("unknown")
}

// --- declarations ----------------------------------------------------------------------

/** Content types that say nothing about the format; a declaration with one of them is ignored. */
const GENERIC_TYPES = new Set(["", "application/octet-stream", "binary/octet-stream", "application/unknown"])

const TYPE_FORMATS: Readonly<Record<string, string>> = {
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/pjpeg": "jpeg",
  "image/png": "png",
  "image/apng": "png",
  "image/webp": "webp",
  "image/avif": "avif",
  "image/gif": "gif",
  "image/svg+xml": "svg",
  "image/heic": "heic",
  "image/heif": "heic",
  "image/tiff": "tiff",
  "image/bmp": "bmp",
  "image/jxl": "jxl",
  "application/pdf": "pdf"
}

const EXTENSION_FORMATS: Readonly<Record<string, string>> = {
  jpg: "jpeg",
  jpeg: "jpeg",
  jpe: "jpeg",
  jfif: "jpeg",
  png: "png",
  apng: "png",
  webp: "webp",
  avif: "avif",
  gif: "gif",
  svg: "svg",
  svgz: "svg",
  heic: "heic",
  heif: "heic",
  tif: "tiff",
  tiff: "tiff",
  bmp: "bmp",
  jxl: "jxl",
  pdf: "pdf"
}

export interface DeclarationConflict {
  /** The declaration verbatim (the content type or the file name). */
  readonly declared: string
  readonly declaredFormat: string
}

/**
 * The first declaration that disagrees with the detected format, if any.
 *
 * The bytes decide what a file is. A declaration only counts when it names a type: a generic
 * content type (`application/octet-stream`) or a file name without a known extension is ignored.
 * A declared content type or extension naming any other format than the bytes' is a conflict —
 * an image format, or something that is not an image at all (`notes.txt`, `text/html`): a
 * client that says it sends a text file is not sending a photo, whatever the bytes look like.
 */
export const declarationConflict = (declared: Declared, detected: InputFormat): DeclarationConflict | undefined => {
  const contentType = declared.contentType?.split(";")[0]?.trim().toLowerCase()
  if (contentType !== undefined && !GENERIC_TYPES.has(contentType)) {
    const format = TYPE_FORMATS[contentType] ?? contentType
    if (format !== detected) return { declared: declared.contentType!, declaredFormat: format }
  }
  const name = declared.filename?.trim()
  const dot = name?.lastIndexOf(".") ?? -1
  if (name !== undefined && dot > 0) {
    const extension = name.slice(dot + 1).toLowerCase()
    const type = mime.getType(extension)
    const format = EXTENSION_FORMATS[extension] ?? (type === null || GENERIC_TYPES.has(type) ? undefined : type)
    if (format !== undefined && format !== detected) return { declared: name, declaredFormat: format }
  }
  return undefined
}
