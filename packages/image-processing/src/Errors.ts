import { Schema } from "effect"

const MiB = 1024 * 1024
const size = (bytes: number) => (bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`)

/** The upload had no bytes at all. */
export class EmptyImage extends Schema.TaggedError<EmptyImage>()("EmptyImage", {}) {
  override get message() {
    return "The image is empty (0 bytes): send the file's contents"
  }
}

/** The input is bigger than IMAGE_MAX_INPUT_BYTES; refused before anything looks at its contents. */
export class ImageTooLarge extends Schema.TaggedError<ImageTooLarge>()("ImageTooLarge", {
  bytes: Schema.Number,
  limit: Schema.Number
}) {
  override get message() {
    return `The image is ${size(this.bytes)}, over the limit of ${size(this.limit)} (IMAGE_MAX_INPUT_BYTES): send a smaller file`
  }
}

/** The bytes are not JPEG, PNG, WebP, AVIF or GIF (SVG is always refused). `detected` names what they look like. */
export class UnsupportedFormat extends Schema.TaggedError<UnsupportedFormat>()("UnsupportedFormat", {
  detected: Schema.String
}) {
  override get message() {
    return `Unsupported image format (${this.detected}): send a JPEG, PNG, WebP, AVIF or GIF`
  }
}

/** A declared content type or file name says one format and the bytes are another. */
export class FormatMismatch extends Schema.TaggedError<FormatMismatch>()("FormatMismatch", {
  /** What the caller declared: the content type or the file name, verbatim. */
  declared: Schema.String,
  /** The format the declaration names ("jpeg", "png", …, or the bare extension / content type when it names none). */
  declaredFormat: Schema.String,
  /** The format the bytes are. */
  detected: Schema.String
}) {
  override get message() {
    return `"${this.declared}" says ${this.declaredFormat} but the bytes are ${this.detected}: rename the file or send the right content type`
  }
}

/** The header declares more pixels than IMAGE_MAX_INPUT_PIXELS (a decompression bomb, or just too big a photo). */
export class TooManyPixels extends Schema.TaggedError<TooManyPixels>()("TooManyPixels", {
  width: Schema.Number,
  height: Schema.Number,
  limit: Schema.Number
}) {
  override get message() {
    return `The image is ${this.width}×${this.height} (${(this.width * this.height).toLocaleString("en")} pixels), over the limit of ${this.limit.toLocaleString("en")} pixels (IMAGE_MAX_INPUT_PIXELS): send a smaller image`
  }
}

/**
 * One side is so much longer than the other that decoding would cost far more CPU than its pixel
 * count suggests (libvips works row by row: a 1 × 49,000,000 PNG takes half a minute), and the
 * smaller variants would be under a pixel wide. Refused from the header, before decoding.
 */
export class ExtremeAspectRatio extends Schema.TaggedError<ExtremeAspectRatio>()("ExtremeAspectRatio", {
  width: Schema.Number,
  height: Schema.Number,
  limit: Schema.Number
}) {
  override get message() {
    return `The image is ${this.width}×${this.height}, more than ${this.limit} times longer than it is wide (IMAGE_MAX_ASPECT_RATIO): send a photo that is not a sliver`
  }
}

/** The bytes start like a supported format but cannot be decoded (truncated, damaged). */
export class CorruptImage extends Schema.TaggedError<CorruptImage>()("CorruptImage", {
  format: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `The ${this.format} image cannot be decoded (${this.detail}): the file is damaged or incomplete, send it again`
  }
}

/** Processing took longer than IMAGE_TIMEOUT_MS. */
export class ProcessingTimeout extends Schema.TaggedError<ProcessingTimeout>()("ProcessingTimeout", {
  timeoutMs: Schema.Number
}) {
  override get message() {
    return `Processing the image took longer than ${this.timeoutMs} ms (IMAGE_TIMEOUT_MS): try a smaller image, or raise the limit`
  }
}

/** An image setting that cannot work; raised when the layer is built. */
export class ImageConfigError extends Schema.TaggedError<ImageConfigError>()("ImageConfigError", {
  setting: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Invalid image setting ${this.setting}: ${this.reason}`
  }
}

/** A photo reference that is not `items|profiles/{id}/photos/{photoId}[/manifest.json]`. */
export class InvalidPhotoRef extends Schema.TaggedError<InvalidPhotoRef>()("InvalidPhotoRef", {
  ref: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Invalid photo reference ${JSON.stringify(this.ref)}: ${this.reason}`
  }
}

/** No photo is stored under this prefix. */
export class PhotoNotFound extends Schema.TaggedError<PhotoNotFound>()("PhotoNotFound", {
  prefix: Schema.String
}) {
  override get message() {
    return `No photo at "${this.prefix}"`
  }
}

/** The user has no profile photo (never set, or deleted). */
export class ProfilePhotoNotFound extends Schema.TaggedError<ProfilePhotoNotFound>()("ProfilePhotoNotFound", {
  userId: Schema.String
}) {
  override get message() {
    return `User "${this.userId}" has no profile photo: set one first`
  }
}

/**
 * Other requests kept changing the user's profile photo while this one tried to: its photo is
 * stored, but it could not be made the profile photo. Trying again is safe.
 */
export class ProfilePhotoContention extends Schema.TaggedError<ProfilePhotoContention>()("ProfilePhotoContention", {
  userId: Schema.String,
  attempts: Schema.Number
}) {
  override get message() {
    return `The profile photo of "${this.userId}" changed ${this.attempts} times while this change was being made: try again`
  }
}

/** The stored manifest is not a manifest this package wrote. */
export class InvalidManifest extends Schema.TaggedError<InvalidManifest>()("InvalidManifest", {
  key: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `"${this.key}" is not a valid photo manifest: ${this.detail}`
  }
}

/** The store refused to delete some of a photo's objects; deleting the photo again finishes the job. */
export class PhotoDeleteIncomplete extends Schema.TaggedError<PhotoDeleteIncomplete>()("PhotoDeleteIncomplete", {
  prefix: Schema.String,
  failed: Schema.Array(Schema.String)
}) {
  override get message() {
    return `${this.failed.length} object(s) of "${this.prefix}" could not be deleted (${this.failed.join(", ")}): run the delete again`
  }
}

/** Why an input was refused before or while decoding: the caller sent something we will not process (HTTP 4xx). */
export type ImageRejected =
  | EmptyImage
  | ImageTooLarge
  | UnsupportedFormat
  | FormatMismatch
  | TooManyPixels
  | ExtremeAspectRatio
  | CorruptImage

/** Everything `process` and `optimizeImage` can fail with. */
export type ProcessError = ImageRejected | ProcessingTimeout

/** Every error of the photo rules (ImagePipeline, Photos), besides storage-core's: what an adapter maps (e.g. to HTTP statuses). */
export type PhotoError =
  | ProcessError
  | InvalidPhotoRef
  | PhotoNotFound
  | ProfilePhotoNotFound
  | ProfilePhotoContention
  | InvalidManifest
  | PhotoDeleteIncomplete
