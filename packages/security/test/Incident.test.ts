/**
 * Incident changes and containment on a versioned bucket of the local Ceph RGW, with the CDN
 * invalidation sent to CloudFront on the local moto server (and skipped, said so, without a
 * distribution). Before T: items/a.jpg (100 B), items/c.jpg (200 B), items/same.jpg (50 B),
 * profiles/u1.jpg. During the incident: items/a.jpg overwritten twice (110 B, 120 B),
 * items/c.jpg deleted, items/new.jpg created (300 B), profiles/u1.jpg overwritten (outside the prefix).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CloudFrontClient, CreateDistributionCommand, GetInvalidationCommand } from "@aws-sdk/client-cloudfront"
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch"
import { CreateBucketCommand, PutBucketVersioningCommand } from "@aws-sdk/client-s3"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Cdn, CdnClients, DEFAULT_TTLS } from "@localex/cdn"
import { awsClientConfig, createTestAccount, testAws, uniqueName } from "@localex/local-aws"
import { testS3 } from "@localex/local-s3"
import { BucketAdmin, ObjectStore, readBody } from "@localex/storage-core"
import * as S3 from "@localex/storage-core/s3"
import * as Testing from "@localex/storage-core/testing"
import { Effect, Layer, Stream } from "effect"
import { Incident } from "../src/Incident.js"

const engine = testS3()
const aws = testAws()

const tick = () => new Promise((resolve) => setTimeout(resolve, 1200))
const seeded = (size: number, seed: number) => new Uint8Array(size).map((_, i) => (i * 31 + seed * 7) % 251)
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
const pad = (n: number) => String(n).padStart(2, "0")
/** S3's log time: `06/Feb/2019:00:00:38 +0000`. */
const logTime = (d: Date) =>
  `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`

describe.skipIf(!engine || !aws)("Incident on a versioned RGW bucket, CDN on moto", () => {
  const raw = Testing.rawClient(engine)
  const bucket = Testing.bucketName("incident")
  const plain = Testing.bucketName("incident-plain")
  const INTRUDER = "arn:aws:iam::123456789012:user/intruder"
  const logsDir = mkdtempSync(join(tmpdir(), "localex-incident-logs-"))
  const logFile = join(logsDir, "access.log")
  const logLines: Array<string> = []
  const versions: Record<string, Array<string>> = {}
  let cloudfront: CloudFrontClient
  let cdnClients: Layer.Layer<CdnClients>
  let distributionId: string
  let before: Date
  let until: Date

  const storage = (name: string) => S3.layer(Testing.s3Options(engine!, name))
  const incident = (name: string, distribution: string | undefined) =>
    Incident.layer.pipe(
      Layer.provideMerge(storage(name)),
      Layer.provide(
        Cdn.layer({
          domains: [],
          ttls: DEFAULT_TTLS,
          ...(distribution === undefined ? {} : { distributionId: distribution })
        }).pipe(Layer.provide(cdnClients))
      )
    )
  const run = <A, E>(
    effect: Effect.Effect<A, E, Incident | ObjectStore | BucketAdmin>,
    options: { readonly bucket?: string; readonly cdn?: boolean } = {}
  ) =>
    Effect.runPromise(
      Effect.provide(effect, incident(options.bucket ?? bucket, options.cdn === false ? undefined : distributionId))
    )
  const store = Effect.gen(function* () {
    return yield* ObjectStore
  })
  const service = Effect.gen(function* () {
    return yield* Incident
  })
  const put = async (key: string, size: number, seed: number) => {
    const info = await Effect.runPromise(
      Effect.flatMap(store, (s) => s.put(key, seeded(size, seed))).pipe(Effect.provide(storage(bucket)))
    )
    versions[key] = [...(versions[key] ?? []), info.versionId as string]
  }
  const logRequest = (time: Date, operation: string, key: string, status: number) =>
    logLines.push(
      `OWNER ${bucket} [${logTime(time)}] 203.0.113.9 ${INTRUDER} REQ${logLines.length} ${operation} ${key} "PUT /${bucket}/${key} HTTP/1.1" ${status} - - 100 10 5 "-" "curl/8" - HOST= SigV4 ECDHE AuthHeader host TLSv1.3 - - -`
    )
  const bytesOf = (key: string) =>
    run(
      Effect.gen(function* () {
        const body = yield* readBody(yield* store, key)
        const chunks = yield* Stream.runCollect(body)
        return Buffer.concat(chunks.map((c) => Buffer.from(c)))
      })
    )
  const exists = (key: string) => run(Effect.flatMap(store, (s) => s.exists(key)))
  const history = (key: string) =>
    run(
      Effect.gen(function* () {
        const admin = yield* BucketAdmin
        const all = yield* Stream.runCollect(admin.listVersions({ prefix: key }))
        return all.filter((v) => v.key === key)
      })
    )

  beforeAll(async () => {
    for (const name of [bucket, plain]) await raw.send(new CreateBucketCommand({ Bucket: name }))
    await raw.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }))
    const config = awsClientConfig(aws!, await createTestAccount(aws!))
    cloudfront = new CloudFrontClient(config)
    cdnClients = CdnClients.layer({ cloudfront, cloudwatch: new CloudWatchClient(config) })
    const name = uniqueName("incident")
    const created = await cloudfront.send(
      new CreateDistributionCommand({
        DistributionConfig: {
          CallerReference: name,
          Comment: "incident test",
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
    distributionId = created.Distribution!.Id!

    await put("items/a.jpg", 100, 1)
    await put("items/c.jpg", 200, 2)
    await put("items/same.jpg", 50, 3)
    await put("profiles/u1.jpg", 10, 4)
    await tick()
    before = new Date()
    await tick()
    await put("items/a.jpg", 110, 5)
    logRequest(new Date(), "REST.PUT.OBJECT", "items/a.jpg", 200)
    await put("items/a.jpg", 120, 6)
    logRequest(new Date(), "REST.PUT.OBJECT", "items/a.jpg", 200)
    // items/c.jpg's delete is not in the logs: it shows as unattributed.
    await run(Effect.flatMap(store, (s) => s.delete("items/c.jpg")))
    await put("items/new.jpg", 300, 7)
    logRequest(new Date(), "REST.PUT.OBJECT", "items/new.jpg", 200)
    logRequest(new Date(), "REST.DELETE.OBJECT", "items/same.jpg", 403)
    await put("profiles/u1.jpg", 11, 8)
    await tick()
    until = new Date()
    logRequest(new Date(until.getTime() + 3_600_000), "REST.PUT.OBJECT", "items/new.jpg", 200)
    writeFileSync(logFile, `${logLines.join("\n")}\n`)
  }, 120_000)

  afterAll(async () => {
    rmSync(logsDir, { recursive: true, force: true })
    await Testing.dropBucket(raw, bucket)
    await Testing.dropBucket(raw, plain)
  })

  it("changes: exactly the three keys of the prefix, their versions, and the requests of the logs", async () => {
    const report = await run(
      Effect.flatMap(service, (s) =>
        s.changes({
          prefix: "items/",
          since: before,
          until,
          logs: { source: { _tag: "Path", path: logFile }, name: logFile }
        })
      )
    )
    assert.deepStrictEqual(report.counts, {
      keys: 3,
      created: 1,
      deleted: 1,
      modified: 1,
      createdAndDeleted: 0,
      versions: 4,
      bytesWritten: 530
    })
    const a = report.changes[0]!
    assert.deepStrictEqual(
      report.changes.map((c) => [c.key, c.change]),
      [
        ["items/a.jpg", "modified"],
        ["items/c.jpg", "deleted"],
        ["items/new.jpg", "created"]
      ]
    )
    assert.strictEqual(a.before?.versionId, versions["items/a.jpg"]![0])
    assert.strictEqual(a.after?.versionId, versions["items/a.jpg"]![2])
    assert.deepStrictEqual(
      a.events.map((e) => [e.kind, e.versionId, e.size]),
      [
        ["overwritten", versions["items/a.jpg"]![1], 110],
        ["overwritten", versions["items/a.jpg"]![2], 120]
      ]
    )
    assert.deepStrictEqual(
      report.changes[1]!.events.map((e) => e.kind),
      ["deleted"]
    )
    assert.strictEqual(report.changes[1]!.before?.size, 200)
    assert.isNull(report.changes[1]!.after)
    assert.deepStrictEqual(
      report.changes[2]!.events.map((e) => [e.kind, e.size]),
      [["created", 300]]
    )
    assert.deepStrictEqual(report.logs, {
      source: logFile,
      requests: 3,
      unattributed: ["items/c.jpg"],
      byRequester: [{ name: INTRUDER, count: 3 }]
    })
    assert.deepStrictEqual(
      a.requests.map((r) => [r.operation, r.status, r.remoteIp]),
      [
        ["REST.PUT.OBJECT", 200, "203.0.113.9"],
        ["REST.PUT.OBJECT", 200, "203.0.113.9"]
      ]
    )
    // The manifest and the Markdown report are stored under _localex/.
    assert.match(report.manifestKey, /^_localex\/reports\/security\/incident\/.+-changes\.json$/)
    const stored = JSON.parse((await bytesOf(report.manifestKey)).toString("utf8"))
    assert.strictEqual(stored.counts.keys, 3)
    const markdown = (await bytesOf(report.reportKey)).toString("utf8")
    assert.strictEqual(markdown, report.markdown)
    assert.include(markdown, "| `items/c.jpg` | deleted |")
    assert.include(markdown, INTRUDER)
  })

  it("contain: the dry run shows the plan and changes nothing; the run restores, removes, invalidates; a rerun converges", async () => {
    const v = versions
    const dry = await run(Effect.flatMap(service, (s) => s.contain({ prefix: "items/", before, dryRun: true })))
    assert.deepStrictEqual(
      dry.plan.map((a) =>
        a.action === "restore" ? [a.action, a.key, a.versionId, a.size] : [a.action, a.key, a.size]
      ),
      [
        ["restore", "items/a.jpg", v["items/a.jpg"]![0], 100],
        ["restore", "items/c.jpg", v["items/c.jpg"]![0], 200],
        ["delete", "items/new.jpg", 300]
      ]
    )
    assert.deepStrictEqual(
      [dry.restore.toRestore, dry.restore.bytesToRestore, dry.restore.toDelete, dry.restore.restored],
      [2, 300, 1, 0]
    )
    assert.deepStrictEqual(dry.cdn.status, "planned")
    assert.deepStrictEqual(dry.cdn.paths, ["/items/a.jpg", "/items/c.jpg", "/items/new.jpg"])
    assert.isNull(dry.manifestKey)
    assert.include(dry.markdown, "Dry run: nothing was changed")
    // Nothing changed: the same versions, the incident's content still current.
    assert.strictEqual((await history("items/a.jpg")).length, 3)
    assert.isTrue((await bytesOf("items/a.jpg")).equals(Buffer.from(seeded(120, 6))))
    assert.isTrue(await exists("items/new.jpg"))
    assert.isFalse(await exists("items/c.jpg"))

    const done = await run(Effect.flatMap(service, (s) => s.contain({ prefix: "items/", before, waitForCdn: true })))
    assert.isTrue(done.ok, JSON.stringify(done.restore))
    assert.deepStrictEqual(
      [done.restore.restored, done.restore.bytesRestored, done.restore.deleted, done.restore.failed.length],
      [2, 300, 1, 0]
    )
    assert.deepStrictEqual(done.remaining, [])
    assert.isTrue((await bytesOf("items/a.jpg")).equals(Buffer.from(seeded(100, 1))))
    assert.isTrue((await bytesOf("items/c.jpg")).equals(Buffer.from(seeded(200, 2))))
    assert.isTrue((await bytesOf("items/same.jpg")).equals(Buffer.from(seeded(50, 3))))
    assert.isFalse(await exists("items/new.jpg"))
    // Nothing lost: items/new.jpg's version is under a delete marker; profiles/ was not touched.
    const newHistory = await history("items/new.jpg")
    assert.deepStrictEqual(
      newHistory.map((h) => [h.isDeleteMarker, h.isLatest]),
      [
        [true, true],
        [false, false]
      ]
    )
    assert.isTrue((await bytesOf("profiles/u1.jpg")).equals(Buffer.from(seeded(11, 8))))
    // The CDN got exactly the changed keys.
    assert.strictEqual(done.cdn.status, "invalidated")
    assert.strictEqual(done.cdn.invalidationIds.length, 1)
    const sent = await cloudfront.send(
      new GetInvalidationCommand({ DistributionId: distributionId, Id: done.cdn.invalidationIds[0]! })
    )
    assert.deepStrictEqual(sent.Invalidation?.InvalidationBatch?.Paths?.Items, [
      "/items/a.jpg",
      "/items/c.jpg",
      "/items/new.jpg"
    ])
    // Manifest first, then the result and the report, all under _localex/.
    for (const key of [done.manifestKey!, done.resultKey!, done.reportKey!])
      assert.match(key, /^_localex\/reports\/security\/incident\/.+-contain-(plan\.json|result\.json|report\.md)$/)
    const manifest = JSON.parse((await bytesOf(done.manifestKey!)).toString("utf8"))
    assert.strictEqual(manifest.plan.length, 3)
    const markdown = (await bytesOf(done.reportKey!)).toString("utf8")
    assert.include(markdown, "restored 2 (300 bytes)")
    assert.include(markdown, "every key is in its state before the incident")

    const again = await run(Effect.flatMap(service, (s) => s.contain({ prefix: "items/", before })))
    assert.isTrue(again.ok)
    assert.deepStrictEqual([again.plan.length, again.restore.restored, again.restore.deleted], [0, 0, 0])
    assert.isTrue((await bytesOf("items/a.jpg")).equals(Buffer.from(seeded(100, 1))))
  })

  it("without a distribution the CDN step is skipped and says so", async () => {
    const dry = await run(
      Effect.flatMap(service, (s) => s.contain({ prefix: "items/", before, dryRun: true })),
      { cdn: false }
    )
    assert.strictEqual(dry.cdn.status, "skipped")
    assert.include(dry.cdn.note ?? "", "no CDN distribution is configured")
    assert.include(dry.markdown, "CDN: skipped")
  })

  it("bad requests and an unversioned bucket are typed errors that change nothing", async () => {
    const fail = (effect: Effect.Effect<unknown, { readonly _tag: string }, Incident>, name = bucket) =>
      run(Effect.flip(effect), { bucket: name }).then((e) => e._tag)
    assert.strictEqual(
      await fail(Effect.flatMap(service, (s) => s.contain({ prefix: "", before }))),
      "InvalidIncidentRequest"
    )
    assert.strictEqual(
      await fail(Effect.flatMap(service, (s) => s.contain({ prefix: "_localex/", before }))),
      "InvalidIncidentRequest"
    )
    assert.strictEqual(
      await fail(
        Effect.flatMap(service, (s) => s.contain({ prefix: "items/", before: new Date(Date.now() + 60_000) }))
      ),
      "InvalidIncidentRequest"
    )
    assert.strictEqual(
      await fail(Effect.flatMap(service, (s) => s.changes({ prefix: "items/", since: until, until: before }))),
      "InvalidIncidentRequest"
    )
    assert.strictEqual(
      await fail(
        Effect.flatMap(service, (s) => s.changes({ prefix: "items/", since: before, until })),
        plain
      ),
      "VersioningRequired"
    )
  })
})
