/** image-processing's errors (its `PhotoError` union) as problems. */
import type { PhotoError } from "@localex/image-processing"
import { HttpApiError } from "effect/http-api"
import {
  BadRequest,
  InvalidKeyProblem,
  NotFound,
  PayloadTooLarge,
  type ProblemTable,
  problemType,
  ServiceUnavailable
} from "./base.js"

export class EmptyImageProblem extends HttpApiError.Problem<EmptyImageProblem>()("EmptyImageProblem", {
  type: problemType("empty-image"),
  status: 400,
  title: "Empty image"
}) {}

export class InvalidPhotoRefProblem extends HttpApiError.Problem<InvalidPhotoRefProblem>()("InvalidPhotoRefProblem", {
  type: problemType("invalid-photo-ref"),
  status: 400,
  title: "Invalid photo reference"
}) {}

export class UnsupportedImageFormat extends HttpApiError.Problem<UnsupportedImageFormat>()("UnsupportedImageFormat", {
  type: problemType("unsupported-image-format"),
  status: 415,
  title: "Unsupported image format"
}) {}

export class ImageFormatMismatch extends HttpApiError.Problem<ImageFormatMismatch>()("ImageFormatMismatch", {
  type: problemType("image-format-mismatch"),
  status: 415,
  title: "The file's name or type does not match its bytes"
}) {}

export class TooManyPixelsProblem extends HttpApiError.Problem<TooManyPixelsProblem>()("TooManyPixelsProblem", {
  type: problemType("too-many-pixels"),
  status: 422,
  title: "Image has too many pixels"
}) {}

export class AspectRatioProblem extends HttpApiError.Problem<AspectRatioProblem>()("AspectRatioProblem", {
  type: problemType("extreme-aspect-ratio"),
  status: 422,
  title: "Image is far longer than it is wide"
}) {}

export class CorruptImageProblem extends HttpApiError.Problem<CorruptImageProblem>()("CorruptImageProblem", {
  type: problemType("corrupt-image"),
  status: 422,
  title: "Image cannot be decoded"
}) {}

export class InvalidManifestProblem extends HttpApiError.Problem<InvalidManifestProblem>()("InvalidManifestProblem", {
  type: problemType("invalid-manifest"),
  status: 500,
  title: "Stored photo manifest is damaged"
}) {}

export class ProcessingTimeoutProblem extends HttpApiError.Problem<ProcessingTimeoutProblem>()(
  "ProcessingTimeoutProblem",
  { type: problemType("processing-timeout"), status: 503, title: "Image processing timed out" }
) {}

export class DeleteIncompleteProblem extends HttpApiError.Problem<DeleteIncompleteProblem>()(
  "DeleteIncompleteProblem",
  { type: problemType("delete-incomplete"), status: 503, title: "Photo partly deleted" }
) {}

/** The problems a photo upload may end in, besides the store's. */
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

export const photoTable = {
  EmptyImage: (e) => new EmptyImageProblem({ detail: e.message }),
  ImageTooLarge: (e) => new PayloadTooLarge({ detail: e.message }),
  UnsupportedFormat: (e) => new UnsupportedImageFormat({ detail: e.message }),
  FormatMismatch: (e) => new ImageFormatMismatch({ detail: e.message }),
  TooManyPixels: (e) => new TooManyPixelsProblem({ detail: e.message }),
  ExtremeAspectRatio: (e) => new AspectRatioProblem({ detail: e.message }),
  CorruptImage: (e) => new CorruptImageProblem({ detail: e.message }),
  ProcessingTimeout: (e) => new ProcessingTimeoutProblem({ detail: e.message }),
  InvalidPhotoRef: (e) => new InvalidPhotoRefProblem({ detail: e.message }),
  PhotoNotFound: (e) => new NotFound({ detail: e.message }),
  ProfilePhotoNotFound: (e) => new NotFound({ detail: e.message }),
  // Other requests kept changing the pointer: safe to retry.
  ProfilePhotoContention: (e) => new ServiceUnavailable({ detail: e.message }),
  InvalidManifest: (e) => new InvalidManifestProblem({ detail: e.message }),
  PhotoDeleteIncomplete: (e) => new DeleteIncompleteProblem({ detail: e.message })
} satisfies ProblemTable<PhotoError>
