/** @localex/cdn's errors (those the admin CDN routes can end in) as problems. */
import type {
  CdnAwsError,
  CdnNotConfigured,
  InvalidationsThrottled,
  InvalidationWaitTimedOut,
  InvalidInvalidationPath,
  WarmTargetRefused
} from "@localex/cdn"
import { HttpApiError } from "effect/http-api"
import { BadRequest, type ProblemTable, problemType, ServiceUnavailable } from "./base.js"
import { BadGateway, StoreFailure } from "./store.js"

export class CdnNotConfiguredProblem extends HttpApiError.Problem<CdnNotConfiguredProblem>()(
  "CdnNotConfiguredProblem",
  { type: problemType("cdn-not-configured"), status: 409, title: "No CDN configured" }
) {}

export class InvalidationPending extends HttpApiError.Problem<InvalidationPending>()("InvalidationPending", {
  type: problemType("invalidation-pending"),
  status: 504,
  title: "The invalidation is still in progress"
}) {}

/** The errors the CDN routes map. */
export type CdnFault =
  | CdnAwsError
  | CdnNotConfigured
  | InvalidationsThrottled
  | InvalidationWaitTimedOut
  | InvalidInvalidationPath
  | WarmTargetRefused

/** The problems the CDN routes may end in (for endpoint error lists). */
export const cdnProblems = [
  BadRequest,
  CdnNotConfiguredProblem,
  InvalidationPending,
  StoreFailure,
  BadGateway,
  ServiceUnavailable
] as const

export const cdnTable = {
  // The caller's input: a path CloudFront would refuse, a URL outside the CDN domains (never fetched).
  InvalidInvalidationPath: (e) => new BadRequest({ detail: e.message }),
  WarmTargetRefused: (e) => new BadRequest({ detail: e.message }),
  // Warming with neither a base URL nor a distribution: the operator's setting is missing.
  CdnNotConfigured: (e) => new CdnNotConfiguredProblem({ detail: e.message }),
  // CloudFront kept throttling: a passing condition (503 + Retry-After).
  InvalidationsThrottled: (e) => new ServiceUnavailable({ detail: e.message }),
  InvalidationWaitTimedOut: (e) => new InvalidationPending({ detail: e.message }),
  // Our AWS credentials are refused: configuration (500); any other AWS failure: 502, or 503 when unreachable.
  CdnAwsError: (e) =>
    e.status === 401 || e.status === 403
      ? new StoreFailure({ detail: e.message })
      : e.status === undefined
        ? new ServiceUnavailable({ detail: e.message })
        : new BadGateway({ detail: e.message })
} satisfies ProblemTable<CdnFault>
