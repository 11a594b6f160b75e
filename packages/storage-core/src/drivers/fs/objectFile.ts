/**
 * The fs driver's object file: the object's bytes, then its metadata as JSON, then a 16-byte
 * footer `LXOBJ1:<JSON length, 8 hex digits>\n`.
 *
 * Bytes and metadata share one file so that one rename replaces both atomically, and a reader
 * holding the file open sees one consistent version however many writers come after it. The
 * content starts at offset 0, so ranges need no translation. The metadata goes last because
 * the ETag (MD5 of the content) is only known once the content has been streamed.
 */
import type { FileHandle } from "node:fs/promises"
import { Schema } from "effect"

/** What readMeta reads with: a FileHandle, or a wrapped descriptor. */
export interface PositionalReader {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>
}

export const StoredMeta = Schema.Struct({
  key: Schema.String,
  /** MD5 hex of the content. */
  etag: Schema.String,
  /** Epoch milliseconds, whole seconds (S3's precision). */
  lastModified: Schema.Number,
  contentType: Schema.optionalKey(Schema.String),
  cacheControl: Schema.optionalKey(Schema.String),
  contentDisposition: Schema.optionalKey(Schema.String),
  metadata: Schema.Record(Schema.String, Schema.String),
  tags: Schema.Record(Schema.String, Schema.String)
})
export type StoredMeta = typeof StoredMeta.Type

const decodeWithSchema = Schema.decodeUnknownOption(Schema.fromJsonString(StoredMeta))

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const isStringRecord = (value: unknown): value is Record<string, string> =>
  isObject(value) && Object.values(value).every((entry) => typeof entry === "string")

const optionalString = (value: unknown) => value === undefined || typeof value === "string"

/**
 * What the schema decodes, for metadata the schema accepts as written (every file this driver
 * writes): a download reads metadata on every request, and the schema's decoder starts an Effect
 * fiber per call, which cost more than the file's reads. Anything else is left to the schema,
 * which accepts or refuses it as before.
 */
const decodeWritten = (json: string): StoredMeta | undefined => {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return undefined
  }
  if (!isObject(value)) return undefined
  const { key, etag, lastModified, contentType, cacheControl, contentDisposition, metadata, tags } = value
  if (
    typeof key !== "string" ||
    typeof etag !== "string" ||
    typeof lastModified !== "number" ||
    !optionalString(contentType) ||
    !optionalString(cacheControl) ||
    !optionalString(contentDisposition) ||
    !isStringRecord(metadata) ||
    !isStringRecord(tags)
  ) {
    return undefined
  }
  return {
    key,
    etag,
    lastModified,
    ...(typeof contentType === "string" ? { contentType } : {}),
    ...(typeof cacheControl === "string" ? { cacheControl } : {}),
    ...(typeof contentDisposition === "string" ? { contentDisposition } : {}),
    metadata,
    tags
  }
}

const decodeMeta = (json: string): StoredMeta | undefined => {
  const written = decodeWritten(json)
  if (written !== undefined) return written
  const decoded = decodeWithSchema(json)
  return decoded._tag === "Some" ? decoded.value : undefined
}

const MAGIC = "LXOBJ1:"
export const FOOTER_BYTES = 16
// One read from the end usually covers footer and metadata.
const TAIL_READ = 4096

/** The bytes appended after the content. */
export const trailer = (meta: StoredMeta): Buffer => {
  const json = Buffer.from(JSON.stringify(meta), "utf8")
  const footer = Buffer.from(`${MAGIC}${json.length.toString(16).padStart(8, "0")}\n`, "latin1")
  return Buffer.concat([json, footer])
}

export class CorruptObjectFile extends Error {
  constructor(readonly reason: string) {
    super(`not a LocalEx object file: ${reason}`)
  }
}

/** Reads the metadata of an open object file of `fileSize` bytes; `size` is the content's length. */
export const readMeta = async (
  handle: PositionalReader,
  fileSize: number
): Promise<{ readonly meta: StoredMeta; readonly size: number }> => {
  if (fileSize < FOOTER_BYTES) throw new CorruptObjectFile("too short")
  const tailLength = Math.min(fileSize, TAIL_READ)
  const tail = Buffer.alloc(tailLength)
  await readExactly(handle, tail, fileSize - tailLength)
  const jsonLength = footerOf(tail, fileSize)
  if (jsonLength + FOOTER_BYTES <= tailLength) return parseMeta(tail, fileSize, jsonLength)
  const json = Buffer.alloc(jsonLength)
  await readExactly(handle, json, fileSize - FOOTER_BYTES - jsonLength)
  return parseMeta(Buffer.concat([json, tail.subarray(tailLength - FOOTER_BYTES)]), fileSize, jsonLength)
}

/** The metadata of a whole object file read into `file`; `size` is the content's length (its first bytes). */
export const metaOfFile = (file: Buffer): { readonly meta: StoredMeta; readonly size: number } => {
  if (file.length < FOOTER_BYTES) throw new CorruptObjectFile("too short")
  return parseMeta(file, file.length, footerOf(file, file.length))
}

/** The JSON length in the footer at the end of `tail` (the last bytes of a file of `fileSize` bytes). */
const footerOf = (tail: Buffer, fileSize: number): number => {
  const footer = tail.subarray(tail.length - FOOTER_BYTES).toString("latin1")
  const jsonLength = Number.parseInt(footer.slice(MAGIC.length, MAGIC.length + 8), 16)
  if (!footer.startsWith(MAGIC) || !Number.isFinite(jsonLength) || jsonLength + FOOTER_BYTES > fileSize) {
    throw new CorruptObjectFile("bad footer")
  }
  return jsonLength
}

/** The metadata in `tail` (the last bytes of a file of `fileSize` bytes: at least the JSON and the footer). */
const parseMeta = (tail: Buffer, fileSize: number, jsonLength: number) => {
  const end = tail.length - FOOTER_BYTES
  const meta = decodeMeta(tail.subarray(end - jsonLength, end).toString("utf8"))
  if (meta === undefined) throw new CorruptObjectFile("bad metadata")
  return { meta, size: fileSize - FOOTER_BYTES - jsonLength }
}

/** Fills `buffer` from `position`, or fails at end of file. */
export const readExactly = async (handle: PositionalReader, buffer: Uint8Array, position: number): Promise<void> => {
  let offset = 0
  while (offset < buffer.length) {
    const { bytesRead } = await handle.read(buffer, offset, buffer.length - offset, position + offset)
    if (bytesRead === 0) throw new CorruptObjectFile("unexpected end of file")
    offset += bytesRead
  }
}

/** Writes all of `bytes` at `position`, or at the handle's current position. */
export const writeAll = async (handle: FileHandle, bytes: Uint8Array, position?: number): Promise<void> => {
  let offset = 0
  while (offset < bytes.length) {
    const at = position === undefined ? null : position + offset
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, at)
    offset += bytesWritten
  }
}
