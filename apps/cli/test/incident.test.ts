/**
 * `localex-storage audit logs` and `incident changes|contain` through the built binary: the
 * security report of the committed fixture log, and an incident on a versioned bucket of the local
 * Ceph RGW with the CDN on moto's CloudFront (one key pair for both: local-aws's splitEnv).
 */
import { randomBytes } from "node:crypto"
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { CloudFrontClient, CreateDistributionCommand, GetInvalidationCommand } from "@aws-sdk/client-cloudfront"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { awsClientConfig, createTestAccount, splitEnv, testAws, uniqueName } from "@localex/local-aws"
import { s3Request, testS3 } from "@localex/local-s3"
import { assertOneLineError, type Run, repo, run, tempDir } from "./helpers.js"

let dir: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  dir = await tempDir()
})
afterAll(async () => {
  await dir[Symbol.asyncDispose]()
})

const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}, input?: Uint8Array): Promise<Run> =>
  run(args, { env, cwd: dir.path, ...(input === undefined ? {} : { input }) })

const fixture = join(repo, "packages/security/test/fixtures/security-access.log")
const WINDOW = ["--since", "2026-11-30T10:00:00Z", "--until", "2026-11-30T11:00:00Z"]
const INTRUDER = "arn:aws:iam::123456789012:user/intruder"

describe("audit logs", () => {
  it("the fixture's 403 bursts, anonymous attempts, failed, new and bulk deletes (JSON and text)", async () => {
    const result = await cli(["--json", "audit", "logs", fixture, ...WINDOW])
    assert.strictEqual(result.code, 0, result.stderr)
    const report = JSON.parse(result.text)
    assert.strictEqual(report.records, 112)
    assert.strictEqual(report.forbidden.count, 40)
    assert.deepStrictEqual(
      report.forbidden.burstsByIp.map((b: { name: string; peak: number }) => [b.name, b.peak]),
      [
        ["198.51.100.7", 12],
        ["203.0.113.9", 10]
      ]
    )
    assert.deepInclude(report.anonymous, { count: 16, denied: 13, succeeded: 3 })
    assert.strictEqual(report.deletes.failed.count, 4)
    assert.deepStrictEqual(report.deletes.newDeleters, [
      { requester: INTRUDER, deletes: 60 },
      { requester: "arn:aws:iam::123456789012:user/app", deletes: 2 }
    ])
    assert.strictEqual(report.deletes.bulk[0].peak, 60)

    const text = await cli([
      "audit",
      "logs",
      fixture,
      ...WINDOW,
      "--burst-count",
      "13",
      "--known-deleter",
      "arn:aws:iam::123456789012:user/app"
    ])
    assert.strictEqual(text.code, 0, text.stderr)
    assert.include(text.text, "403: 40; bursts (≥ 13 within 60 s):")
    assert.notInclude(text.text, "198.51.100.7: 1 burst(s)")
    assert.include(text.text, `new deleters (not in the baseline): ${INTRUDER} 60\n`)
  })

  it("bad input: one line, exit 2 for a bad flag or time, 1 for a missing file", async () => {
    assertOneLineError(await cli(["audit", "logs", fixture, "--burst-count", "0"]), 2, "burst-count")
    assertOneLineError(await cli(["audit", "logs", fixture, "--since", "yesterday"]), 2, '--since "yesterday"')
    assertOneLineError(await cli(["audit", "logs", join(dir.path, "nope.log")]), 1, "Cannot read access logs")
  })
})

const s3 = testS3()
const aws = testAws()

describe.skipIf(!s3?.dataDir || !aws)("incident on the local RGW (versioned) and moto's CloudFront", () => {
  const bucket = `cli-incident-${randomBytes(4).toString("hex")}`
  let env: Record<string, string>
  let cloudfront: CloudFrontClient
  let distributionId: string
  let before: string
  let until: string
  const tick = () => new Promise((resolve) => setTimeout(resolve, 1200))
  const s3cli = (args: ReadonlyArray<string>, input?: Uint8Array, extra: Record<string, string> = {}) =>
    cli(["--bucket", bucket, ...args], { ...env, ...extra }, input)
  const a1 = randomBytes(100)
  const c1 = randomBytes(200)

  beforeAll(async () => {
    const account = await createTestAccount(aws!)
    env = {
      ...(await splitEnv(aws!, account, s3)),
      LOCALEX_STORAGE_S3_CHECKSUMS: "when_required"
    }
    const created = await s3Request(
      { ...s3!, accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
      { method: "PUT", bucket }
    )
    assert.isTrue(created.ok, `create bucket: ${created.status}`)
    cloudfront = new CloudFrontClient(awsClientConfig(aws!, account))
    const name = uniqueName("incident")
    distributionId = (
      await cloudfront.send(
        new CreateDistributionCommand({
          DistributionConfig: {
            CallerReference: name,
            Comment: "cli incident test",
            Enabled: true,
            Origins: {
              Quantity: 1,
              Items: [
                { Id: "photos", DomainName: `${name}.s3.amazonaws.com`, S3OriginConfig: { OriginAccessIdentity: "" } }
              ]
            },
            DefaultCacheBehavior: {
              TargetOriginId: "photos",
              ViewerProtocolPolicy: "redirect-to-https",
              CachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6"
            }
          }
        })
      )
    ).Distribution!.Id!
    env.LOCALEX_CDN_DISTRIBUTION_ID = distributionId

    const ok = (result: Run) => assert.strictEqual(result.code, 0, result.stderr)
    ok(await s3cli(["backup", "versioning", "enable"]))
    ok(await s3cli(["object", "put", "-", "items/a.jpg"], a1))
    ok(await s3cli(["object", "put", "-", "items/c.jpg"], c1))
    ok(await s3cli(["object", "put", "-", "items/same.jpg"], randomBytes(50)))
    await tick()
    before = new Date().toISOString()
    await tick()
    ok(await s3cli(["object", "put", "-", "items/a.jpg"], randomBytes(110)))
    ok(await s3cli(["object", "put", "-", "items/a.jpg"], randomBytes(120)))
    ok(await s3cli(["object", "rm", "items/c.jpg"]))
    ok(await s3cli(["object", "put", "-", "items/new.jpg"], randomBytes(300)))
    await tick()
    until = new Date().toISOString()
  }, 120_000)

  it("changes, contain --dry-run, contain (restored bytes, CDN invalidation, Markdown report), a rerun", async () => {
    const changes = await s3cli([
      "--json",
      "incident",
      "changes",
      "--prefix",
      "items/",
      "--since",
      before,
      "--until",
      until
    ])
    assert.strictEqual(changes.code, 0, changes.stderr)
    const found = JSON.parse(changes.text)
    assert.deepStrictEqual(
      found.changes.map((c: { key: string; change: string; events: Array<{ kind: string }> }) => [
        c.key,
        c.change,
        c.events.map((e) => e.kind)
      ]),
      [
        ["items/a.jpg", "modified", ["overwritten", "overwritten"]],
        ["items/c.jpg", "deleted", ["deleted"]],
        ["items/new.jpg", "created", ["created"]]
      ]
    )
    assert.match(found.manifestKey, /^_localex\/reports\/security\/incident\//)

    const dry = await s3cli(["incident", "contain", "--prefix", "items/", "--before", before, "--dry-run"])
    assert.strictEqual(dry.code, 0, dry.stderr)
    assert.include(dry.text, "plan (dry run, nothing changed): items/ back to before")
    assert.match(dry.text, /restore items\/a\.jpg ← \S+ \(100 B\)/)
    assert.include(dry.text, "delete  items/new.jpg (300 B, did not exist before)")
    assert.include(dry.text, "would restore 2 key(s) (300 bytes), remove 1")
    assert.include(dry.text, "cdn: planned /items/a.jpg /items/c.jpg /items/new.jpg")
    assert.strictEqual((await s3cli(["object", "get", "items/new.jpg", "-"])).code, 0, "the dry run removed nothing")

    const reportFile = join(dir.path, "incident.md")
    const done = await s3cli([
      "--json",
      "incident",
      "contain",
      "--prefix",
      "items/",
      "--before",
      before,
      "--wait",
      "--report",
      reportFile
    ])
    assert.strictEqual(done.code, 0, done.stderr)
    const report = JSON.parse(done.text)
    assert.deepInclude(report.restore, { toRestore: 2, restored: 2, bytesRestored: 300, toDelete: 1, deleted: 1 })
    assert.deepStrictEqual(report.remaining, [])
    assert.strictEqual(report.cdn.status, "invalidated")
    const sent = await cloudfront.send(
      new GetInvalidationCommand({ DistributionId: distributionId, Id: report.cdn.invalidationIds[0] })
    )
    assert.deepStrictEqual(sent.Invalidation?.InvalidationBatch?.Paths?.Items, [
      "/items/a.jpg",
      "/items/c.jpg",
      "/items/new.jpg"
    ])
    assert.isTrue((await s3cli(["object", "get", "items/a.jpg", "-"])).stdout.equals(a1))
    assert.isTrue((await s3cli(["object", "get", "items/c.jpg", "-"])).stdout.equals(c1))
    assert.strictEqual((await s3cli(["object", "get", "items/new.jpg", "-"])).code, 1)
    const markdown = await readFile(reportFile, "utf8")
    assert.include(markdown, "# Incident: containment of `items/`")
    assert.include(markdown, "restored 2 (300 bytes)")
    assert.include(markdown, "## What to review next")
    const stored = await s3cli(["object", "get", report.reportKey, "-"])
    assert.strictEqual(stored.stdout.toString("utf8"), markdown)

    const again = await s3cli(["--json", "incident", "contain", "--prefix", "items/", "--before", before])
    assert.strictEqual(again.code, 0, again.stderr)
    assert.deepInclude(JSON.parse(again.text).restore, { toRestore: 0, restored: 0, toDelete: 0, deleted: 0 })
  })

  it("without a distribution the CDN step is skipped and says so; bad input changes nothing", async () => {
    const dry = await s3cli(["incident", "contain", "--prefix", "items/", "--before", before, "--dry-run"], undefined, {
      LOCALEX_CDN_DISTRIBUTION_ID: ""
    })
    assert.strictEqual(dry.code, 0, dry.stderr)
    assert.include(dry.text, "cdn: skipped — no CDN distribution is configured")
    assertOneLineError(await s3cli(["incident", "contain", "--prefix", "", "--before", before]), 2, "--prefix")
    assertOneLineError(await s3cli(["incident", "contain", "--prefix", "items/", "--before", "soon"]), 2, "--before")
    assertOneLineError(
      await s3cli(["incident", "changes", "--prefix", "items/", "--since", until, "--until", before]),
      2,
      "must be after --since"
    )
  })
})
