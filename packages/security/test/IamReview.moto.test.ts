// The IAM review against users, groups, roles, inline and attached policies and access keys
// created on the local moto server, in an account of this file's own.
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetAccessKeyLastUsedCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand
} from "@aws-sdk/client-iam"
import { assert } from "@effect/vitest"
import { createTestAccount, type TestAccount, testAws, uniqueName } from "@localex/local-aws"
import { Effect } from "effect"
import { beforeAll, describe, it } from "vitest"
import { IamPageSize } from "../src/IamReview.js"
import { type IamReport, IamReview, type IamReviewOptions, ReviewSettingInvalid } from "../src/index.js"
import type { Clients } from "../src/SecurityClients.js"
import { motoClients, runOn } from "./support/postureAws.js"

const aws = testAws()

const doc = (...statements: ReadonlyArray<Record<string, unknown>>) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements })

describe.skipIf(!aws)("IAM review on moto", () => {
  let clients: Clients
  let account: TestAccount
  const bucket = uniqueName("photos")
  const other = uniqueName("elsewhere")
  const names = {
    admin: uniqueName("admin"),
    reader: uniqueName("reader"),
    uploader: uniqueName("uploader"),
    denied: uniqueName("denied"),
    outsider: uniqueName("outsider"),
    group: uniqueName("editors"),
    role: uniqueName("app-role"),
    unrelatedRole: uniqueName("other-role"),
    notAction: uniqueName("notaction")
  }
  // Two items a page, so every list of this account (6 users and more) is read across pages.
  const review = (options: IamReviewOptions = {}) =>
    runOn(() => clients)(
      Effect.flatMap(IamReview, (r) => r.review(bucket, options)).pipe(Effect.provideService(IamPageSize, 2))
    )
  const principal = (report: IamReport, name: string) => report.principals.find((p) => p.name === name)

  beforeAll(async () => {
    account = await createTestAccount(aws!)
    clients = motoClients(aws!, account)
    const iam = clients.iam
    for (const name of [names.admin, names.reader, names.uploader, names.denied, names.outsider, names.notAction])
      await iam.send(new CreateUserCommand({ UserName: name }))
    // admin: an attached managed policy with "*" on "*".
    const adminPolicy = await iam.send(
      new CreatePolicyCommand({
        PolicyName: uniqueName("everything"),
        PolicyDocument: doc({ Effect: "Allow", Action: "*", Resource: "*" })
      })
    )
    await iam.send(new AttachUserPolicyCommand({ UserName: names.admin, PolicyArn: adminPolicy.Policy!.Arn! }))
    // reader: an inline policy with a wildcard action on an object prefix of the bucket.
    await iam.send(
      new PutUserPolicyCommand({
        UserName: names.reader,
        PolicyName: "read-items",
        PolicyDocument: doc({ Effect: "Allow", Action: ["s3:Get*"], Resource: `arn:aws:s3:::${bucket}/items/*` })
      })
    )
    // uploader: only through a group, whose attached policy writes under a wildcard bucket ARN.
    await iam.send(new CreateGroupCommand({ GroupName: names.group }))
    const groupPolicy = await iam.send(
      new CreatePolicyCommand({
        PolicyName: uniqueName("upload"),
        PolicyDocument: doc({ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::photos-*/*" })
      })
    )
    await iam.send(new AttachGroupPolicyCommand({ GroupName: names.group, PolicyArn: groupPolicy.Policy!.Arn! }))
    await iam.send(new AddUserToGroupCommand({ GroupName: names.group, UserName: names.uploader }))
    // denied: s3:* allowed, then denied outright on the bucket and its objects.
    await iam.send(
      new PutUserPolicyCommand({
        UserName: names.denied,
        PolicyName: "allow-then-deny",
        PolicyDocument: doc(
          { Effect: "Allow", Action: "s3:*", Resource: "*" },
          { Effect: "Deny", Action: "s3:*", Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }
        )
      })
    )
    // outsider: full access, but to another bucket only.
    await iam.send(
      new PutUserPolicyCommand({
        UserName: names.outsider,
        PolicyName: "other-bucket",
        PolicyDocument: doc({
          Effect: "Allow",
          Action: "s3:*",
          Resource: [`arn:aws:s3:::${other}`, `arn:aws:s3:::${other}/*`]
        })
      })
    )
    // notAction: everything except IAM, which includes S3.
    await iam.send(
      new PutUserPolicyCommand({
        UserName: names.notAction,
        PolicyName: "all-but-iam",
        PolicyDocument: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" })
      })
    )
    // role: inline list + conditional write; another role with no S3.
    const trust = doc({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" })
    await iam.send(new CreateRoleCommand({ RoleName: names.role, AssumeRolePolicyDocument: trust }))
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: names.role,
        PolicyName: "app",
        PolicyDocument: doc(
          { Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${bucket}` },
          {
            Effect: "Allow",
            Action: "s3:*",
            Resource: `arn:aws:s3:::${bucket}/*`,
            Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } }
          }
        )
      })
    )
    await iam.send(new CreateRoleCommand({ RoleName: names.unrelatedRole, AssumeRolePolicyDocument: trust }))
    const sqs = await iam.send(
      new CreatePolicyCommand({
        PolicyName: uniqueName("queues"),
        PolicyDocument: doc({ Effect: "Allow", Action: "sqs:*", Resource: "*" })
      })
    )
    await iam.send(new AttachRolePolicyCommand({ RoleName: names.unrelatedRole, PolicyArn: sqs.Policy!.Arn! }))
    // Two keys for the reader, one for the uploader.
    await iam.send(new CreateAccessKeyCommand({ UserName: names.reader }))
    await iam.send(new CreateAccessKeyCommand({ UserName: names.reader }))
    await iam.send(new CreateAccessKeyCommand({ UserName: names.uploader }))
  })

  it("lists the users and roles with S3 access to the bucket, through every kind of policy", async () => {
    const report = await review()
    assert.strictEqual(principal(report, names.admin)?.access, "full")
    assert.strictEqual(principal(report, names.admin)?.grants[0]?.source.startsWith("managed:arn:aws:iam::"), true)
    assert.strictEqual(principal(report, names.reader)?.access, "read")
    assert.strictEqual(principal(report, names.reader)?.grants[0]?.source, "inline:read-items")
    // The group's policy names photos-*: it covers this bucket (its name starts with photos-).
    const uploader = principal(report, names.uploader)
    assert.strictEqual(uploader?.access, "write")
    assert.match(uploader?.grants[0]?.source ?? "", new RegExp(`^group:${names.group} managed:`))
    assert.strictEqual(principal(report, names.denied)?.deniedAll, true)
    assert.strictEqual(principal(report, names.outsider), undefined)
    assert.strictEqual(principal(report, names.notAction)?.grants[0]?.notAction, true)
    const role = principal(report, names.role)
    assert.strictEqual(role?.kind, "role")
    assert.deepStrictEqual(
      role?.grants.map((g) => [g.access, g.conditional]),
      [
        ["list", false],
        ["full", true]
      ]
    )
    assert.strictEqual(principal(report, names.unrelatedRole), undefined)
    assert.strictEqual(report.roles >= 2, true)
    assert.strictEqual(report.users, 7) // the six above and the account's own localex-test user
    // Full unconditional access is the finding: admin and NotAction; not the denied user, not the conditional role.
    const full = report.findings
      .filter((f) => f.id === "IAM.S3Access.Full" && f.status === "fail")
      .map((f) => f.resource)
    assert.deepStrictEqual(
      full.sort(),
      [
        `arn:aws:iam::${account.accountId}:user/${names.admin}`,
        `arn:aws:iam::${account.accountId}:user/${names.notAction}`
      ].sort()
    )
    assert.strictEqual(report.summary.worst, "high")
    assert.strictEqual(report.summary.exitCode, 13)
  })

  it("flags active keys older than --max-key-age and keys never used", async () => {
    // moto cannot back-date a key (CreateDate is now), so age is tested with a threshold of 0 days,
    // and with the default of 90, under which no key created here is old.
    const fresh = await review()
    const keys = fresh.keys.filter((k) => k.user === names.reader || k.user === names.uploader)
    assert.strictEqual(keys.length, 3)
    assert.strictEqual(fresh.findings.filter((f) => f.id === "IAM.AccessKey.Age" && f.status === "fail").length, 0)
    const strict = await review({ maxKeyAgeDays: 0, unusedDays: 0 })
    const old = strict.findings
      .filter((f) => f.id === "IAM.AccessKey.Age" && f.status === "fail")
      .map((f) => f.resource)
    for (const k of keys) assert.include(old, `${k.user}/${k.accessKeyId}`)
    // moto answers GetAccessKeyLastUsed without a LastUsedDate for keys only created (never used to
    // sign): they are "never used". A key's last-used date in the past cannot be produced on moto.
    const last = await clients.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keys[0]!.accessKeyId }))
    assert.strictEqual(last.AccessKeyLastUsed?.LastUsedDate, undefined)
    const unused = strict.findings.filter((f) => f.id === "IAM.AccessKey.Unused" && f.status === "fail")
    for (const k of keys) assert.ok(unused.some((f) => f.resource === `${k.user}/${k.accessKeyId}`))
    assert.match(unused.find((f) => f.resource.startsWith(names.reader))!.message, /never used/)
  })

  it("refuses a negative threshold with a typed error", async () => {
    const error = await runOn(() => clients)(
      Effect.flip(Effect.flatMap(IamReview, (r) => r.review(bucket, { maxKeyAgeDays: -1 })))
    )
    assert.ok(error instanceof ReviewSettingInvalid)
  })
})
