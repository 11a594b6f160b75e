/**
 * `localex-storage backup …` through the built binary: snapshot and verify between folders and
 * between buckets of the local Ceph RGW, versioning, versions, undelete, restore, pitr, status,
 * drill, and how bad input fails.
 */
import { randomBytes } from "node:crypto"
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { s3Request, testS3 } from "@localex/local-s3"
import { assertOneLineError, type Run, run, tempDir } from "./helpers.js"

let dir: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  dir = await tempDir()
})
afterAll(async () => {
  await dir[Symbol.asyncDispose]()
})

const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}, input?: Uint8Array): Promise<Run> =>
  run(args, { env, cwd: dir.path, ...(input === undefined ? {} : { input }) })

describe("backup between folders", () => {
  it("snapshot, verify (= lines, exit 0), a changed file (* and exit 1), a re-sync, bad locations", async () => {
    await mkdir(join(dir.path, "live"))
    for (const [key, size] of [
      ["items/1/a.jpg", 100],
      ["items/2/b.jpg", 200],
      ["profiles/u/me.jpg", 300]
    ] as const)
      assert.strictEqual((await cli(["--root", "live", "object", "put", "-", key], {}, randomBytes(size))).code, 0)

    const snap = await cli(["--json", "backup", "snapshot", "live", "backup"])
    assert.strictEqual(snap.code, 0, snap.stderr)
    const report = JSON.parse(snap.text) as { copied: { objects: number }; reportKey: string }
    assert.strictEqual(report.copied.objects, 3)
    assert.match(report.reportKey, /^_localex\/reports\/backup\/snapshot\//)

    const ok = await cli(["backup", "verify", "live", "backup"])
    assert.strictEqual(ok.code, 0, ok.stderr)
    assert.include(ok.text, "= items/1/a.jpg\n= items/2/b.jpg\n= profiles/u/me.jpg\n")

    assert.strictEqual(
      (await cli(["--root", "live", "object", "put", "-", "items/1/a.jpg"], {}, randomBytes(100))).code,
      0
    )
    const bad = await cli(["--json", "backup", "verify", "live", "backup", "--download"])
    assert.strictEqual(bad.code, 1)
    const counts = JSON.parse(bad.text) as { counts: { same: number; differ: number }; ok: boolean }
    assert.deepInclude(counts.counts, { same: 2, differ: 1 })

    const again = JSON.parse((await cli(["--json", "backup", "snapshot", "live", "backup", "--prefix", "items/"])).text)
    assert.strictEqual(again.copied.objects, 1)
    assert.strictEqual(again.unchanged, 1)

    assertOneLineError(await cli(["backup", "snapshot", "nowhere", "backup"]), 2, "no such folder")
    assertOneLineError(await cli(["backup", "verify", "s3:/typo", "backup"]), 2, "only s3:// URLs")
    assertOneLineError(await cli(["--root", "live", "backup", "undelete", "items/1/a.jpg"]), 1, "versioned S3 bucket")
  })
})

const s3 = testS3()

describe.skipIf(s3 === undefined)("backup on the local Ceph RGW", () => {
  const live = `cli-live-${randomBytes(4).toString("hex")}`
  const copy = `cli-copy-${randomBytes(4).toString("hex")}`
  let env: Record<string, string>
  const s3cli = (args: ReadonlyArray<string>, input?: Uint8Array) =>
    cli(["--bucket", live, "--endpoint", s3!.endpoint, ...args], env, input)

  beforeAll(async () => {
    for (const bucket of [live, copy]) assert.isTrue((await s3Request(s3!, { method: "PUT", bucket })).ok)
    env = {
      AWS_ACCESS_KEY_ID: s3!.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3!.secretAccessKey,
      AWS_REGION: s3!.region,
      AWS_ENDPOINT_URL_S3: s3!.endpoint,
      LOCALEX_STORAGE_S3_CHECKSUMS: "when_required"
    }
  })

  it("versioning, snapshot bucket → bucket, status, drill, versions, undelete, restore, pitr", async () => {
    const enabled = await s3cli(["--json", "backup", "versioning", "enable"])
    assert.strictEqual(enabled.code, 0, enabled.stderr)
    assert.strictEqual(JSON.parse(enabled.text).after.status, "Enabled")
    const state = JSON.parse((await s3cli(["--json", "backup", "versioning", "status"])).text)
    assert.deepInclude(state, { status: "Enabled", mfaDelete: "Disabled" })

    const first = randomBytes(500)
    assert.strictEqual((await s3cli(["object", "put", "-", "items/1/a.jpg"], first)).code, 0)
    assert.strictEqual((await s3cli(["object", "put", "-", "items/2/b.jpg"], randomBytes(600))).code, 0)
    const before = new Date(Date.now() + 1000).toISOString()
    await new Promise((resolve) => setTimeout(resolve, 2200))
    assert.strictEqual((await s3cli(["object", "put", "-", "items/1/a.jpg"], randomBytes(500))).code, 0)

    const snap = await cli(["--json", "backup", "snapshot", `s3://${live}/items/`, `s3://${copy}/items/`], env)
    assert.strictEqual(snap.code, 0, snap.stderr)
    assert.strictEqual(JSON.parse(snap.text).copied.objects, 2)
    const status = await cli(["--json", "backup", "status", `s3://${live}/items/`, `s3://${copy}/items/`], env)
    assert.strictEqual(status.code, 0, status.stderr)
    assert.isTrue(JSON.parse(status.text).ok)
    const drill = await cli(
      ["--json", "backup", "drill", `s3://${live}/items/`, `s3://${copy}/items/`, "--sample", "2"],
      env
    )
    assert.strictEqual(drill.code, 0, drill.stderr)
    assert.strictEqual(JSON.parse(drill.text).restored.objects, 2)

    const listed = await s3cli(["--json", "backup", "versions", "items/1/a.jpg"])
    const versions = JSON.parse(listed.text) as {
      entries: Array<{ versionId: string; isLatest: boolean; etag: string }>
    }
    assert.strictEqual(versions.entries.length, 2, listed.text)
    assert.deepStrictEqual(
      versions.entries.map((entry) => entry.isLatest),
      [true, false],
      `newest first: ${listed.text}`
    )
    const oldest = versions.entries[1]!.versionId
    assert.strictEqual((await s3cli(["object", "rm", "items/2/b.jpg"])).code, 0)
    const undeleted = await s3cli(["--json", "backup", "undelete", "items/2/b.jpg"])
    assert.strictEqual(undeleted.code, 0, undeleted.stderr)
    const restored = await s3cli(["backup", "restore", "items/1/a.jpg", "--version", oldest])
    assert.strictEqual(restored.code, 0, restored.stderr)
    // The restored version is the latest once the engine says so: a loaded single-node RGW may take
    // a moment to move a versioned key's head, so read until it does (10 s at most).
    let got = await s3cli(["object", "get", "items/1/a.jpg", "-"])
    for (let tries = 0; tries < 10 && !got.stdout.equals(first); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 1000))
      got = await s3cli(["object", "get", "items/1/a.jpg", "-"])
    }
    const after = await s3cli(["--json", "backup", "versions", "items/1/a.jpg"])
    assert.isTrue(
      got.stdout.equals(first),
      `the restored bytes are not the first version's (restore said: ${restored.text.trim()}; versions now: ${after.text})`
    )

    const pitr = await s3cli(["--json", "backup", "pitr", "--prefix", "items/", "--at", before, "--dry-run"])
    assert.strictEqual(pitr.code, 0, pitr.stderr)
    assert.strictEqual(JSON.parse(pitr.text).keysAtT, 2)
    assertOneLineError(await s3cli(["backup", "pitr", "--prefix", "items/", "--at", "yesterday"]), 2, "ISO time")
  })

  it("replication: plan shows the rules to add; apply on an engine without replication fails in one line", async () => {
    const policy = join(dir.path, "replication.json")
    await writeFile(
      policy,
      JSON.stringify({
        role: "arn:aws:iam::123456789012:role/r",
        rules: [{ id: "all", destinationBucket: copy }]
      })
    )
    const plan = await s3cli(["backup", "replication", "plan", "--policy", policy])
    assert.strictEqual(plan.code, 0, plan.stderr)
    assert.include(plan.text, "+ all")
    const apply = await s3cli(["backup", "replication", "apply", "--policy", policy])
    assert.strictEqual(apply.code, 1, apply.text)
    assert.strictEqual(apply.stderr.trimEnd().split("\n").length, 1, apply.stderr)
  })
})
