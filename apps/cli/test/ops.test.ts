/**
 * The operations commands (stats, cleanup expired|orphans, lifecycle, tiering), through the
 * built binary on the fs driver with a known population, and lifecycle on the local Ceph RGW.
 */
import { randomBytes } from "node:crypto"
import { writeFile } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { s3Request, testS3 } from "@localex/local-s3"
import { assertOneLineError, cleanEnv, type Run, repo, run, tempDir } from "./helpers.js"

let dir: Awaited<ReturnType<typeof tempDir>>
let env: Record<string, string>
const cli = (args: ReadonlyArray<string>, input?: Uint8Array): Promise<Run> =>
  run(args, { env, cwd: dir.path, ...(input === undefined ? {} : { input }) })

const PHOTO = `items/1/photos/${"a".repeat(64)}`
/** key → size; `expires` puts an expires-at in the past (or, for keep.txt, the future). */
const POPULATION: ReadonlyArray<{ key: string; size: number; expiresAt?: string }> = [
  { key: `${PHOTO}/large.webp`, size: 1000 },
  { key: `${PHOTO}/thumbnail.webp`, size: 200 },
  { key: `${PHOTO}/manifest.json`, size: 50 },
  { key: "items/2/orphan.jpg", size: 3000 },
  { key: "items/3/expired.jpg", size: 400, expiresAt: "2020-01-01T00:00:00Z" },
  { key: "profiles/7/me.jpg", size: 700 },
  { key: "temp/a.txt", size: 10 },
  { key: "temp/b.txt", size: 20 },
  { key: "temp/keep.txt", size: 30, expiresAt: "2999-01-01T00:00:00Z" }
]
const TOTAL_BYTES = POPULATION.reduce((sum, o) => sum + o.size, 0)

const keys = async (prefix = "") => {
  const ls = await cli(["--json", "object", "ls", "-r", ...(prefix === "" ? [] : ["--prefix", prefix])])
  assert.strictEqual(ls.code, 0, ls.stderr)
  return (JSON.parse(ls.text) as { entries: Array<{ key: string }> }).entries.map((e) => e.key)
}

interface Outcome {
  plan: { totals: { objects: number; bytes: number }; sample: Array<{ key: string; reason: string }> }
  report: null | {
    manifestKey: string | null
    reportKey: string | null
    deleted: { objects: number; bytes: number }
    skipped: Array<unknown>
    failed: Array<unknown>
  }
}

beforeAll(async () => {
  dir = await tempDir()
  env = { LOCALEX_STORAGE_DRIVER: "fs", LOCALEX_STORAGE_FS_ROOT: join(dir.path, "data") }
  for (const o of POPULATION) {
    const metadata = o.expiresAt === undefined ? [] : ["--metadata", `expires-at=${o.expiresAt}`]
    const put = await cli(["object", "put", "-", o.key, ...metadata], randomBytes(o.size))
    assert.strictEqual(put.code, 0, put.stderr)
  }
})
afterAll(() => dir[Symbol.asyncDispose]())

describe("localex-storage stats (fs)", () => {
  it("--json counts every object and byte exactly, by prefix", async () => {
    const result = await cli(["--json", "stats"])
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stderr, "")
    const stats = JSON.parse(result.text)
    assert.deepStrictEqual(stats.totals, { objects: POPULATION.length, bytes: TOTAL_BYTES })
    assert.deepStrictEqual(stats.byPrefix.entries, [
      { prefix: "items/", objects: 5, bytes: 4650 },
      { prefix: "profiles/", objects: 1, bytes: 700 },
      { prefix: "temp/", objects: 3, bytes: 60 }
    ])
    assert.deepStrictEqual(stats.byStorageClass, [
      { storageClass: "STANDARD", objects: POPULATION.length, bytes: TOTAL_BYTES }
    ])
    assert.strictEqual(stats.largest[0].key, "items/2/orphan.jpg")
    assert.deepStrictEqual(stats.multipartUploads, { uploads: 0, bytes: 0, oldestInitiated: null })
    assert.strictEqual(stats.listing.mode, "sequential")
  })

  it("the table shows the totals, prefixes and largest objects; --prefix/--depth/--largest narrow it", async () => {
    const table = await cli(["stats"])
    assert.strictEqual(table.code, 0, table.stderr)
    assert.match(table.text, new RegExp(`^objects\\s+${POPULATION.length}$`, "m"))
    assert.match(table.text, new RegExp(`^bytes\\s+${TOTAL_BYTES} \\(5\\.3 KiB\\)$`, "m"))
    assert.match(table.text, /^ {2}items\/\s+5\s+4\.5 KiB$/m)
    assert.match(table.text, /^largest$/m)
    assert.include(table.text, "items/2/orphan.jpg")

    // --depth counts folder levels below --prefix.
    const narrow = await cli(["--json", "stats", "--prefix", "items/", "--depth", "1", "--largest", "1"])
    const stats = JSON.parse(narrow.text)
    assert.deepStrictEqual(stats.totals, { objects: 5, bytes: 4650 })
    assert.deepStrictEqual(
      stats.byPrefix.entries.map((e: { prefix: string }) => e.prefix),
      ["items/1/", "items/2/", "items/3/"]
    )
    assert.strictEqual(stats.largest.length, 1)
  })

  it("--quota: ok is exit 0; exceeded is exit 4 with the verdict in the one JSON document", async () => {
    await writeFile(join(dir.path, "ok.json"), JSON.stringify({ maxObjects: 100 }))
    const ok = await cli(["stats", "--quota", "ok.json"])
    assert.strictEqual(ok.code, 0, ok.stderr)
    assert.match(ok.text, /^quota: ok$/m)

    await writeFile(
      join(dir.path, "quota.json"),
      JSON.stringify({ maxBytes: 1_000_000, prefixes: [{ prefix: "temp/", maxObjects: 2 }] })
    )
    const json = await cli(["--json", "stats", "--quota", "quota.json"])
    assert.strictEqual(json.code, 4, json.stderr)
    const document = JSON.parse(json.text)
    assert.strictEqual(document.totals.objects, POPULATION.length)
    assert.strictEqual(document.quota.status, "exceeded")
    assert.deepStrictEqual(document.quota.summary, ["exceeded: temp/ uses 3 objects of 2 objects (150.0%)"])
    assert.strictEqual(
      json.stderr,
      "localex-storage: A storage quota is exceeded: temp/ uses 3 objects of 2 objects (150.0%)\n"
    )

    const table = await cli(["stats", "--quota", "quota.json"])
    assert.strictEqual(table.code, 4)
    assert.match(table.text, /^quota: exceeded$/m)

    await writeFile(join(dir.path, "bad.json"), JSON.stringify({ maxBytes: "lots" }))
    assertOneLineError(await cli(["stats", "--quota", "bad.json"]), 1, "The policy bad.json is not valid")
  })

  it("bad flag values and --inventory with --inventory-prefix are usage errors", async () => {
    assertOneLineError(await cli(["stats", "--depth", "-1"]), 2, "--depth")
    assertOneLineError(
      await cli(["stats", "--inventory", "inv/manifest.json", "--inventory-prefix", "inv/"]),
      2,
      "not both"
    )
    assertOneLineError(await cli(["stats", "--inventory-prefix", "inv/"]), 1, "no manifest.json")
  })
})

describe("localex-storage cleanup expired (fs)", () => {
  // temp/ objects older than 0s (all of them) by rule, and items/3/expired.jpg by its expires-at;
  // temp/keep.txt's expires-at is in the future, but the rule expires it anyway.
  const expired = ["items/3/expired.jpg", "temp/a.txt", "temp/b.txt", "temp/keep.txt"]
  const rule = ["--rule", "temp/=0s"]

  it("--dry-run lists what would be deleted and why, and deletes nothing", async () => {
    const before = await keys()
    const dry = await cli(["--json", "cleanup", "expired", "--dry-run", ...rule])
    assert.strictEqual(dry.code, 0, dry.stderr)
    const outcome = JSON.parse(dry.text) as Outcome
    assert.isNull(outcome.report)
    assert.deepStrictEqual(outcome.plan.totals, { objects: 4, bytes: 460 })
    assert.deepStrictEqual(
      outcome.plan.sample.map((c) => c.key),
      expired
    )
    assert.include(outcome.plan.sample[0]!.reason, "expires-at 2020-01-01T00:00:00.000Z has passed")

    const table = await cli(["cleanup", "expired", "--dry-run", ...rule])
    assert.match(table.text, /dry run: nothing deleted/)
    assert.match(table.text, /^would delete\s+4 objects, 460 B$/m)
    assert.deepStrictEqual(await keys(), before)

    // Without rules: the default (temp/ older than 24h) expires nothing here; expires-at still does.
    const defaults = JSON.parse((await cli(["--json", "cleanup", "expired", "--dry-run"])).text) as Outcome
    assert.deepStrictEqual(
      defaults.plan.sample.map((c) => c.key),
      ["items/3/expired.jpg"]
    )
    const rulesOnly = JSON.parse(
      (await cli(["--json", "cleanup", "expired", "--dry-run", "--no-expires-at"])).text
    ) as Outcome
    assert.strictEqual(rulesOnly.plan.totals.objects, 0)
  })

  it("a malformed --rule is a usage error", async () => {
    assertOneLineError(await cli(["cleanup", "expired", "--rule", "temp/"]), 2, "PREFIX=AGE")
  })

  it("a plan over the safety limit stops (exit 3) and deletes nothing", async () => {
    const before = await keys()
    const refused = await cli(["cleanup", "expired", ...rule, "--max-objects", "2"])
    assertOneLineError(refused, 3, "over the safety limit")
    const json = await cli(["--json", "cleanup", "expired", ...rule, "--max-objects", "2"])
    assert.strictEqual(json.code, 3)
    assert.deepInclude(JSON.parse(json.text).error, { tag: "SafetyLimitExceeded", exitCode: 3 })
    assert.deepStrictEqual(await keys(), before)
  })

  it("with --force it runs: manifest first, exactly the expired deleted; a second run deletes nothing", async () => {
    const real = await cli(["--json", "cleanup", "expired", ...rule, "--max-objects", "2", "--force"])
    assert.strictEqual(real.code, 0, real.stderr)
    assert.strictEqual(real.stderr, "", "no progress bar when stderr is not a terminal")
    const outcome = JSON.parse(real.text) as Outcome
    const report = outcome.report!
    assert.deepStrictEqual(report.deleted, { objects: 4, bytes: 460 })
    assert.deepStrictEqual([report.skipped.length, report.failed.length], [0, 0])
    assert.match(report.manifestKey!, /^_localex\/reports\/cleanup\/\d{8}T\d{9}Z-expired-plan\.json$/)

    const left = await keys()
    for (const key of expired) assert.notInclude(left, key)
    assert.includeMembers(left, [`${PHOTO}/large.webp`, "items/2/orphan.jpg", "profiles/7/me.jpg"])
    assert.deepStrictEqual(await keys("_localex/reports/cleanup/"), [report.manifestKey, report.reportKey])
    const manifest = await cli(["object", "get", report.manifestKey!, "-"])
    assert.deepStrictEqual(
      (JSON.parse(manifest.text) as { candidates: Array<{ key: string }> }).candidates.map((c) => c.key),
      expired
    )

    const again = await cli(["cleanup", "expired", ...rule])
    assert.strictEqual(again.code, 0, again.stderr)
    assert.match(again.text, /^deleted\s+0 objects, 0 B$/m)
    assert.match(again.text, /^manifest\s+- \(nothing to delete\)$/m)
    assert.strictEqual((await keys("_localex/reports/cleanup/")).length, 2, "an empty plan writes nothing")
  })

  it("the root script storage:cleanup-expired runs it (npm run storage:cleanup-expired -- --dry-run)", async () => {
    const { spawnSync } = await import("node:child_process")
    const result = spawnSync("npm", ["run", "--silent", "storage:cleanup-expired", "--", "--dry-run"], {
      cwd: repo,
      env: cleanEnv(env),
      encoding: "utf8"
    })
    assert.strictEqual(result.status, 0, result.stderr + result.stdout)
    assert.include(result.stdout, "cleanup       expired on file://")
    assert.include(result.stdout, "dry run: nothing deleted")
  })
})

describe("localex-storage cleanup orphans (fs)", () => {
  it("keeps what the references cover (a photo's variants and manifest) and deletes the rest", async () => {
    // One variant of the photo referenced: the whole photo folder is kept.
    await writeFile(join(dir.path, "refs.txt"), `${PHOTO}/large.webp\n{"key":"profiles/7/me.jpg"}\n`)
    const flags = ["--references", "refs.txt", "--grace", "0s"]
    const dry = await cli(["--json", "cleanup", "orphans", ...flags, "--dry-run"])
    assert.strictEqual(dry.code, 0, dry.stderr)
    const planned = JSON.parse(dry.text) as Outcome
    assert.deepStrictEqual(
      planned.plan.sample.map((c) => c.key),
      ["items/2/orphan.jpg"]
    )
    assert.include(await keys(), "items/2/orphan.jpg")

    // Inside the default 24h grace period nothing is an orphan yet.
    const young = JSON.parse(
      (await cli(["--json", "cleanup", "orphans", "--references", "refs.txt", "--dry-run"])).text
    )
    assert.strictEqual(young.plan.totals.objects, 0)

    const real = await cli(["cleanup", "orphans", ...flags])
    assert.strictEqual(real.code, 0, real.stderr)
    assert.match(real.text, /^deleted\s+1 object, 2\.9 KiB$/m)
    const left = await keys("items/")
    assert.deepStrictEqual(left, [`${PHOTO}/large.webp`, `${PHOTO}/manifest.json`, `${PHOTO}/thumbnail.webp`])
  })

  it("refuses to run without exactly one reference source, or with an empty one", async () => {
    assertOneLineError(await cli(["cleanup", "orphans", "--dry-run"]), 2, "--references")
    await writeFile(join(dir.path, "empty.txt"), "\n")
    assertOneLineError(await cli(["cleanup", "orphans", "--references", "empty.txt"]), 1, "lists no keys")
  })
})

describe("localex-storage lifecycle and tiering (fs)", () => {
  it("answer in one line that the fs driver has no lifecycle (exit 1)", async () => {
    assertOneLineError(await cli(["lifecycle", "plan"]), 1, "the fs driver has no lifecycle")
    assertOneLineError(await cli(["lifecycle", "apply"]), 1, "the fs driver has no lifecycle")
    assertOneLineError(await cli(["tiering", "plan"]), 1, "The fs driver does not support intelligent tiering")
  })

  it("a policy file that does not decode is exit 1; --archive-class with --policy is a usage error", async () => {
    await writeFile(join(dir.path, "policy.json"), JSON.stringify({ rules: [{ id: "x" }] }))
    assertOneLineError(await cli(["lifecycle", "plan", "--policy", "policy.json"]), 1, "is not valid")
    assertOneLineError(
      await cli(["lifecycle", "plan", "--policy", "policy.json", "--archive-class", "COLD"]),
      2,
      "--policy"
    )
  })
})

const s3 = testS3()

describe.skipIf(s3 === undefined)("localex-storage operations on the s3 driver (local Ceph RGW)", () => {
  const bucket = `cli-ops-${randomBytes(4).toString("hex")}`
  let s3env: Record<string, string>
  const s3cli = (args: ReadonlyArray<string>, input?: Uint8Array) =>
    run(["--bucket", bucket, "--endpoint", s3!.endpoint, ...args], {
      env: s3env,
      cwd: dir.path,
      ...(input === undefined ? {} : { input })
    })

  beforeAll(async () => {
    const engine = s3!
    const created = await s3Request(engine, { method: "PUT", bucket })
    assert.isTrue(created.ok, `create bucket: ${created.status}`)
    s3env = {
      AWS_ACCESS_KEY_ID: engine.accessKeyId,
      AWS_SECRET_ACCESS_KEY: engine.secretAccessKey,
      AWS_REGION: engine.region,
      LOCALEX_STORAGE_S3_CHECKSUMS: "when_required"
    }
  })

  it("lifecycle plan, apply, then plan shows no changes; apply again changes nothing", async () => {
    const policy = ["--archive-class", "COLD"]
    const plan = await s3cli(["lifecycle", "plan", ...policy])
    assert.strictEqual(plan.code, 0, plan.stderr)
    assert.include(plan.text, '+ add lifecycle rule "expire-temp"')

    const apply = await s3cli(["--json", "lifecycle", "apply", ...policy])
    assert.strictEqual(apply.code, 0, apply.stderr)
    const applied = JSON.parse(apply.text) as { plan: { changes: Array<{ id: string }> }; applied: boolean }
    assert.isTrue(applied.applied)
    assert.strictEqual(applied.plan.changes.length, 5)

    const after = await s3cli(["lifecycle", "plan", ...policy])
    assert.strictEqual(after.code, 0, after.stderr)
    assert.match(after.text, /^No changes: .*\(5 unchanged\)\.$/m)
    const again = await s3cli(["--json", "lifecycle", "apply", ...policy])
    assert.isFalse(JSON.parse(again.text).applied)
  })

  it("stats counts the bucket exactly (default mode: a one-page bucket is one sequential request), the same as --sequential", async () => {
    for (const [key, size] of [
      ["items/1/a.jpg", 1000],
      ["items/2/b.jpg", 2000],
      ["temp/c.txt", 30]
    ] as const) {
      assert.strictEqual((await s3cli(["object", "put", "-", key], randomBytes(size))).code, 0)
    }
    const chosen = JSON.parse((await s3cli(["--json", "stats"])).text)
    assert.deepStrictEqual(chosen.totals, { objects: 3, bytes: 3030 })
    assert.strictEqual(chosen.listing.mode, "sequential")
    assert.isNumber(chosen.listing.pageMs)
    const sequential = JSON.parse((await s3cli(["--json", "stats", "--sequential"])).text)
    assert.deepStrictEqual(sequential.byPrefix, chosen.byPrefix)
  })
})
