/**
 * Every error this API answers with is an RFC 9457 problem (`application/problem+json`:
 * type, title, status, detail). Store and image errors are mapped here, once, to the status
 * that says whose fault it is: the caller's (4xx) or ours / the store's (5xx). Every 503 also
 * carries `Retry-After` (see `ProblemResponses`).
 */

import type {
  CorruptImage,
  EmptyImage,
  ExtremeAspectRatio,
  FormatMismatch,
  ImageTooLarge,
  InvalidManifest,
  InvalidPhotoRef,
  PhotoDeleteIncomplete,
  PhotoNotFound,
  ProcessingTimeout,
  ProfilePhotoContention,
  ProfilePhotoNotFound,
  TooManyPixels,
  UnsupportedFormat
} from "@localex/image-processing"
import type {
  AccessDenied,
  BucketNotFound,
  InvalidKey,
  NotImplementedByEndpoint,
  ObjectNotFound,
  ObjectTooLarge,
  PreconditionFailed,
  RangeNotSatisfiable,
  Throttled,
  TransportError,
  UnsupportedByDriver
} from "@localex/storage-core"
import { Effect } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse, ProblemDetails } from "effect/http"
import { HttpApiError } from "effect/http-api"

const type = (name: string) => `urn:localex:problem:${name}` as const

export class InvalidKeyProblem extends HttpApiError.Problem<InvalidKeyProblem>()("InvalidKeyProblem", {
  type: type("invalid-key"),
  status: 400,
  title: "Invalid key"
}) {}

export class BadRequest extends HttpApiError.Problem<BadRequest>()("BadRequest", {
  type: type("bad-request"),
  status: 400,
  title: "Bad request"
}) {}

export class Unauthorized extends HttpApiError.Problem<Unauthorized>()("Unauthorized", {
  type: type("unauthorized"),
  status: 401,
  title: "Unauthorized"
}) {}

export class Forbidden extends HttpApiError.Problem<Forbidden>()("Forbidden", {
  type: type("forbidden"),
  status: 403,
  title: "Forbidden"
}) {}

export class NotFound extends HttpApiError.Problem<NotFound>()("NotFound", {
  type: type("not-found"),
  status: 404,
  title: "Not found"
}) {}

export class PreconditionFailedProblem extends HttpApiError.Problem<PreconditionFailedProblem>()(
  "PreconditionFailedProblem",
  { type: type("precondition-failed"), status: 412, title: "Precondition failed" }
) {}

export class PayloadTooLarge extends HttpApiError.Problem<PayloadTooLarge>()("PayloadTooLarge", {
  type: type("payload-too-large"),
  status: 413,
  title: "Payload too large"
}) {}

export class RangeNotSatisfiableProblem extends HttpApiError.Problem<RangeNotSatisfiableProblem>()(
  "RangeNotSatisfiableProblem",
  { type: type("range-not-satisfiable"), status: 416, title: "Range not satisfiable" }
) {}

export class StoreFailure extends HttpApiError.Problem<StoreFailure>()("StoreFailure", {
  type: type("store-failure"),
  status: 500,
  title: "Storage misconfigured"
}) {}

export class NotImplemented extends HttpApiError.Problem<NotImplemented>()("NotImplemented", {
  type: type("not-implemented"),
  status: 501,
  title: "Not implemented"
}) {}

export class BadGateway extends HttpApiError.Problem<BadGateway>()("BadGateway", {
  type: type("store-refused"),
  status: 502,
  title: "The store refused or failed the request"
}) {}

export class ServiceUnavailable extends HttpApiError.Problem<ServiceUnavailable>()("ServiceUnavailable", {
  type: type("unavailable"),
  status: 503,
  title: "Service unavailable"
}) {}

// --- photos -----------------------------------------------------------------------------

export class EmptyImageProblem extends HttpApiError.Problem<EmptyImageProblem>()("EmptyImageProblem", {
  type: type("empty-image"),
  status: 400,
  title: "Empty image"
}) {}

export class InvalidPhotoRefProblem extends HttpApiError.Problem<InvalidPhotoRefProblem>()("InvalidPhotoRefProblem", {
  type: type("invalid-photo-ref"),
  status: 400,
  title: "Invalid photo reference"
}) {}

export class UnsupportedImageFormat extends HttpApiError.Problem<UnsupportedImageFormat>()("UnsupportedImageFormat", {
  type: type("unsupported-image-format"),
  status: 415,
  title: "Unsupported image format"
}) {}

export class ImageFormatMismatch extends HttpApiError.Problem<ImageFormatMismatch>()("ImageFormatMismatch", {
  type: type("image-format-mismatch"),
  status: 415,
  title: "The file's name or type does not match its bytes"
}) {}

export class TooManyPixelsProblem extends HttpApiError.Problem<TooManyPixelsProblem>()("TooManyPixelsProblem", {
  type: type("too-many-pixels"),
  status: 422,
  title: "Image has too many pixels"
}) {}

export class AspectRatioProblem extends HttpApiError.Problem<AspectRatioProblem>()("AspectRatioProblem", {
  type: type("extreme-aspect-ratio"),
  status: 422,
  title: "Image is far longer than it is wide"
}) {}

export class CorruptImageProblem extends HttpApiError.Problem<CorruptImageProblem>()("CorruptImageProblem", {
  type: type("corrupt-image"),
  status: 422,
  title: "Image cannot be decoded"
}) {}

export class InvalidManifestProblem extends HttpApiError.Problem<InvalidManifestProblem>()("InvalidManifestProblem", {
  type: type("invalid-manifest"),
  status: 500,
  title: "Stored photo manifest is damaged"
}) {}

export class ProcessingTimeoutProblem extends HttpApiError.Problem<ProcessingTimeoutProblem>()(
  "ProcessingTimeoutProblem",
  { type: type("processing-timeout"), status: 503, title: "Image processing timed out" }
) {}

export class DeleteIncompleteProblem extends HttpApiError.Problem<DeleteIncompleteProblem>()(
  "DeleteIncompleteProblem",
  { type: type("delete-incomplete"), status: 503, title: "Photo partly deleted" }
) {}

/** The problems a photo upload may end in, besides the store's (see `imageProblems`). */
export const uploadProblems = [
  BadRequest,
  InvalidKeyProblem,
  EmptyImageProblem,
  PayloadTooLarge,
  UnsupportedImageFormat,
  ImageFormatMismatch,
  TooManyPixelsProblem,
  AspectRatioProblem,
  CorruptImageProblem,
  InvalidManifestProblem,
  ProcessingTimeoutProblem,
  DeleteIncompleteProblem
] as const

/** The problems any store call may end in, besides its specific ones. */
export const storeProblems = [StoreFailure, NotImplemented, BadGateway, ServiceUnavailable] as const

type StoreFault =
  | AccessDenied
  | BucketNotFound
  | Throttled
  | TransportError
  | UnsupportedByDriver
  | NotImplementedByEndpoint

type ImageFault =
  | EmptyImage
  | ImageTooLarge
  | UnsupportedFormat
  | FormatMismatch
  | TooManyPixels
  | ExtremeAspectRatio
  | CorruptImage
  | ProcessingTimeout
  | InvalidPhotoRef
  | PhotoNotFound
  | ProfilePhotoNotFound
  | ProfilePhotoContention
  | InvalidManifest
  | PhotoDeleteIncomplete

type Mapped<E> =
  | (E extends InvalidKey ? InvalidKeyProblem : never)
  | (E extends ObjectNotFound | PhotoNotFound | ProfilePhotoNotFound ? NotFound : never)
  | (E extends PreconditionFailed ? PreconditionFailedProblem : never)
  | (E extends ObjectTooLarge | ImageTooLarge ? PayloadTooLarge : never)
  | (E extends RangeNotSatisfiable ? RangeNotSatisfiableProblem : never)
  | (E extends TransportError ? BadGateway | ServiceUnavailable : never)
  | (E extends AccessDenied | BucketNotFound ? StoreFailure : never)
  | (E extends UnsupportedByDriver | NotImplementedByEndpoint ? NotImplemented : never)
  | (E extends Throttled | ProfilePhotoContention ? ServiceUnavailable : never)
  | (E extends EmptyImage ? EmptyImageProblem : never)
  | (E extends UnsupportedFormat ? UnsupportedImageFormat : never)
  | (E extends FormatMismatch ? ImageFormatMismatch : never)
  | (E extends TooManyPixels ? TooManyPixelsProblem : never)
  | (E extends ExtremeAspectRatio ? AspectRatioProblem : never)
  | (E extends CorruptImage ? CorruptImageProblem : never)
  | (E extends ProcessingTimeout ? ProcessingTimeoutProblem : never)
  | (E extends InvalidPhotoRef ? InvalidPhotoRefProblem : never)
  | (E extends InvalidManifest ? InvalidManifestProblem : never)
  | (E extends PhotoDeleteIncomplete ? DeleteIncompleteProblem : never)

type KnownError =
  | InvalidKey
  | ObjectNotFound
  | PreconditionFailed
  | ObjectTooLarge
  | RangeNotSatisfiable
  | StoreFault
  | ImageFault

/** The problem for a store or image error: its message becomes the problem's `detail`. */
export const toProblem = <E extends KnownError>(error: E): Mapped<E> => {
  const detail = error.message
  const problem = (() => {
    switch (error._tag) {
      case "InvalidKey":
        return new InvalidKeyProblem({ detail })
      case "ObjectNotFound":
      case "PhotoNotFound":
      case "ProfilePhotoNotFound":
        return new NotFound({ detail })
      case "PreconditionFailed":
        return new PreconditionFailedProblem({ detail })
      case "ObjectTooLarge":
      case "ImageTooLarge":
        return new PayloadTooLarge({ detail })
      case "RangeNotSatisfiable":
        return new RangeNotSatisfiableProblem({ detail })
      // A store that cannot be reached or stalls is unavailable for now (503, Retry-After);
      // one that answered wrongly is a bad gateway (502).
      case "TransportError":
        return error.unreachable === true ? new ServiceUnavailable({ detail }) : new BadGateway({ detail })
      // Our credentials or our bucket name are wrong: a configuration problem on our side.
      case "AccessDenied":
      case "BucketNotFound":
        return new StoreFailure({ detail })
      case "UnsupportedByDriver":
      case "NotImplementedByEndpoint":
        return new NotImplemented({ detail })
      case "Throttled":
      case "ProfilePhotoContention":
        return new ServiceUnavailable({ detail })
      case "EmptyImage":
        return new EmptyImageProblem({ detail })
      case "UnsupportedFormat":
        return new UnsupportedImageFormat({ detail })
      case "FormatMismatch":
        return new ImageFormatMismatch({ detail })
      case "TooManyPixels":
        return new TooManyPixelsProblem({ detail })
      case "ExtremeAspectRatio":
        return new AspectRatioProblem({ detail })
      case "CorruptImage":
        return new CorruptImageProblem({ detail })
      case "ProcessingTimeout":
        return new ProcessingTimeoutProblem({ detail })
      case "InvalidPhotoRef":
        return new InvalidPhotoRefProblem({ detail })
      case "InvalidManifest":
        return new InvalidManifestProblem({ detail })
      case "PhotoDeleteIncomplete":
        return new DeleteIncompleteProblem({ detail })
    }
  })()
  return problem as Mapped<E>
}

/** Maps a store or image call's errors to problems. */
export const problems = <A, E extends KnownError, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.mapError(effect, toProblem)

/** Seconds a client is asked to wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5

const isPlainText = (response: HttpServerResponse.HttpServerResponse) =>
  (response.headers["content-type"] ?? "").startsWith("text/plain")

/**
 * Around every response:
 * - a 503 (store throttled or down, image processing timed out, a delete to finish, shutting
 *   down) says when to try again: `Retry-After`, unless it already has one;
 * - the request decoder's plain-text 415 (a body in a content type the route does not take,
 *   e.g. raw bytes to a photo route) becomes a problem like every other error.
 */
export const ProblemResponses = HttpRouter.middleware(
  Effect.succeed((httpEffect) =>
    Effect.gen(function* () {
      const response = yield* httpEffect
      if (response.status === 503 && response.headers["retry-after"] === undefined) {
        return HttpServerResponse.setHeader(response, "retry-after", String(RETRY_AFTER_SECONDS))
      }
      if (response.status === 415 && isPlainText(response)) {
        const request = yield* HttpServerRequest.HttpServerRequest
        const sent = request.headers["content-type"]
        return ProblemDetails.toResponse({
          type: type("unsupported-media-type"),
          status: 415,
          title: "Unsupported media type",
          detail: `This route does not take ${sent === undefined ? "a body without a Content-Type" : `Content-Type "${sent}"`}: see /docs (photo uploads are multipart/form-data, e.g. curl -F "file=@photo.jpg")`
        })
      }
      return response
    })
  ),
  { global: true }
)
