/**
 * The settings of the audit, drift and IAM review, read from the environment in this one place;
 * a program's values (the CLI's flags) win.
 *
 * | variable                            | default                                      |
 * | ----------------------------------- | -------------------------------------------- |
 * | LOCALEX_STORAGE_BUCKET              | (the bucket audited; the s3 driver's bucket) |
 * | LOCALEX_SECURITY_MAX_KEY_AGE_DAYS   | 90 (active access keys older are findings)   |
 * | LOCALEX_SECURITY_UNUSED_KEY_DAYS    | 90 (active keys idle this long are findings) |
 * | AWS_ENDPOINT_URL_S3, _S3_CONTROL, _IAM, _STS, AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE | the SDK's |
 */
import { loadSettings, type StorageOverrides } from "@localex/storage-core"
import { Config, Effect, Option } from "effect"
import { DEFAULT_MAX_KEY_AGE_DAYS, DEFAULT_UNUSED_DAYS, type IamReviewOptions } from "./IamReview.js"
import { AuditTargetMissing, ReviewSettingInvalid } from "./PostureErrors.js"

/** The bucket to audit: the override's, else the s3 driver's `LOCALEX_STORAGE_BUCKET`. */
export const auditBucket = (
  overrides: Pick<StorageOverrides, "bucket" | "endpoint" | "region" | "profile"> = {}
): Effect.Effect<string, AuditTargetMissing> =>
  overrides.bucket !== undefined
    ? Effect.succeed(overrides.bucket)
    : loadSettings({ ...overrides, driver: "s3" }).pipe(
        Effect.map((settings) => (settings.driver === "s3" ? settings.bucket : "")),
        Effect.mapError((error) => new AuditTargetMissing({ reason: error.message })),
        Effect.filterOrFail(
          (bucket) => bucket !== "",
          () => new AuditTargetMissing({ reason: "no bucket is configured" })
        )
      )

const days = (name: string, fallback: number) =>
  Effect.gen(function* () {
    const text = yield* Config.option(Config.String(name)).pipe(
      Effect.mapError((e) => new ReviewSettingInvalid({ setting: name, reason: String(e) }))
    )
    if (Option.isNone(text) || text.value.trim() === "") return fallback
    const value = Number(text.value)
    if (!Number.isFinite(value) || value < 0)
      return yield* new ReviewSettingInvalid({
        setting: name,
        reason: `${JSON.stringify(text.value)} is not a number of days ≥ 0`
      })
    return value
  })

/** The IAM review's thresholds: the given ones over LOCALEX_SECURITY_* over the defaults (90 days each). */
export const loadReviewOptions = (
  given: IamReviewOptions = {}
): Effect.Effect<Required<IamReviewOptions>, ReviewSettingInvalid> =>
  Effect.gen(function* () {
    return {
      maxKeyAgeDays:
        given.maxKeyAgeDays ?? (yield* days("LOCALEX_SECURITY_MAX_KEY_AGE_DAYS", DEFAULT_MAX_KEY_AGE_DAYS)),
      unusedDays: given.unusedDays ?? (yield* days("LOCALEX_SECURITY_UNUSED_KEY_DAYS", DEFAULT_UNUSED_DAYS))
    }
  })
