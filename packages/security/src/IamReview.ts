/**
 * The IAM review: which users and roles can use S3 on the bucket through their identity
 * policies (inline, attached managed, and those of their groups), which access keys are older
 * than a threshold, and which are unused. Every IAM list is paginated.
 *
 * What is evaluated, statement by statement:
 * - `Allow` with `Action` patterns that can match an S3 action (`*`, `s3:*`, `s3:Get*`, `s?:…`),
 *   or with `NotAction` that does not exclude all of S3 (it grants every other action);
 * - `Resource` patterns (IAM wildcards `*` and `?`) that match the bucket's ARN or some of its
 *   objects' ARNs (`arn:aws:s3:::bucket/items/*` counts); `NotResource` that does not exclude the bucket;
 * - an unconditional `Deny` of `s3:*` (or `*`) on the bucket and its objects cancels the
 *   principal's grants; narrower denies are listed as evidence, not subtracted;
 * - a statement with a `Condition` is reported as conditional (its condition is not evaluated).
 * Not evaluated: permission boundaries, SCPs, session policies, the bucket policy itself, and
 * which principals may assume a role.
 */
import {
  GetAccessKeyLastUsedCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand
} from "@aws-sdk/client-iam"
import { Clock, Context, Effect, Layer } from "effect"
import { type Finding, finding, summarize } from "./Findings.js"
import { ReviewSettingInvalid, type SecurityAwsError } from "./PostureErrors.js"
import { globMatch, parseStatements, type Statement } from "./PosturePolicy.js"
import { awsCall, SecurityClients } from "./SecurityClients.js"

export type Access = "full" | "write" | "read" | "list" | "other"

export interface Grant {
  /** Where the statement comes from: `inline:NAME`, `managed:ARN`, `group:G inline:NAME`, `group:G managed:ARN`. */
  readonly source: string
  readonly sid: string | null
  readonly access: Access
  readonly actions: ReadonlyArray<string>
  /** The statement grants everything except `actions` (NotAction). */
  readonly notAction: boolean
  readonly resources: ReadonlyArray<string>
  readonly conditional: boolean
}

export interface PrincipalAccess {
  readonly kind: "user" | "role"
  readonly name: string
  readonly arn: string
  /** The broadest access among the grants. */
  readonly access: Access
  readonly grants: ReadonlyArray<Grant>
  /** Deny statements that touch S3 on the bucket (not subtracted unless `deniedAll`). */
  readonly denies: ReadonlyArray<{ readonly source: string; readonly actions: ReadonlyArray<string> }>
  /** An unconditional Deny of every S3 action on the bucket and its objects. */
  readonly deniedAll: boolean
}

export interface AccessKeyInfo {
  readonly user: string
  readonly accessKeyId: string
  readonly status: string
  readonly createdAt: string | null
  readonly ageDays: number | null
  /** null: never used (as far as the endpoint tells). */
  readonly lastUsedAt: string | null
  readonly lastUsedService: string | null
}

export interface IamReviewOptions {
  /** Active keys older than this many days are findings (default 90). */
  readonly maxKeyAgeDays?: number
  /** Active keys not used for this many days (or never used and older than this) are findings (default 90). */
  readonly unusedDays?: number
}

export interface IamReport {
  readonly bucket: string
  readonly checkedAt: string
  readonly maxKeyAgeDays: number
  readonly unusedDays: number
  readonly users: number
  readonly roles: number
  /** The users and roles with a grant on the bucket. */
  readonly principals: ReadonlyArray<PrincipalAccess>
  readonly keys: ReadonlyArray<AccessKeyInfo>
  readonly findings: ReadonlyArray<Finding>
  readonly summary: ReturnType<typeof summarize>
}

export const DEFAULT_MAX_KEY_AGE_DAYS = 90
export const DEFAULT_UNUSED_DAYS = 90
const DAY = 86_400_000

export const RULES = {
  full: {
    id: "IAM.S3Access.Full",
    title: "No user or role has unconditional full S3 access to the bucket",
    severity: "high",
    remediation:
      "Replace s3:* / * / NotAction grants with the actions the principal needs (s3:GetObject, s3:PutObject on arn:aws:s3:::BUCKET/items/*), or add a Condition"
  },
  keyAge: {
    id: "IAM.AccessKey.Age",
    title: "Active access keys are younger than the maximum age",
    severity: "medium",
    remediation:
      "Rotate the key: aws iam create-access-key --user-name USER, switch the application over, then aws iam update-access-key --status Inactive and delete-access-key"
  },
  keyUnused: {
    id: "IAM.AccessKey.Unused",
    title: "Active access keys are in use",
    severity: "low",
    remediation: "Deactivate the unused key (aws iam update-access-key --status Inactive), then delete it"
  }
} as const

const WRITE_SAMPLES = ["s3:putobject", "s3:deleteobject", "s3:putbucketpolicy", "s3:deletebucket"]

/** Whether an action pattern can match some S3 action. */
const s3Pattern = (p: string) => p === "*" || p.startsWith("s3:") || globMatch(p, "s3:getobject", true)

const accessOf = (patterns: ReadonlyArray<string>, notAction: boolean): Access => {
  if (notAction || patterns.some((p) => p === "*" || p === "s3:*")) return "full"
  const any = (samples: ReadonlyArray<string>) => samples.some((a) => patterns.some((p) => globMatch(p, a, true)))
  if (any(WRITE_SAMPLES)) return "write"
  if (any(["s3:getobject"])) return "read"
  if (any(["s3:listbucket"])) return "list"
  return "other"
}

const ACCESS_RANK: Record<Access, number> = { other: 0, list: 1, read: 2, write: 3, full: 4 }

/** Whether a Resource pattern covers the bucket or some of its objects. */
export const resourceApplies = (pattern: string, bucket: string): boolean => {
  const arn = `arn:aws:s3:::${bucket}`
  if (globMatch(pattern, arn) || globMatch(pattern, `${arn}/x`)) return true
  const slash = pattern.indexOf("/")
  return slash > 0 && globMatch(pattern.slice(0, slash), arn)
}

const coversWholeBucket = (patterns: ReadonlyArray<string>, bucket: string) => {
  const arn = `arn:aws:s3:::${bucket}`
  return patterns.some((p) => globMatch(p, arn)) && patterns.some((p) => globMatch(p, `${arn}/any/key`))
}

const statementApplies = (s: Statement, bucket: string) =>
  s.Resource !== undefined
    ? s.Resource.some((r) => resourceApplies(r, bucket))
    : s.NotResource !== undefined && !coversWholeBucket(s.NotResource, bucket)

const touchesS3 = (s: Statement) =>
  s.Action !== undefined
    ? s.Action.some(s3Pattern)
    : s.NotAction !== undefined && !s.NotAction.some((p) => p === "*" || p === "s3:*")

/** The grants and denies a set of (source, policy text) pairs give on the bucket. */
export const evaluate = (
  policies: ReadonlyArray<{ readonly source: string; readonly document: string }>,
  bucket: string
) => {
  const grants: Array<Grant> = []
  const denies: Array<{ source: string; actions: ReadonlyArray<string> }> = []
  let deniedAll = false
  for (const { source, document } of policies) {
    for (const s of parseStatements(document) ?? []) {
      if (!touchesS3(s) || !statementApplies(s, bucket)) continue
      const notAction = s.Action === undefined
      const actions = (s.Action ?? s.NotAction ?? []).filter((p) => notAction || s3Pattern(p))
      if (s.Effect === "Deny") {
        denies.push({ source, actions })
        const all = !notAction && actions.some((p) => p === "*" || p === "s3:*")
        if (all && s.Condition === undefined && s.Resource !== undefined && coversWholeBucket(s.Resource, bucket))
          deniedAll = true
        continue
      }
      grants.push({
        source,
        sid: s.Sid ?? null,
        access: accessOf(actions, notAction),
        actions,
        notAction,
        resources: s.Resource ?? (s.NotResource ?? []).map((r) => `NotResource:${r}`),
        conditional: s.Condition !== undefined
      })
    }
  }
  const access = grants.reduce<Access>(
    (best, g) => (ACCESS_RANK[g.access] > ACCESS_RANK[best] ? g.access : best),
    "other"
  )
  return { grants, denies, deniedAll, access }
}

/** IAM answers policy documents URL-encoded. */
const decodeDocument = (text: string | undefined): string => {
  if (text === undefined) return "{}"
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

type PageRequest = { Marker?: string; MaxItems?: number }

interface Page<T> {
  readonly items: ReadonlyArray<T>
  readonly IsTruncated?: boolean | undefined
  readonly Marker?: string | undefined
}

/** Every page of an IAM list (Marker / IsTruncated). */
const paginate = <T>(
  operation: string,
  page: (request: PageRequest, signal: AbortSignal) => Promise<Page<T>>
): Effect.Effect<ReadonlyArray<T>, SecurityAwsError> =>
  Effect.gen(function* () {
    const size = yield* IamPageSize
    const all: Array<T> = []
    let marker: string | undefined
    do {
      const current = {
        ...(marker === undefined ? {} : { Marker: marker }),
        ...(size === undefined ? {} : { MaxItems: size })
      }
      const answer = yield* awsCall(operation, (signal) => page(current, signal))
      all.push(...answer.items)
      marker = answer.IsTruncated === true ? answer.Marker : undefined
    } while (marker !== undefined)
    return all
  })

/** Items per IAM list page (AWS's default 100 when undefined); tests make it small to cross pages. */
export const IamPageSize = Context.Reference<number | undefined>("@localex/security/IamPageSize", {
  defaultValue: () => undefined
})

export class IamReview extends Context.Service<
  IamReview,
  {
    readonly review: (
      bucket: string,
      options?: IamReviewOptions
    ) => Effect.Effect<IamReport, SecurityAwsError | ReviewSettingInvalid>
  }
>()("@localex/security/IamReview") {
  static readonly layer: Layer.Layer<IamReview, never, SecurityClients> = Layer.effect(
    IamReview,
    Effect.gen(function* () {
      const { iam } = yield* SecurityClients

      /** A managed policy's default version (read once per review; two parallel reads of one are harmless). */
      const managedDocument = (arn: string, cache: Cache) =>
        Effect.gen(function* () {
          const cached = cache.get(arn)
          if (cached !== undefined) return cached
          const policy = yield* awsCall("GetPolicy", (abortSignal) =>
            iam.send(new GetPolicyCommand({ PolicyArn: arn }), { abortSignal })
          )
          const versionId = policy.Policy?.DefaultVersionId ?? "v1"
          const version = yield* awsCall("GetPolicyVersion", (abortSignal) =>
            iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }), { abortSignal })
          )
          const document = decodeDocument(version.PolicyVersion?.Document)
          cache.set(arn, document)
          return document
        })

      type Source = { source: string; document: string }
      type Cache = Map<string, string>

      /** The four IAM calls that read one identity's (user, group or role) own policies. */
      interface PolicyApi {
        readonly kind: "User" | "Group" | "Role"
        readonly inlineNames: (page: PageRequest, signal: AbortSignal) => Promise<Page<string>>
        readonly inlineDocument: (name: string, signal: AbortSignal) => Promise<{ PolicyDocument?: string | undefined }>
        readonly attached: (page: PageRequest, signal: AbortSignal) => Promise<Page<{ PolicyArn?: string | undefined }>>
      }

      /** Inline and attached managed policies of one identity; `prefix` names it in the sources (groups). */
      const policiesOf = (api: PolicyApi, prefix: string, cache: Cache) =>
        Effect.gen(function* () {
          const names = yield* paginate(`List${api.kind}Policies`, api.inlineNames)
          const inline = yield* Effect.forEach(names, (name) =>
            Effect.map(
              awsCall(`Get${api.kind}Policy`, (signal) => api.inlineDocument(name, signal)),
              (answer): Source => ({
                source: `${prefix}inline:${name}`,
                document: decodeDocument(answer.PolicyDocument)
              })
            )
          )
          const arns = yield* paginate(`ListAttached${api.kind}Policies`, api.attached)
          const managed = yield* Effect.forEach(arns, (p) =>
            Effect.map(
              managedDocument(p.PolicyArn ?? "", cache),
              (document): Source => ({ source: `${prefix}managed:${p.PolicyArn}`, document })
            )
          )
          return [...inline, ...managed]
        })

      const userApi = (UserName: string): PolicyApi => ({
        kind: "User",
        inlineNames: (m, abortSignal) =>
          iam
            .send(new ListUserPoliciesCommand({ UserName, ...m }), { abortSignal })
            .then((a) => ({ ...a, items: a.PolicyNames ?? [] })),
        inlineDocument: (PolicyName, abortSignal) =>
          iam.send(new GetUserPolicyCommand({ UserName, PolicyName }), { abortSignal }),
        attached: (m, abortSignal) =>
          iam
            .send(new ListAttachedUserPoliciesCommand({ UserName, ...m }), { abortSignal })
            .then((a) => ({ ...a, items: a.AttachedPolicies ?? [] }))
      })

      const groupApi = (GroupName: string): PolicyApi => ({
        kind: "Group",
        inlineNames: (m, abortSignal) =>
          iam
            .send(new ListGroupPoliciesCommand({ GroupName, ...m }), { abortSignal })
            .then((a) => ({ ...a, items: a.PolicyNames ?? [] })),
        inlineDocument: (PolicyName, abortSignal) =>
          iam.send(new GetGroupPolicyCommand({ GroupName, PolicyName }), { abortSignal }),
        attached: (m, abortSignal) =>
          iam
            .send(new ListAttachedGroupPoliciesCommand({ GroupName, ...m }), { abortSignal })
            .then((a) => ({ ...a, items: a.AttachedPolicies ?? [] }))
      })

      const roleApi = (RoleName: string): PolicyApi => ({
        kind: "Role",
        inlineNames: (m, abortSignal) =>
          iam
            .send(new ListRolePoliciesCommand({ RoleName, ...m }), { abortSignal })
            .then((a) => ({ ...a, items: a.PolicyNames ?? [] })),
        inlineDocument: (PolicyName, abortSignal) =>
          iam.send(new GetRolePolicyCommand({ RoleName, PolicyName }), { abortSignal }),
        attached: (m, abortSignal) =>
          iam
            .send(new ListAttachedRolePoliciesCommand({ RoleName, ...m }), { abortSignal })
            .then((a) => ({ ...a, items: a.AttachedPolicies ?? [] }))
      })

      /** A user's own policies and those of each of its groups. */
      const userPolicies = (user: string, cache: Cache) =>
        Effect.gen(function* () {
          const own = yield* policiesOf(userApi(user), "", cache)
          const groups = yield* paginate("ListGroupsForUser", (m, abortSignal) =>
            iam
              .send(new ListGroupsForUserCommand({ UserName: user, ...m }), { abortSignal })
              .then((a) => ({ ...a, items: a.Groups ?? [] }))
          )
          const viaGroups = yield* Effect.forEach(groups, (g) =>
            policiesOf(groupApi(g.GroupName ?? ""), `group:${g.GroupName} `, cache)
          )
          return [...own, ...viaGroups.flat()]
        })

      const rolePolicies = (role: string, cache: Cache) => policiesOf(roleApi(role), "", cache)

      const keysOf = (user: string, now: number) =>
        Effect.gen(function* () {
          const keys = yield* paginate("ListAccessKeys", async (m, abortSignal) => {
            const a = await iam.send(new ListAccessKeysCommand({ UserName: user, ...m }), { abortSignal })
            return { ...a, items: a.AccessKeyMetadata ?? [] }
          })
          return yield* Effect.forEach(keys, (k) =>
            Effect.gen(function* () {
              const used = yield* awsCall("GetAccessKeyLastUsed", (abortSignal) =>
                iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKeyId }), { abortSignal })
              )
              const last = used.AccessKeyLastUsed?.LastUsedDate
              const service = used.AccessKeyLastUsed?.ServiceName
              return {
                user,
                accessKeyId: k.AccessKeyId ?? "",
                status: k.Status ?? "Unknown",
                createdAt: k.CreateDate?.toISOString() ?? null,
                ageDays: k.CreateDate === undefined ? null : (now - k.CreateDate.getTime()) / DAY,
                lastUsedAt: last?.toISOString() ?? null,
                lastUsedService: service === undefined || service === "N/A" ? null : service
              } satisfies AccessKeyInfo
            })
          )
        })

      const review = Effect.fn("IamReview.review")(function* (bucket: string, options: IamReviewOptions = {}) {
        const maxKeyAgeDays = options.maxKeyAgeDays ?? DEFAULT_MAX_KEY_AGE_DAYS
        const unusedDays = options.unusedDays ?? DEFAULT_UNUSED_DAYS
        for (const [setting, value] of [
          ["maxKeyAgeDays", maxKeyAgeDays],
          ["unusedDays", unusedDays]
        ] as const)
          if (!Number.isFinite(value) || value < 0)
            return yield* new ReviewSettingInvalid({ setting, reason: `must be a number of days ≥ 0 (got ${value})` })
        const now = yield* Clock.currentTimeMillis
        const cache: Cache = new Map()
        const users = yield* paginate("ListUsers", async (m, abortSignal) => {
          const a = await iam.send(new ListUsersCommand(m), { abortSignal })
          return { ...a, items: a.Users ?? [] }
        })
        const roles = yield* paginate("ListRoles", async (m, abortSignal) => {
          const a = await iam.send(new ListRolesCommand(m), { abortSignal })
          return { ...a, items: a.Roles ?? [] }
        })
        const userResults = yield* Effect.forEach(
          users,
          (u) =>
            Effect.all({
              policies: userPolicies(u.UserName ?? "", cache),
              keys: keysOf(u.UserName ?? "", now)
            }).pipe(Effect.map((r) => ({ user: u, ...r }))),
          { concurrency: 4 }
        )
        const roleResults = yield* Effect.forEach(
          roles,
          (r) => Effect.map(rolePolicies(r.RoleName ?? "", cache), (policies) => ({ role: r, policies })),
          { concurrency: 4 }
        )
        const principals: Array<PrincipalAccess> = [
          ...userResults.map((r) => ({
            kind: "user" as const,
            name: r.user.UserName ?? "",
            arn: r.user.Arn ?? "",
            ...evaluate(r.policies, bucket)
          })),
          ...roleResults.map((r) => ({
            kind: "role" as const,
            name: r.role.RoleName ?? "",
            arn: r.role.Arn ?? "",
            ...evaluate(r.policies, bucket)
          }))
        ].filter((p) => p.grants.length > 0)
        const keys = userResults.flatMap((r) => r.keys)
        const findings = [
          ...principals.map((p) => {
            const full = p.grants.filter((g) => g.access === "full" && !g.conditional)
            return full.length > 0 && !p.deniedAll
              ? finding(
                  RULES.full,
                  "fail",
                  p.arn,
                  `${p.kind} ${p.name} has full S3 access to ${bucket} through ${full.map((g) => g.source).join(", ")}`,
                  { grants: full }
                )
              : finding(RULES.full, "pass", p.arn, `${p.kind} ${p.name}: ${p.deniedAll ? "denied" : p.access} access`, {
                  access: p.access,
                  deniedAll: p.deniedAll
                })
          }),
          ...keys
            .filter((k) => k.status === "Active")
            .flatMap((k) => {
              const resource = `${k.user}/${k.accessKeyId}`
              const age = k.ageDays ?? 0
              const days = (n: number) => `${Math.floor(n)} day(s)`
              const idle = k.lastUsedAt === null ? age : (now - Date.parse(k.lastUsedAt)) / DAY
              return [
                age > maxKeyAgeDays
                  ? finding(
                      RULES.keyAge,
                      "fail",
                      resource,
                      `key of ${k.user} is ${days(age)} old (max ${maxKeyAgeDays})`,
                      k
                    )
                  : finding(RULES.keyAge, "pass", resource, `key of ${k.user} is ${days(age)} old`, k),
                idle > unusedDays || (k.lastUsedAt === null && unusedDays === 0)
                  ? finding(
                      RULES.keyUnused,
                      "fail",
                      resource,
                      k.lastUsedAt === null
                        ? `key of ${k.user} was never used (created ${days(age)} ago)`
                        : `key of ${k.user} was last used ${days(idle)} ago (${k.lastUsedService ?? "?"})`,
                      k
                    )
                  : finding(
                      RULES.keyUnused,
                      "pass",
                      resource,
                      `key of ${k.user} used within ${unusedDays} day(s) or new`,
                      k
                    )
              ]
            })
        ]
        return {
          bucket,
          checkedAt: new Date(now).toISOString(),
          maxKeyAgeDays,
          unusedDays,
          users: users.length,
          roles: roles.length,
          principals,
          keys,
          findings,
          summary: summarize(findings)
        }
      })
      return IamReview.of({ review })
    })
  )
}
