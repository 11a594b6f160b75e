/**
 * The one file of a photo upload (`multipart/form-data`), read with effect's multipart parser
 * and capped at `maxBytes` (IMAGE_MAX_INPUT_BYTES): a request whose Content-Length is already
 * too big is refused before its body is read, and a file that grows past the cap stops the
 * reading there. Either way the answer is 413 and nothing is stored. Text fields are ignored;
 * a second file part is refused.
 */

import { Effect, Stream } from "effect"
import { Multipart } from "effect/http"
import { BadRequest, PayloadTooLarge } from "./Problems.js"

export interface PhotoFile {
  readonly bytes: Uint8Array
  /** The part's Content-Type (application/octet-stream when the client sent none). */
  readonly contentType: string
  /** The part's file name (the field name when it had none). */
  readonly filename: string
}

const MiB = 1024 * 1024
const size = (bytes: number) => (bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`)

/** Room for the multipart framing and a few small text fields around the file. */
const FRAMING_BYTES = 64 * 1024

const tooLarge = (limit: number, bytes?: number) =>
  new PayloadTooLarge({
    detail: `The ${bytes === undefined ? "photo is" : `upload is ${size(bytes)},`} over the limit of ${size(limit)} (IMAGE_MAX_INPUT_BYTES): send a smaller file`
  })

const HOW = 'send multipart/form-data with the photo as a file part, e.g. curl -F "file=@photo.jpg"'

const reachedLimit = (cause: unknown) =>
  typeof cause === "object" && cause !== null && "_tag" in cause && cause._tag === "ReachedLimit"

const fromMultipartError = (limit: number) => (error: Multipart.MultipartError) => {
  // A limit reached while a file's bytes are being read fails that file's stream as InternalError.
  if (error.reason._tag === "InternalError" && reachedLimit(error.reason.cause)) return tooLarge(limit)
  switch (error.reason._tag) {
    case "FileTooLarge":
    case "BodyTooLarge":
      return tooLarge(limit)
    case "TooManyParts":
    case "FieldTooLarge":
      return new BadRequest({ detail: `The form has too many or too large fields: ${HOW}` })
    default:
      return new BadRequest({
        detail: `The body is not valid multipart/form-data, or ended early (${error.reason._tag}): ${HOW}`
      })
  }
}

/** The bytes of `file`, failing as soon as they pass `limit`. */
const collect = (file: Multipart.File, limit: number) =>
  Effect.suspend(() => {
    const chunks: Array<Uint8Array> = []
    let total = 0
    return file.content.pipe(
      Stream.runForEach((chunk) => {
        total += chunk.length
        if (total > limit) return Effect.fail(tooLarge(limit))
        chunks.push(chunk)
        return Effect.void
      }),
      Effect.mapError((error) => (error._tag === "MultipartError" ? fromMultipartError(limit)(error) : error)),
      Effect.map(
        (): PhotoFile => ({
          bytes: Buffer.concat(chunks, total),
          contentType: file.contentType,
          filename: file.name
        })
      )
    )
  })

/** Reads the single file part of `parts` (the request's multipart stream), at most `limit` bytes of it. */
export const readPhoto = Effect.fnUntraced(function* (
  parts: Stream.Stream<Multipart.Part, Multipart.MultipartError>,
  headers: Readonly<Record<string, string | undefined>>,
  limit: number
) {
  const declared = Number(headers["content-length"])
  if (Number.isSafeInteger(declared) && declared > limit + FRAMING_BYTES) return yield* tooLarge(limit, declared)
  let photo: PhotoFile | undefined
  yield* parts.pipe(
    // The parser's own limits stop a body that is far too big (its counts include part headers).
    Stream.provideContext(
      Multipart.limitsServices({
        maxParts: 16,
        maxFieldSize: FRAMING_BYTES,
        maxFileSize: limit + FRAMING_BYTES,
        maxTotalSize: limit + FRAMING_BYTES
      })
    ),
    Stream.mapError(fromMultipartError(limit)),
    // Each file's bytes are read before the parser moves on to the next part.
    Stream.runForEach((part) => {
      if (part._tag !== "File") return Effect.void
      if (photo !== undefined) {
        return Effect.fail(new BadRequest({ detail: `Send one photo per request (a second file part "${part.name}")` }))
      }
      return Effect.map(collect(part, limit), (file) => {
        photo = file
      })
    })
  )
  if (photo === undefined) return yield* new BadRequest({ detail: `No file in the form: ${HOW}` })
  return photo
})
