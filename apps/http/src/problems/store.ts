/**
 * storage-core's errors as problems: whose fault it is decides the status — the caller's (4xx),
 * our configuration's (500), the driver's (501) or the store's (502, 503).
 */
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
import { HttpApiError } from "effect/http-api"
import {
  InvalidKeyProblem,
  NotFound,
  PayloadTooLarge,
  PreconditionFailedProblem,
  type ProblemTable,
  problemType,
  RangeNotSatisfiableProblem,
  ServiceUnavailable
} from "./base.js"

export class StoreFailure extends HttpApiError.Problem<StoreFailure>()("StoreFailure", {
  type: problemType("store-failure"),
  status: 500,
  title: "Storage misconfigured"
}) {}

export class NotImplemented extends HttpApiError.Problem<NotImplemented>()("NotImplemented", {
  type: problemType("not-implemented"),
  status: 501,
  title: "Not implemented"
}) {}

export class BadGateway extends HttpApiError.Problem<BadGateway>()("BadGateway", {
  type: problemType("store-refused"),
  status: 502,
  title: "The store refused or failed the request"
}) {}

/** The problems any store call may end in, besides its specific ones (for endpoint error lists). */
export const storeProblems = [StoreFailure, NotImplemented, BadGateway, ServiceUnavailable] as const

/** The storage-core errors the API maps. */
export type StoreFault =
  | InvalidKey
  | ObjectNotFound
  | PreconditionFailed
  | ObjectTooLarge
  | RangeNotSatisfiable
  | AccessDenied
  | BucketNotFound
  | Throttled
  | TransportError
  | UnsupportedByDriver
  | NotImplementedByEndpoint

export const storeTable = {
  InvalidKey: (e) => new InvalidKeyProblem({ detail: e.message }),
  ObjectNotFound: (e) => new NotFound({ detail: e.message }),
  PreconditionFailed: (e) => new PreconditionFailedProblem({ detail: e.message }),
  ObjectTooLarge: (e) => new PayloadTooLarge({ detail: e.message }),
  RangeNotSatisfiable: (e) => new RangeNotSatisfiableProblem({ detail: e.message }),
  // Our credentials or our bucket name are wrong: a configuration problem on our side.
  AccessDenied: (e) => new StoreFailure({ detail: e.message }),
  BucketNotFound: (e) => new StoreFailure({ detail: e.message }),
  Throttled: (e) => new ServiceUnavailable({ detail: e.message }),
  // A store that cannot be reached, stalls, or itself kept answering 503 (S3 throttles a HEAD
  // with a bare 503) is a passing condition (503 + Retry-After: try again); any other transport
  // failure is the store answering badly (502).
  TransportError: (e) =>
    e.unreachable === true || e.status === 503
      ? new ServiceUnavailable({ detail: e.message })
      : new BadGateway({ detail: e.message }),
  UnsupportedByDriver: (e) => new NotImplemented({ detail: e.message }),
  NotImplementedByEndpoint: (e) => new NotImplemented({ detail: e.message })
} satisfies ProblemTable<StoreFault>
