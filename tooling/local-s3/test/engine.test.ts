import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { radosgwAdmin, s3Request, signV4, start, testS3 } from "@localex/local-s3"
import type {} from "@localex/local-s3/vitest-global-setup"
import { describe, expect, inject, it } from "vitest"

const s3 = testS3()

describe("signV4", () => {
  it("matches the GET Object example of the AWS SigV4 documentation", () => {
    const headers = signV4({
      url: "https://examplebucket.s3.amazonaws.com/test.txt",
      headers: { Range: "bytes=0-9" },
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      now: new Date("2013-05-24T00:00:00Z")
    })
    expect(headers.authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, " +
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
  })
})

describe.skipIf(!s3)("the engine of the global setup", () => {
  const engine = s3!

  it("reaches the workers through the environment and through inject", () => {
    expect(inject("localS3")).toEqual(engine)
    expect(engine.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it("creates a bucket, stores, reads, lists and deletes objects", async () => {
    const bucket = `engine-test-${randomBytes(4).toString("hex")}`
    const body = randomBytes(3 * 1024 * 1024 + 17)
    const keys = ["photos/a b+c.bin", "photos/ünï-cødé (1).bin"]

    expect((await s3Request(engine, { method: "PUT", bucket })).status).toBe(200)
    for (const key of keys) {
      const put = await s3Request(engine, {
        method: "PUT",
        bucket,
        key,
        body,
        headers: { "content-type": "image/jpeg" }
      })
      expect(put.status).toBe(200)
    }
    for (const key of keys) {
      const get = await s3Request(engine, { bucket, key })
      expect(get.status).toBe(200)
      expect(get.headers.get("content-type")).toBe("image/jpeg")
      expect(Buffer.from(await get.arrayBuffer()).equals(body)).toBe(true)
    }

    const list = await s3Request(engine, { bucket, query: { "list-type": "2", prefix: "photos/" } })
    const listed = [...(await list.text()).matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1])
    expect(listed.sort()).toEqual([...keys].sort())

    for (const key of keys) expect((await s3Request(engine, { method: "DELETE", bucket, key })).status).toBe(204)
    expect((await s3Request(engine, { bucket, key: keys[0]! })).status).toBe(404)
    expect((await s3Request(engine, { method: "DELETE", bucket })).status).toBe(204)
    expect(await (await s3Request(engine)).text()).not.toContain(`<Name>${bucket}</Name>`)
  })

  it("offers the COLD storage class", async () => {
    const bucket = `engine-cold-${randomBytes(4).toString("hex")}`
    await s3Request(engine, { method: "PUT", bucket })
    const put = await s3Request(engine, {
      method: "PUT",
      bucket,
      key: "k",
      body: "x",
      headers: { "x-amz-storage-class": "COLD" }
    })
    expect(put.status).toBe(200)
    const head = await s3Request(engine, { method: "HEAD", bucket, key: "k" })
    expect(head.headers.get("x-amz-storage-class")).toBe("COLD")
    // An engine reused from AWS_* variables has no known data folder.
    if (engine.dataDir) expect(await radosgwAdmin(engine.dataDir, "zonegroup", "placement", "list")).toContain("COLD")
  })

  it("runs a second cluster beside it, and stop() leaves no process and no folder", async () => {
    const second = await start()
    try {
      expect(second.endpoint).not.toBe(engine.endpoint)
      expect((await s3Request(second)).status).toBe(200)
    } finally {
      await second.stop()
    }
    expect(existsSync(second.dataDir)).toBe(false)
    for (const pid of Object.values(second.pids))
      expect(existsSync(`/proc/${pid}/cmdline`) && !isZombie(pid)).toBe(false)
  })
})

describe.skipIf(!s3)("a radosgw-admin that crashes at start", () => {
  it("is run once more: the cluster comes up", async () => {
    // A radosgw-admin on PATH that dies of SIGSEGV on its first `user create`, as Pacific's does now and then.
    const bin = mkdtempSync(join(tmpdir(), "local-s3-crash-"))
    const crashed = join(bin, "crashed")
    writeFileSync(
      join(bin, "radosgw-admin"),
      `#!/bin/sh\nif [ "$3 $4" = "user create" ] && [ ! -e ${crashed} ]; then\n  touch ${crashed}\n  echo "*** Caught signal (Segmentation fault) **" >&2\n  kill -SEGV $$\nfi\nexec ${realAdmin()} "$@"\n`,
      { mode: 0o755 }
    )
    const path = process.env.PATH
    process.env.PATH = `${bin}:${path}`
    try {
      const engine = await start()
      try {
        expect(existsSync(crashed)).toBe(true)
        expect((await s3Request(engine)).status).toBe(200)
      } finally {
        await engine.stop()
      }
    } finally {
      process.env.PATH = path
      rmSync(bin, { recursive: true, force: true })
    }
  })
})

const realAdmin = () => execFileSync("sh", ["-c", "command -v radosgw-admin"], { encoding: "utf8" }).trim()

const isZombie = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")
  } catch {
    return true
  }
}
