/**
 * Every error this API answers with is an RFC 9457 problem (`application/problem+json`:
 * type, title, status, detail). Store errors are mapped here, once, to the status that says
 * whose fault it is: the caller's (4xx) or ours / the store's (5xx).
 */

import type {
  AccessDenied,
  BucketNotFound,
  InvalidKey,
  ObjectNotFound,
  ObjectTooLarge,
  PreconditionFailed,
  RangeNotSatisfiable,
  Throttled,
  TransportError,
  UnsupportedByDriver
} from "@localex/storage-core"
import { Effect } from "effect"
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

/** The problems any store call may end in, besides its specific ones. */
export const storeProblems = [StoreFailure, NotImplemented, BadGateway, ServiceUnavailable] as const

type StoreFault = AccessDenied | BucketNotFound | Throttled | TransportError | UnsupportedByDriver

type Mapped<E> =
  | (E extends InvalidKey ? InvalidKeyProblem : never)
  | (E extends ObjectNotFound ? NotFound : never)
  | (E extends PreconditionFailed ? PreconditionFailedProblem : never)
  | (E extends ObjectTooLarge ? PayloadTooLarge : never)
  | (E extends RangeNotSatisfiable ? RangeNotSatisfiableProblem : never)
  | (E extends AccessDenied | TransportError ? BadGateway : never)
  | (E extends BucketNotFound ? StoreFailure : never)
  | (E extends UnsupportedByDriver ? NotImplemented : never)
  | (E extends Throttled ? ServiceUnavailable : never)

type KnownError = InvalidKey | ObjectNotFound | PreconditionFailed | ObjectTooLarge | RangeNotSatisfiable | StoreFault

/** The problem for a store error: its message becomes the problem's `detail`. */
export const toProblem = <E extends KnownError>(error: E): Mapped<E> => {
  const detail = error.message
  switch (error._tag) {
    case "InvalidKey":
      return new InvalidKeyProblem({ detail }) as Mapped<E>
    case "ObjectNotFound":
      return new NotFound({ detail }) as Mapped<E>
    case "PreconditionFailed":
      return new PreconditionFailedProblem({ detail }) as Mapped<E>
    case "ObjectTooLarge":
      return new PayloadTooLarge({ detail }) as Mapped<E>
    case "RangeNotSatisfiable":
      return new RangeNotSatisfiableProblem({ detail }) as Mapped<E>
    case "AccessDenied":
    case "TransportError":
      return new BadGateway({ detail }) as Mapped<E>
    case "BucketNotFound":
      return new StoreFailure({ detail }) as Mapped<E>
    case "UnsupportedByDriver":
      return new NotImplemented({ detail }) as Mapped<E>
    case "Throttled":
      return new ServiceUnavailable({ detail }) as Mapped<E>
  }
}

/** Maps a store call's errors to problems. */
export const problems = <A, E extends KnownError, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.mapError(effect, toProblem)
