/**
 * Modules loaded only by the commands that use them, so that `--help`, `object …` and the
 * operations never pay for sharp and the image pipeline at start-up.
 */
import { Effect } from "effect"

/** `@localex/image-processing` (and sharp with it), imported on first use. */
export const imageProcessing = Effect.promise(() => import("@localex/image-processing"))

/** `@localex/cdn` (and the CloudFront and CloudWatch clients with it), imported on first use. */
export const cdnPackage = Effect.promise(() => import("@localex/cdn"))

/** `@localex/security` (and the S3, S3 Control, IAM and STS clients with it), imported on first use. */
export const securityPackage = Effect.promise(() => import("@localex/security"))
