/**
 * `@localex/security/promise`: the posture audit, policy drift, IAM review, the access-log
 * security report and incident response as plain async methods, for code that does not use Effect. A failed call rejects with the package's own
 * error classes (`instanceof` works).
 */
import type { CdnOverrides } from "@localex/cdn"
import type { StorageOverrides } from "@localex/storage-core"
import { type CallOptions, serviceRuntime } from "@localex/storage-core/promise"
import { Effect, Layer } from "effect"
import { type Baseline, Drift, type DriftReport } from "../Drift.js"
import { type IamReport, IamReview, type IamReviewOptions } from "../IamReview.js"
import { Posture, type PostureReport } from "../Posture.js"
import { auditBucket as bucketOf, loadReviewOptions } from "../PostureConfig.js"
import { SecurityClients } from "../SecurityClients.js"
import { type IncidentMethods, incidentLayer, incidentMethods } from "./incident.js"

export type { CallOptions } from "@localex/storage-core/promise"
export type { Baseline, DriftReport, SectionDrift } from "../Drift.js"
export type { Finding, FindingStatus, Severity } from "../Findings.js"
export { exitCode, toSarif } from "../Findings.js"
export type { AccessKeyInfo, IamReport, IamReviewOptions, PrincipalAccess } from "../IamReview.js"
export type { PostureReport } from "../Posture.js"
export * from "../PostureErrors.js"
export type {
  ChangesReport,
  ContainIncidentOptions,
  ContainReport,
  IncidentChangesOptions,
  SecurityLogOptions,
  SecurityLogReport
} from "./incident.js"

/** The bucket (else LOCALEX_STORAGE_BUCKET) and the AWS endpoint, region and profile over the environment's. */
export interface SecurityServiceSettings extends Pick<StorageOverrides, "bucket" | "endpoint" | "region" | "profile"> {
  /** The CDN incident containment invalidates (LOCALEX_CDN_* under these). */
  readonly cdn?: CdnOverrides
}

export interface SecurityService extends AsyncDisposable, IncidentMethods {
  /** The posture audit of the bucket: every finding with severity, evidence and remediation. */
  readonly auditBucket: (options?: CallOptions) => Promise<PostureReport>
  /** Compares the bucket's policy, public access block, encryption and CORS with a baseline file. */
  readonly checkDrift: (baselinePath: string, options?: CallOptions) => Promise<DriftReport>
  /** Writes the bucket's current settings as a baseline file (atomically). */
  readonly saveBaseline: (baselinePath: string, options?: CallOptions) => Promise<Baseline>
  /** Users and roles with S3 access to the bucket, old and unused access keys. */
  readonly reviewIam: (options?: IamReviewOptions & CallOptions) => Promise<IamReport>
  readonly close: () => Promise<void>
}

export const createSecurityService = (settings: SecurityServiceSettings = {}): SecurityService => {
  const { bucket: _bucket, cdn, ...aws } = settings
  // The incident services (store, CDN) are a runtime of their own, built on first use.
  const incidentSettings = {
    storage: { ...(settings.bucket === undefined ? {} : { driver: "s3" as const, bucket: settings.bucket }), ...aws },
    ...(cdn === undefined ? {} : { cdn })
  }
  const incident = serviceRuntime(incidentLayer(incidentSettings))
  const posture = serviceRuntime(
    Layer.mergeAll(Posture.layer, Drift.layer, IamReview.layer).pipe(
      Layer.provideMerge(SecurityClients.layerConfig(aws))
    )
  )
  const { run } = posture
  const close = async () => {
    await Promise.all([posture.close(), incident.close()])
  }
  const bucket = bucketOf(settings)
  return {
    ...incidentMethods(incident.run, incidentSettings),
    auditBucket: (options) =>
      run(
        Effect.gen(function* () {
          return yield* (yield* Posture).auditBucket(yield* bucket)
        }),
        options
      ),
    checkDrift: (baselinePath, options) =>
      run(
        Effect.gen(function* () {
          return yield* (yield* Drift).check(yield* bucket, baselinePath)
        }),
        options
      ),
    saveBaseline: (baselinePath, options) =>
      run(
        Effect.gen(function* () {
          return yield* (yield* Drift).saveBaseline(yield* bucket, baselinePath)
        }),
        options
      ),
    reviewIam: ({ signal, ...given } = {}) =>
      run(
        Effect.gen(function* () {
          const options = yield* loadReviewOptions(given)
          return yield* (yield* IamReview).review(yield* bucket, options)
        }),
        { signal }
      ),
    close,
    [Symbol.asyncDispose]: close
  }
}
