/**
 * Reading a bucket's security configuration, each part as one of three answers: found (the
 * value), none (the bucket has no such configuration), or unchecked (the endpoint does not
 * support the operation, or the credentials may not read it) — so an engine without the API is
 * reported as "could not check", never as a crash and never as "ok".
 */
import {
  type CORSRule,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  type LifecycleRule,
  type LoggingEnabled,
  type ServerSideEncryptionRule
} from "@aws-sdk/client-s3"
import { GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand } from "@aws-sdk/client-s3-control"
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts"
import { type AwsFailure, awsAttempt, isNotImplemented } from "@localex/storage-core/aws"
import { Effect } from "effect"
import type { SecurityAwsError } from "./PostureErrors.js"
import { SecurityClients, toAwsError } from "./SecurityClients.js"

export type Read<A> =
  | { readonly _tag: "found"; readonly value: A }
  | { readonly _tag: "none" }
  | { readonly _tag: "unchecked"; readonly reason: string }

export const found = <A>(value: A): Read<A> => ({ _tag: "found", value })
const none: Read<never> = { _tag: "none" }

const DENIED = /^(AccessDenied|Forbidden|AllAccessDisabled)$/

/** Why a failure means "could not check", or undefined when it is a real error. */
const uncheckedReason = (failure: AwsFailure, noSuchBucketIsUnsupported: boolean): string | undefined => {
  if (isNotImplemented(failure) || failure.status === 405 || failure.code === "MethodNotAllowed")
    return `the endpoint does not support it (${failure.code}${failure.status === undefined ? "" : `, HTTP ${failure.status}`})`
  if (DENIED.test(failure.code) || failure.status === 403) return `access denied (${failure.code})`
  // S3 Control never answers NoSuchBucket: an S3 engine without S3 Control (Ceph RGW) does.
  if (noSuchBucketIsUnsupported && failure.code === "NoSuchBucket")
    return "the endpoint has no S3 Control API (it answered NoSuchBucket)"
  return undefined
}

/**
 * One configuration read: the answer's value (undefined: none), `none` for the "not found"
 * codes, `unchecked` for what the endpoint cannot answer, else a `SecurityAwsError`.
 */
const readPart = <O, A>(
  operation: string,
  send: (signal: AbortSignal) => Promise<O>,
  value: (output: O) => A | undefined,
  missing: ReadonlyArray<string>,
  options: { readonly control?: boolean } = {}
): Effect.Effect<Read<A>, SecurityAwsError> =>
  awsAttempt(send).pipe(
    Effect.map((output): Read<A> => {
      const v = value(output)
      return v === undefined ? none : found(v)
    }),
    Effect.catch((failure) => {
      if (missing.includes(failure.code)) return Effect.succeed(none)
      const reason = uncheckedReason(failure, options.control === true)
      return reason === undefined
        ? Effect.fail(toAwsError(operation, failure))
        : Effect.succeed<Read<A>>({ _tag: "unchecked", reason })
    })
  )

export interface PublicAccessBlock {
  readonly BlockPublicAcls: boolean
  readonly IgnorePublicAcls: boolean
  readonly BlockPublicPolicy: boolean
  readonly RestrictPublicBuckets: boolean
}

const pab = (c: Partial<Record<keyof PublicAccessBlock, boolean | undefined>> | undefined): PublicAccessBlock => ({
  BlockPublicAcls: c?.BlockPublicAcls === true,
  IgnorePublicAcls: c?.IgnorePublicAcls === true,
  BlockPublicPolicy: c?.BlockPublicPolicy === true,
  RestrictPublicBuckets: c?.RestrictPublicBuckets === true
})

export const readBucketPublicAccessBlock = (bucket: string) =>
  Effect.flatMap(SecurityClients, ({ s3 }) =>
    readPart(
      "GetPublicAccessBlock",
      (abortSignal) => s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }), { abortSignal }),
      (o) => pab(o.PublicAccessBlockConfiguration),
      ["NoSuchPublicAccessBlockConfiguration"]
    )
  )

/** The account's own block (S3 Control), for the account of the credentials in use. */
export const readAccountPublicAccessBlock = Effect.gen(function* () {
  const { sts, s3control } = yield* SecurityClients
  const identity = yield* readPart(
    "GetCallerIdentity",
    (abortSignal) => sts.send(new GetCallerIdentityCommand({}), { abortSignal }),
    (o) => o.Account,
    []
  )
  if (identity._tag !== "found") return { account: undefined, block: identity as Read<PublicAccessBlock> }
  const account = identity.value
  const block = yield* readPart(
    "GetPublicAccessBlock (account)",
    (abortSignal) => s3control.send(new GetAccountPublicAccessBlockCommand({ AccountId: account }), { abortSignal }),
    (o) => pab(o.PublicAccessBlockConfiguration),
    ["NoSuchPublicAccessBlockConfiguration"],
    { control: true }
  )
  return { account, block }
})

export const readPolicy = (bucket: string) =>
  Effect.flatMap(SecurityClients, ({ s3 }) =>
    readPart(
      "GetBucketPolicy",
      (abortSignal) => s3.send(new GetBucketPolicyCommand({ Bucket: bucket }), { abortSignal }),
      (o) => (o.Policy === undefined || o.Policy.trim() === "" ? undefined : o.Policy),
      ["NoSuchBucketPolicy"]
    )
  )

export const readEncryption = (bucket: string) =>
  Effect.flatMap(SecurityClients, ({ s3 }) =>
    readPart(
      "GetBucketEncryption",
      (abortSignal) => s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }), { abortSignal }),
      // Ceph RGW answers an empty configuration when there is none.
      (o): ReadonlyArray<ServerSideEncryptionRule> | undefined => {
        const rules = o.ServerSideEncryptionConfiguration?.Rules ?? []
        return rules.length === 0 ? undefined : rules
      },
      ["ServerSideEncryptionConfigurationNotFoundError"]
    )
  )

export interface Versioning {
  readonly status: "Enabled" | "Suspended" | "Disabled"
  readonly mfaDelete: "Enabled" | "Disabled"
}

export const readVersioning = (bucket: string) =>
  Effect.flatMap(SecurityClients, ({ s3 }) =>
    readPart(
      "GetBucketVersioning",
      (abortSignal) => s3.send(new GetBucketVersioningCommand({ Bucket: bucket }), { abortSignal }),
      (o): Versioning => ({
        status: o.Status === "Enabled" || o.Status === "Suspended" ? o.Status : "Disabled",
        mfaDelete: o.MFADelete === "Enabled" ? "Enabled" : "Disabled"
      }),
      []
    )
  )

export const readLogging = (bucket: string) =>
  Effect.flatMap(SecurityClients, ({ s3 }) =>
    readPart(
      "GetBucketLogging",
      (abortSignal) => s3.send(new GetBucketLoggingCommand({ Bucket: bucket }), { abortSignal }),
      (o): LoggingEnabled | undefined => o.LoggingEnabled,
      []
    )
  )

export const readOwnership = (bucket: string) =>
  Effect.flatMap(SecurityClients, ({ s3 }) =>
    readPart(
      "GetBucketOwnershipControls",
      (abortSignal) => s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }), { abortSignal }),
      (o) => o.OwnershipControls?.Rules?.[0]?.ObjectOwnership,
      ["OwnershipControlsNotFoundError"]
    )
  )

export const readLifecycle = (bucket: string) =>
  Effect.flatMap(SecurityClients, ({ s3 }) =>
    readPart(
      "GetBucketLifecycleConfiguration",
      (abortSignal) => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }), { abortSignal }),
      (o): ReadonlyArray<LifecycleRule> | undefined => (o.Rules?.length ? o.Rules : undefined),
      ["NoSuchLifecycleConfiguration"]
    )
  )

export const readCors = (bucket: string) =>
  Effect.flatMap(SecurityClients, ({ s3 }) =>
    readPart(
      "GetBucketCors",
      (abortSignal) => s3.send(new GetBucketCorsCommand({ Bucket: bucket }), { abortSignal }),
      (o): ReadonlyArray<CORSRule> | undefined => (o.CORSRules?.length ? o.CORSRules : undefined),
      ["NoSuchCORSConfiguration"]
    )
  )
