/**
 * The problems (RFC 9457) every part of the API shares, and the one place the problem `type`
 * URNs are made (`urn:localex:problem:<name>`). Domain tables (store.ts, photos.ts) map a
 * package's errors onto these or onto their own problem classes.
 */
import { HttpServerResponse, ProblemDetails } from "effect/http"
import { HttpApiError } from "effect/http-api"

const URN_BASE = "urn:localex:problem:"

/** The problem `type` for `name`: the only place the URN base is written. */
export const problemType = <const Name extends string>(name: Name) => `${URN_BASE}${name}` as const

/** A problem response outside an endpoint's typed errors (router, guards, middleware). */
export const problemResponse = (problem: {
  readonly name: string
  readonly status: number
  readonly title: string
  readonly detail: string
  readonly headers?: Readonly<Record<string, string>>
}): HttpServerResponse.HttpServerResponse => {
  const response = ProblemDetails.toResponse({
    type: problemType(problem.name),
    status: problem.status,
    title: problem.title,
    detail: problem.detail
  })
  return problem.headers === undefined ? response : HttpServerResponse.setHeaders(response, problem.headers)
}

/**
 * How one domain's errors become problems: one entry per error tag (the compiler checks that
 * every tag of the union has one). An entry may look at the error's fields (e.g. its reason).
 */
export type ProblemTable<E extends { readonly _tag: string }> = {
  readonly [K in E["_tag"]]: (error: Extract<E, { readonly _tag: K }>) => unknown
}

export class InvalidKeyProblem extends HttpApiError.Problem<InvalidKeyProblem>()("InvalidKeyProblem", {
  type: problemType("invalid-key"),
  status: 400,
  title: "Invalid key"
}) {}

export class BadRequest extends HttpApiError.Problem<BadRequest>()("BadRequest", {
  type: problemType("bad-request"),
  status: 400,
  title: "Bad request"
}) {}

export class Unauthorized extends HttpApiError.Problem<Unauthorized>()("Unauthorized", {
  type: problemType("unauthorized"),
  status: 401,
  title: "Unauthorized"
}) {}

export class Forbidden extends HttpApiError.Problem<Forbidden>()("Forbidden", {
  type: problemType("forbidden"),
  status: 403,
  title: "Forbidden"
}) {}

export class NotFound extends HttpApiError.Problem<NotFound>()("NotFound", {
  type: problemType("not-found"),
  status: 404,
  title: "Not found"
}) {}

export class PreconditionFailedProblem extends HttpApiError.Problem<PreconditionFailedProblem>()(
  "PreconditionFailedProblem",
  { type: problemType("precondition-failed"), status: 412, title: "Precondition failed" }
) {}

export class PayloadTooLarge extends HttpApiError.Problem<PayloadTooLarge>()("PayloadTooLarge", {
  type: problemType("payload-too-large"),
  status: 413,
  title: "Payload too large"
}) {}

export class RangeNotSatisfiableProblem extends HttpApiError.Problem<RangeNotSatisfiableProblem>()(
  "RangeNotSatisfiableProblem",
  { type: problemType("range-not-satisfiable"), status: 416, title: "Range not satisfiable" }
) {}

export class ServiceUnavailable extends HttpApiError.Problem<ServiceUnavailable>()("ServiceUnavailable", {
  type: problemType("unavailable"),
  status: 503,
  title: "Service unavailable"
}) {}
