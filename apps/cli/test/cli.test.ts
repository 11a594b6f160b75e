/**
 * The built `localex-storage` binary, spawned as a user would, on the fs driver in a temp
 * folder (and on the local Ceph RGW when the test run has one).
 */
import { randomBytes } from "node:crypto"
import { mkdir, readdir, readFile, stat, truncate, writeFile } from "node:fs/promises"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { s3Request, testS3 } from "@localex/local-s3"
import { assertOneLineError, type Run, run, type Server, startServer, tempDir } from "./helpers.js"

let dir: Awaited<ReturnType<typeof tempDir>>
let env: Record<string, string>
const cli = (args: ReadonlyArray<string>, input?: Uint8Array): Promise<Run> =>
  run(args, { env, cwd: dir.path, ...(input === undefined ? {} : { input }) })

beforeAll(async () => {
  dir = await tempDir()
  env = { LOCALEX_STORAGE_DRIVER: "fs", LOCALEX_STORAGE_FS_ROOT: join(dir.path, "data") }
})
afterAll(() => dir[Symbol.asyncDispose]())

describe("localex-storage on the fs driver", () => {
  const photo = randomBytes(300 * 1024 + 7)

  it("--json --help and --json --version print one JSON document", async () => {
    const version = await cli(["--json", "--version"])
    assert.strictEqual(version.code, 0, version.stderr)
    assert.deepStrictEqual(Object.keys(JSON.parse(version.text)), ["name", "version"])
    const help = await cli(["--json", "object", "put", "--help"])
    assert.strictEqual(help.code, 0, help.stderr)
    const doc = JSON.parse(help.text) as { help: { command: string; usage: string; text: string } }
    assert.strictEqual(doc.help.command, "localex-storage object put")
    assert.include(doc.help.text, "--content-type")
  })

  it("a read of a root that does not exist fails and creates nothing; an empty --root is refused", async () => {
    const missing = join(dir.path, "mistyped-root")
    for (const args of [
      ["object", "stat", "items/1/a.jpg", "--root", missing],
      ["object", "ls", "--root", missing],
      ["object", "sign", "items/1/a.jpg", "--root", missing],
      ["image", "manifest", `items/1/photos/${"a".repeat(64)}`, "--root", missing]
    ]) {
      assertOneLineError(await cli(args), 2, `The root "${missing}" does not exist`)
    }
    assert.isFalse(
      await stat(missing).then(
        () => true,
        () => false
      ),
      "the root was created"
    )
    assertOneLineError(await cli(["object", "ls", "--root", ""]), 2, "--root is empty")
    // A write creates it.
    await writeFile(join(dir.path, "first.txt"), "first")
    const put = await cli(["object", "put", "first.txt", "items/1/first.txt", "--root", missing])
    assert.strictEqual(put.code, 0, put.stderr)
  })

  it("put takes the Content-Type from the file name unless --content-type says; ls takes the prefix as an argument", async () => {
    await writeFile(join(dir.path, "notes.txt"), "some notes")
    await writeFile(join(dir.path, "pic.webp"), "RIFF....WEBP")
    await writeFile(join(dir.path, "data.unknownext"), "?")
    const root = ["--root", join(dir.path, "types-root")]
    const typeOf = async (file: string, key: string, extra: ReadonlyArray<string> = []) => {
      const put = await cli(["object", "put", file, key, ...extra, ...root])
      assert.strictEqual(put.code, 0, put.stderr)
      return (JSON.parse((await cli(["--json", "object", "stat", key, ...root])).text) as { contentType: string })
        .contentType
    }
    assert.strictEqual(await typeOf("notes.txt", "types/notes.txt"), "text/plain")
    assert.strictEqual(await typeOf("pic.webp", "types/pic.webp"), "image/webp")
    assert.strictEqual(await typeOf("notes.txt", "types/forced", ["--content-type", "text/markdown"]), "text/markdown")
    // Flags before the arguments work as well as after.
    const before = await cli(["object", "put", ...root, "--content-type", "text/csv", "notes.txt", "types/before"])
    assert.strictEqual(before.code, 0, before.stderr)

    const ls = await cli(["object", "ls", "types/", "-r", ...root])
    assert.strictEqual(ls.code, 0, ls.stderr)
    assert.deepStrictEqual(ls.text.trimEnd().split("\n"), [
      "types/before",
      "types/forced",
      "types/notes.txt",
      "types/pic.webp"
    ])
    const flagFirst = await cli(["object", "ls", ...root, "-r", "--prefix", "types/n"])
    assert.deepStrictEqual(flagFirst.text.trimEnd().split("\n"), ["types/notes.txt"])
  })

  it("a file that shrinks while put reads it: says so (not the network), stores nothing", async () => {
    const root = join(dir.path, "shrink-root")
    const file = join(dir.path, "growing.bin")
    await writeFile(file, "")
    await truncate(file, 2 * 1024 * 1024 * 1024) // sparse: no disk used until read
    const put = cli(["object", "put", file, "items/shrink.bin", "--root", root])
    // Once the store has started writing its temporary copy, cut the file short.
    const tmp = join(root, ".localex/tmp")
    for (let i = 0; i < 600; i++) {
      if ((await readdir(tmp).catch(() => [])).some((name) => name.startsWith("put-"))) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await truncate(file, 1000)
    const result = await put
    assertOneLineError(result, 1, `"${file}" changed while it was being read (it shrank from 2147483648 to 1000 bytes)`)
    assert.notInclude(result.stderr, "network")
    const ls = await cli(["object", "ls", "-r", "--root", root])
    assert.strictEqual(ls.text, "")
  })

  it("get into a folder path writes inside it, creating it as aws s3 cp does", async () => {
    const root = ["--root", join(dir.path, "folder-root")]
    await writeFile(join(dir.path, "in.txt"), "folder test")
    assert.strictEqual((await cli(["object", "put", "in.txt", "items/5/in.txt", ...root])).code, 0)
    const into = await cli(["object", "get", "items/5/in.txt", "new/sub/", ...root])
    assert.strictEqual(into.code, 0, into.stderr)
    assert.strictEqual(await readFile(join(dir.path, "new/sub/in.txt"), "utf8"), "folder test")
    const existing = await cli(["object", "get", "items/5/in.txt", "new", ...root])
    assert.strictEqual(existing.code, 0, existing.stderr)
    assert.strictEqual(await readFile(join(dir.path, "new/in.txt"), "utf8"), "folder test")
    // The file it would write is a folder: said plainly.
    await mkdir(join(dir.path, "clash/in.txt"), { recursive: true })
    assertOneLineError(await cli(["object", "get", "items/5/in.txt", "clash/", ...root]), 1, "it is a folder")
  })

  it("put then get returns the same bytes (file and stdout)", async () => {
    await writeFile(join(dir.path, "photo.jpg"), photo)
    const put = await cli(["object", "put", "photo.jpg", "items/1/photo.jpg"])
    assert.strictEqual(put.code, 0, put.stderr)
    assert.strictEqual(put.stderr, "", "no progress bar when stderr is not a terminal")
    assert.match(put.text, /^uploaded items\/1\/photo\.jpg \(300 KiB, etag [0-9a-f]+\)\n$/)

    const get = await cli(["object", "get", "items/1/photo.jpg", "copy.jpg"])
    assert.strictEqual(get.code, 0, get.stderr)
    assert.deepStrictEqual(await readFile(join(dir.path, "copy.jpg")), photo)

    const stdout = await cli(["object", "get", "items/1/photo.jpg", "-"])
    assert.strictEqual(stdout.code, 0, stdout.stderr)
    assert.deepStrictEqual(stdout.stdout, photo)
  })

  it("put reads standard input with -", async () => {
    const bytes = randomBytes(70_000)
    const put = await cli(["object", "put", "-", "items/1/stdin.bin", "--content-type", "application/x-test"], bytes)
    assert.strictEqual(put.code, 0, put.stderr)
    const stat = await cli(["--json", "object", "stat", "items/1/stdin.bin"])
    const info = JSON.parse(stat.text)
    assert.strictEqual(info.size, bytes.length)
    assert.strictEqual(info.contentType, "application/x-test")
    const get = await cli(["object", "get", "items/1/stdin.bin", "-"])
    assert.deepStrictEqual(get.stdout, bytes)
  })

  it("ls lists keys and folders as text, and as one JSON document", async () => {
    for (const key of ["items/2/a.jpg", "items/2/b.jpg", "profiles/7/me.jpg"]) {
      assert.strictEqual((await cli(["object", "put", "-", key], Buffer.from(key))).code, 0)
    }
    const top = await cli(["object", "ls"])
    assert.strictEqual(top.code, 0, top.stderr)
    assert.strictEqual(top.text, "items/\nprofiles/\n")

    const under = await cli(["object", "ls", "--prefix", "items/2/"])
    assert.strictEqual(under.text, "items/2/a.jpg\nitems/2/b.jpg\n")

    const long = await cli(["object", "ls", "-r", "-l", "--prefix", "items/2/"])
    const rows = long.text.trimEnd().split("\n")
    assert.strictEqual(rows.length, 2)
    assert.match(rows[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+13\s+items\/2\/a\.jpg$/)

    // --json before or after the command: the whole of stdout is one JSON document.
    for (const args of [
      ["--json", "object", "ls", "-r"],
      ["object", "ls", "-r", "--json"]
    ]) {
      const json = await cli(args)
      assert.strictEqual(json.code, 0, json.stderr)
      const { entries } = JSON.parse(json.text) as { entries: Array<{ type: string; key: string; size: number }> }
      assert.deepStrictEqual(
        entries.map((e) => e.key),
        ["items/1/photo.jpg", "items/1/stdin.bin", "items/2/a.jpg", "items/2/b.jpg", "profiles/7/me.jpg"]
      )
      assert.isTrue(entries.every((e) => e.type === "object" && typeof e.size === "number"))
      assert.strictEqual(json.stderr, "")
    }

    const empty = await cli(["--json", "object", "ls", "--prefix", "nothing/"])
    assert.deepStrictEqual(JSON.parse(empty.text), { entries: [] })
  })

  it("ls --json that fails part-way still prints one JSON document: the entries so far and the error", async () => {
    // An S3 endpoint that answers the first page of a listing, then refuses the second.
    const page = (keys: ReadonlyArray<string>) =>
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>fake-bucket</Name><Prefix></Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys>` +
      `<IsTruncated>true</IsTruncated><NextContinuationToken>page-2</NextContinuationToken>` +
      keys
        .map(
          (key) =>
            `<Contents><Key>${key}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"e"</ETag>` +
            `<Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>`
        )
        .join("") +
      `</ListBucketResult>`
    const requests: Array<string> = []
    const s3 = createServer((request, response) => {
      requests.push(request.url ?? "")
      const second = new URL(request.url ?? "/", "http://s3").searchParams.get("continuation-token") === "page-2"
      response.writeHead(second ? 403 : 200, { "content-type": "application/xml" })
      response.end(
        second
          ? "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
          : page(["items/1/a.jpg", "items/1/b.jpg"])
      )
    })
    await new Promise<void>((listening) => s3.listen(0, "127.0.0.1", listening))
    try {
      const { port } = s3.address() as AddressInfo
      const result = await run(
        ["--json", "--bucket", "fake-bucket", "--endpoint", `http://127.0.0.1:${port}`, "object", "ls", "-r"],
        {
          env: {
            AWS_ACCESS_KEY_ID: "x",
            AWS_SECRET_ACCESS_KEY: "y",
            AWS_REGION: "us-east-1",
            LOCALEX_STORAGE_MAX_ATTEMPTS: "1"
          },
          cwd: dir.path
        }
      )
      assert.strictEqual(result.code, 1, result.stderr)
      assert.strictEqual(requests.length, 2, "the second page was asked for")
      const document = JSON.parse(result.text) as {
        entries: Array<{ key: string }>
        error: { tag: string; message: string; exitCode: number }
      }
      assert.deepStrictEqual(
        document.entries.map((e) => e.key),
        ["items/1/a.jpg", "items/1/b.jpg"]
      )
      assert.strictEqual(document.error.tag, "AccessDenied")
      assert.strictEqual(document.error.exitCode, 1)
      assert.strictEqual(result.stderr, `localex-storage: ${document.error.message}\n`)
    } finally {
      await new Promise((closed) => s3.close(closed))
    }
  })

  it("stat, cp and rm (with --dry-run) work on several keys", async () => {
    const cp = await cli(["--json", "object", "cp", "items/2/a.jpg", "temp/a.jpg"])
    assert.strictEqual(cp.code, 0, cp.stderr)
    assert.strictEqual(JSON.parse(cp.text).key, "temp/a.jpg")
    await cli(["object", "cp", "items/2/b.jpg", "temp/b.jpg"])

    const dry = await cli(["object", "rm", "--dry-run", "temp/a.jpg", "temp/b.jpg"])
    assert.strictEqual(dry.text, "would delete temp/a.jpg\nwould delete temp/b.jpg\n")
    assert.strictEqual((await cli(["object", "stat", "temp/a.jpg"])).code, 0)

    const rm = await cli(["--json", "object", "rm", "temp/a.jpg", "temp/b.jpg"])
    assert.strictEqual(rm.code, 0, rm.stderr)
    assert.deepStrictEqual(JSON.parse(rm.text), { deleted: ["temp/a.jpg", "temp/b.jpg"], failed: [] })
    assert.strictEqual((await cli(["object", "stat", "temp/a.jpg"])).code, 1)
  })

  it("a missing object fails with exit 1 and one line", async () => {
    const result = await cli(["object", "get", "items/nope.jpg", "out.jpg"])
    assertOneLineError(result, 1, 'No object at "items/nope.jpg"')
    assert.include(result.stderr, "localex-storage object ls")
  })

  it("an invalid key is a usage error: exit 2, one line, nothing touched", async () => {
    const result = await cli(["object", "put", "photo.jpg", "a/../b"])
    assertOneLineError(result, 2, 'Invalid key "a/../b"')
    const dry = await cli(["object", "rm", "--dry-run", "ok.jpg", "a//b"])
    assertOneLineError(dry, 2, "Invalid key")
  })

  it("a bad flag is a usage error: exit 2, one line pointing at --help", async () => {
    const result = await cli(["object", "ls", "--bogus"])
    assertOneLineError(result, 2, "--bogus")
    assert.include(result.stderr, "localex-storage object ls --help")
    assertOneLineError(await cli(["object", "sign", "k", "--method", "POST"]), 2, "--method")
    assertOneLineError(await cli(["object", "frobnicate"]), 2, "frobnicate")
  })

  it("with --json a failure still prints one JSON document on stdout", async () => {
    const result = await cli(["--json", "object", "stat", "items/nope.jpg"])
    assert.strictEqual(result.code, 1)
    assert.deepStrictEqual(JSON.parse(result.text).error.tag, "ObjectNotFound")
    assert.strictEqual(result.stderr.trimEnd().split("\n").length, 1)
  })

  it("--help shows usage and an example for every command", async () => {
    const commands = ["put", "get", "ls", "stat", "cp", "rm", "sign"]
    const helps = await Promise.all(commands.map((command) => cli(["object", command, "--help"])))
    commands.forEach((command, i) => {
      const help = helps[i]!
      assert.strictEqual(help.code, 0, help.stderr)
      assert.include(help.text, `localex-storage object ${command}`)
      assert.include(help.text, "EXAMPLES")
    })
    const root = await cli(["--help"])
    assert.include(root.text, "object")
    assert.include(root.text, "--json")
  })

  describe("sign", () => {
    let server: Server
    // Signed URLs point at LOCALEX_STORAGE_PUBLIC_URL: here, the HTTP app started on a free port.
    const signer = (args: ReadonlyArray<string>) =>
      run(args, { env: { ...env, LOCALEX_STORAGE_PUBLIC_URL: server.url }, cwd: dir.path })
    beforeAll(async () => {
      server = await startServer(env, dir.path)
    })
    afterAll(() => server.stop())

    it("prints a URL that the HTTP app serves, and refuses it once tampered", async () => {
      const signed = await signer(["object", "sign", "items/1/photo.jpg", "--expires", "5m"])
      assert.strictEqual(signed.code, 0, signed.stderr)
      const url = new URL(signed.text.trim())
      assert.strictEqual(`${url.origin}${url.pathname}`, `${server.url}/v1/signed/items/1/photo.jpg`)
      const response = await fetch(url)
      assert.strictEqual(response.status, 200)
      assert.deepStrictEqual(Buffer.from(await response.arrayBuffer()), photo)

      url.searchParams.set("expires", String(Number(url.searchParams.get("expires")) + 60))
      assert.strictEqual((await fetch(url)).status, 403)
    })

    it("--json gives the URL, method, expiry and required headers of a PUT", async () => {
      const signed = await signer([
        "--json",
        "object",
        "sign",
        "uploads/x.jpg",
        "--method",
        "PUT",
        "--content-type",
        "image/jpeg"
      ])
      assert.strictEqual(signed.code, 0, signed.stderr)
      const doc = JSON.parse(signed.text)
      assert.strictEqual(doc.method, "PUT")
      assert.deepStrictEqual(doc.headers, { "content-type": "image/jpeg" })
      const put = await fetch(doc.url, { method: "PUT", body: "hello", headers: doc.headers })
      assert.strictEqual(put.status, 201, await put.text())
      const get = await cli(["object", "get", "uploads/x.jpg", "-"])
      assert.strictEqual(get.text, "hello")
    })
  })
})

const s3 = testS3()

describe.skipIf(s3 === undefined)("localex-storage on the s3 driver (local Ceph RGW)", () => {
  const bucket = `cli-${randomBytes(4).toString("hex")}`
  let s3env: Record<string, string>
  const s3cli = (args: ReadonlyArray<string>, input?: Uint8Array) =>
    run(args, { env: s3env, cwd: dir.path, ...(input === undefined ? {} : { input }) })

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

  const flags = () => ["--bucket", bucket, "--endpoint", s3!.endpoint]

  it("put, get and ls round-trip through the bucket", async () => {
    const bytes = randomBytes(128 * 1024)
    await writeFile(join(dir.path, "s3.bin"), bytes)
    const put = await s3cli([...flags(), "object", "put", "s3.bin", "items/9/s3.bin"])
    assert.strictEqual(put.code, 0, put.stderr)
    const get = await s3cli([...flags(), "object", "get", "items/9/s3.bin", "-"])
    assert.strictEqual(get.code, 0, get.stderr)
    assert.deepStrictEqual(get.stdout, bytes)
    const ls = await s3cli([...flags(), "--json", "object", "ls", "-r"])
    assert.strictEqual(ls.code, 0, ls.stderr)
    assert.deepStrictEqual(
      (JSON.parse(ls.text) as { entries: Array<{ key: string }> }).entries.map((e) => e.key),
      ["items/9/s3.bin"]
    )
    const missing = await s3cli([...flags(), "object", "stat", "items/9/none"])
    assert.strictEqual(missing.code, 1)
    // On s3, sign prints the engine's own presigned URL.
    const signed = await s3cli([...flags(), "object", "sign", "items/9/s3.bin", "--expires", "60"])
    assert.strictEqual(signed.code, 0, signed.stderr)
    const response = await fetch(signed.text.trim())
    assert.strictEqual(response.status, 200)
    assert.deepStrictEqual(Buffer.from(await response.arrayBuffer()), bytes)
  })
})
