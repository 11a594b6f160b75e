/**
 * The fs driver: the shared ObjectStore contract, then what only a local folder has — the
 * layout on disk, the root and the signing secret, cleanup of directories and temp files,
 * readers that outlive a replace, and the lock other processes honour.
 */
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as nodeFs from "node:fs"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it, layer } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Option, Schema, Stream } from "effect"
import { TestClock } from "effect/testing"
import { afterAll } from "vitest"
import * as Fs from "../src/drivers/Fs.js"
import { metaOfFile, readMeta, StoredMeta } from "../src/drivers/fs/objectFile.js"
import { decodeName, encodeSegment, objectPath } from "../src/drivers/fs/paths.js"
import { ObjectStore } from "../src/ObjectStore.js"
import * as SignedUrl from "../src/SignedUrl.js"
import { collectBytes, MiB, seededBytes } from "./contract/fixtures.js"
import { checkLocalSignature, objectStoreContract } from "./contract/ObjectStoreContract.js"

const scratch = nodeFs.mkdtempSync(path.join(os.tmpdir(), "localex-fs-test-"))
afterAll(() => fs.rm(scratch, { recursive: true, force: true }))

let roots = 0
/** A fresh, not yet existing root folder. */
const freshRoot = () => path.join(scratch, `root-${++roots}`, "nested")

const SECRET = "fs-test-secret"
/** An object file name: lowercase letters, digits, `. _ -`, and `%XX` escapes with uppercase hex. */
const NAME = /^([a-z0-9._-]|%[0-9A-F]{2})+@$/
const PUBLIC_URL = "http://127.0.0.1:8080"

/** Everything under `dir`, as relative paths, sorted. */
const tree = (dir: string) =>
  Effect.promise(async () => (await fs.readdir(dir, { recursive: true })).map((entry) => String(entry)).sort())

const storeAt = (root: string) => Fs.layer({ root, publicUrl: PUBLIC_URL, signingSecret: SECRET })

/** Writes the lock file another writer would hold for `key`; returns its path. */
const writeLock = (root: string, key: string, owner: object, modified?: Date) =>
  Effect.promise(async () => {
    const file = path.join(root, ".localex", "locks", createHash("sha256").update(key).digest("hex").slice(0, 40))
    await fs.writeFile(file, JSON.stringify(owner))
    if (modified !== undefined) await fs.utimes(file, modified, modified)
    return file
  })

// --- the contract ---------------------------------------------------------------------------

const contractRoot = freshRoot()

objectStoreContract("fs", storeAt(contractRoot), {
  checkPresigned: checkLocalSignature(SECRET),
  tagsOf: (key) =>
    Effect.promise(async () => {
      const handle = await fs.open(objectPath(contractRoot, key)!, "r")
      try {
        return (await readMeta(handle, (await handle.stat()).size)).meta.tags
      } finally {
        await handle.close()
      }
    }),
  // Sequential tests: no put is in flight when this runs, so any temp or lock file is a leak.
  assertNoLeftovers: () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* tree(path.join(contractRoot, ".localex", "tmp")), [], "no temp file is left")
      assert.deepStrictEqual(yield* tree(path.join(contractRoot, ".localex", "locks")), [], "no lock is left")
    })
})

// --- fs only ---------------------------------------------------------------------------------

describe("fs driver", () => {
  const root = freshRoot()

  layer(storeAt(root), { excludeTestServices: true })("on disk", (it) => {
    it.effect("creates a missing root, with its own folder for temp files and locks", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        assert.strictEqual(store.location, `file://${root}`)
        assert.isTrue(nodeFs.statSync(root).isDirectory())
        assert.deepStrictEqual(yield* tree(path.join(root, ".localex")), ["locks", "tmp"])
      })
    )

    it.effect("lays objects out as escaped paths: segment folders, `<name>@` files, bytes first", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const bytes = seededBytes(1, 300)
        yield* store.put("items/01HZX/Photo 1.jpg", bytes, { contentType: "image/jpeg" })
        yield* store.put("a", new Uint8Array([1]))
        yield* store.put("a/b", new Uint8Array([2]))
        yield* store.put("folder/", new Uint8Array())
        yield* store.put(".localex/signing-secret", new Uint8Array([3]))
        assert.deepStrictEqual(yield* tree(path.join(root)), [
          "%2Elocalex",
          "%2Elocalex/signing-secret@",
          ".localex",
          ".localex/locks",
          ".localex/tmp",
          "a",
          "a/b@",
          "a@",
          "folder",
          "folder/@",
          "items",
          "items/01%48%5A%58",
          "items/01%48%5A%58/%50hoto%201.jpg@"
        ])
        // The object file starts with the object's bytes; its metadata follows them.
        const file = yield* Effect.promise(() => fs.readFile(path.join(root, "items/01%48%5A%58/%50hoto%201.jpg@")))
        assert.deepStrictEqual(new Uint8Array(file.subarray(0, 300)), bytes)
        assert.include(file.subarray(300).toString("utf8"), '"contentType":"image/jpeg"')
        yield* store.deleteMany(["items/01HZX/Photo 1.jpg", "a", "a/b", "folder/", ".localex/signing-secret"])
      })
    )

    it.effect("removes folders left empty by a delete, up to the root", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        yield* store.put("x/y/z/deep", new Uint8Array([1]))
        yield* store.put("x/keep", new Uint8Array([1]))
        yield* store.delete("x/y/z/deep")
        assert.deepStrictEqual(yield* tree(path.join(root, "x")), ["keep@"])
        yield* store.delete("x/keep")
        assert.deepStrictEqual(yield* tree(root), [".localex", ".localex/locks", ".localex/tmp"])
      })
    )

    it.effect("touches nothing on disk for an invalid key", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const before = yield* tree(root)
        for (const key of ["", "..", "../outside", "a/../../outside", "/etc/passwd", "a//b", "bad\u0000"]) {
          yield* Effect.flip(store.put(key, new Uint8Array([1])))
          yield* Effect.flip(store.copy("a", key))
          yield* Effect.flip(store.delete(key))
        }
        assert.deepStrictEqual(yield* tree(root), before)
        assert.isFalse(nodeFs.existsSync(path.join(root, "..", "outside")))
      })
    )

    it.effect("keeps keys that only differ in case or Unicode normalisation apart", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const keys = ["case/photo.jpg", "case/Photo.jpg", "case/PHOTO.JPG", "case/\u00e9", "case/e\u0301"]
        for (const [i, key] of keys.entries()) yield* store.put(key, seededBytes(i, 10))
        for (const [i, key] of keys.entries()) {
          assert.deepStrictEqual(yield* collectBytes((yield* store.get(key)).body), seededBytes(i, 10))
        }
        // Letters on disk are lowercase, except escapes' hex digits (always uppercase): no two
        // keys can meet on a case-insensitive filesystem.
        for (const name of yield* tree(path.join(root, "case"))) assert.match(name, NAME)
        yield* store.deleteMany(keys)
      })
    )

    it.effect("orders long (hashed) segments among their neighbours", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const long = "é".repeat(150) // 300 bytes, 900 escaped: stored under a hashed name
        const keys = [`long/${long}`, `long/${long}/inner`, `long/${long}-x`, "long/b", `long/${long}/`]
        for (const key of keys) yield* store.put(key, new Uint8Array([1]))
        const all = yield* Stream.runCollect(store.list({ prefix: "long/" }))
        assert.deepStrictEqual(
          all.map((entry) => entry._tag === "Object" && entry.key),
          [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
        )
        const grouped = yield* Stream.runCollect(store.list({ prefix: "long/", delimiter: "/" }))
        assert.deepStrictEqual(
          grouped.map((entry) => (entry._tag === "Object" ? entry.key : `prefix:${entry.prefix}`)),
          ["long/b", `long/${long}`, `long/${long}-x`, `prefix:long/${long}/`]
        )
        yield* store.deleteMany(keys)
        assert.deepStrictEqual(yield* tree(root), [".localex", ".localex/locks", ".localex/tmp"])
      })
    )

    it.effect("lists only files it wrote, where it wrote them; head reports a damaged or moved one", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        yield* store.put("hand/real", new Uint8Array([1]))
        yield* Effect.promise(async () => {
          await fs.writeFile(path.join(root, "hand", "README.txt"), "put here by hand")
          await fs.mkdir(path.join(root, "hand", "Not Ours"))
          await fs.writeFile(path.join(root, "hand", "Not Ours", "x@"), "nope")
          await fs.writeFile(path.join(root, "hand", "broken@"), "not an object file")
          await fs.copyFile(path.join(root, "hand", "real@"), path.join(root, "hand", "moved@"))
        })
        const listed = yield* Stream.runCollect(store.list({ prefix: "hand/", delimiter: "/" }))
        assert.deepStrictEqual(
          listed.map((entry) => entry._tag === "Object" && entry.key),
          ["hand/real"]
        )
        for (const key of ["hand/broken", "hand/moved"]) {
          const damaged = yield* Effect.flip(store.head(key))
          assert.strictEqual(damaged._tag, "TransportError")
          assert.include(damaged.message, "not a LocalEx object file")
        }
      })
    )

    it.effect("serves readers the version they opened while a writer replaces or deletes it", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const v1 = seededBytes(1, 3 * MiB)
        const v2 = seededBytes(2, 2 * MiB)
        yield* store.put("readers/object", v1)
        const before = yield* store.get("readers/object")
        const partway = yield* store.get("readers/object")
        const pull = yield* Stream.toPull(partway.body)
        const firstChunk = yield* pull
        yield* store.put("readers/object", v2)
        assert.deepStrictEqual(yield* collectBytes(before.body), v1)
        const rest = yield* collectBytes(Stream.fromPull(Effect.succeed(pull)))
        assert.deepStrictEqual(new Uint8Array(Buffer.concat([...firstChunk, rest])), v1)
        assert.deepStrictEqual(yield* collectBytes((yield* store.get("readers/object")).body), v2)

        const beforeDelete = yield* store.get("readers/object")
        yield* store.delete("readers/object")
        assert.deepStrictEqual(yield* collectBytes(beforeDelete.body), v2)
      })
    )

    it.effect("closes the file of a get once its body is read, partly read or stopped", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const bytes = seededBytes(4, 2 * MiB)
        yield* store.put("closing/object", bytes)
        // The object's file as the fs driver opened it (found by its link in /proc, so other
        // workers' files do not count).
        const objectFile = nodeFs.realpathSync(objectPath(root, "closing/object")!)
        const openCopies = () =>
          nodeFs.readdirSync("/proc/self/fd").filter((fd) => {
            try {
              return nodeFs.readlinkSync(`/proc/self/fd/${fd}`) === objectFile
            } catch {
              return false
            }
          }).length
        const whole = yield* store.get("closing/object")
        const partly = yield* store.get("closing/object")
        const range = yield* store.get("closing/object", { range: { start: 10, end: 20 } })
        assert.strictEqual(openCopies(), 3, "a get holds its version's file until the body is run")
        assert.deepStrictEqual(yield* collectBytes(whole.body), bytes)
        assert.strictEqual(yield* Stream.runCount(Stream.take(partly.body, 1)), 1)
        assert.deepStrictEqual(yield* collectBytes(range.body), bytes.subarray(10, 21))
        assert.strictEqual(openCopies(), 0, "every body closed its file")
      })
    )

    it.effect("puts a local file by streaming it, and fails clearly when it is missing", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const source = path.join(scratch, "source.bin")
        const bytes = seededBytes(3, 2 * MiB + 5)
        yield* Effect.promise(() => fs.writeFile(source, bytes))
        const totals: Array<number | undefined> = []
        const info = yield* store.put(
          "files/copy.bin",
          { _tag: "File", path: source },
          {
            onProgress: (progress) => totals.push(progress.total)
          }
        )
        assert.strictEqual(info.size, bytes.length)
        assert.isAbove(totals.length, 1, "progress is reported as the file streams")
        assert.deepStrictEqual([...new Set(totals)], [bytes.length])
        const missing = yield* Effect.flip(store.put("files/none", { _tag: "File", path: path.join(scratch, "nope") }))
        assert.strictEqual(missing._tag, "TransportError")
        assert.isFalse(yield* store.exists("files/none"))
      })
    )

    it.effect("breaks a lock left by a process that has gone, or by one stalled for minutes", () =>
      Effect.gen(function* () {
        const store = yield* ObjectStore
        const gone = spawnSync(process.execPath, ["-e", ""]).pid!
        const stalled = { host: os.hostname(), pid: process.pid, nonce: "another-writer" }
        yield* writeLock(root, "locks/gone", { host: os.hostname(), pid: gone, nonce: "crashed" })
        yield* writeLock(root, "locks/stalled", stalled, new Date(Date.now() - 10 * 60_000))
        yield* store.put("locks/gone", new Uint8Array([1]))
        yield* store.put("locks/stalled", new Uint8Array([2]))
        assert.isTrue(yield* store.exists("locks/gone"))
        assert.isTrue(yield* store.exists("locks/stalled"))
        assert.deepStrictEqual(yield* tree(path.join(root, ".localex", "locks")), [])
      })
    )

    it.effect("takes the lock file across store instances: of 8 concurrent swaps exactly one wins", () =>
      Effect.gen(function* () {
        // Two instances on one root share no semaphore: only the lock file keeps them apart.
        const [one, two] = yield* Effect.all([Layer.build(storeAt(root)), Layer.build(storeAt(root))])
        const stores = [Context.get(one, ObjectStore), Context.get(two, ObjectStore)]
        const base = yield* stores[0]!.put("locks/shared", seededBytes(0, 100))
        const results = yield* Effect.forEach(
          Array.from({ length: 8 }, (_, i) => i),
          (i) => Effect.result(stores[i % 2]!.put("locks/shared", seededBytes(10 + i, 100), { ifMatch: base.etag })),
          { concurrency: "unbounded" }
        )
        const winners = results.flatMap((result, i) => (result._tag === "Success" ? [i] : []))
        assert.strictEqual(winners.length, 1)
        const got = yield* stores[1]!.get("locks/shared")
        assert.deepStrictEqual(yield* collectBytes(got.body), seededBytes(10 + winners[0]!, 100))
      })
    )
  })

  it.effect("waits for a lock held by a live writer, then gives up with a clear error, writing nothing", () =>
    Effect.gen(function* () {
      const root = freshRoot()
      const store = Context.get(yield* Layer.build(storeAt(root)), ObjectStore)
      const lock = yield* writeLock(root, "locks/held", { host: os.hostname(), pid: process.pid, nonce: "other" })
      const fiber = yield* Effect.forkChild(store.put("locks/held", new Uint8Array([1])))
      // Virtual time passes only while the put sleeps between attempts; real I/O runs in between.
      while (fiber.pollUnsafe() === undefined) {
        yield* TestClock.adjust("1 second")
        yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      }
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "stayed locked")
      assert.isFalse(yield* store.exists("locks/held"))
      assert.isTrue(nodeFs.existsSync(lock), "a live writer's lock is not broken")
      assert.deepStrictEqual(yield* tree(path.join(root, ".localex", "tmp")), [])
    })
  )

  it.effect("refuses a root that is a file, with StorageConfigError", () =>
    Effect.gen(function* () {
      const file = path.join(scratch, "a-file")
      yield* Effect.promise(() => fs.writeFile(file, "x"))
      const error = yield* Effect.flip(Layer.build(storeAt(file)))
      assert.strictEqual(error._tag, "StorageConfigError")
      assert.include(error.message, "LOCALEX_STORAGE_FS_ROOT")
    })
  )

  it.effect(
    "removes temp files a crashed writer left a day ago or more when the store opens, and keeps newer ones",
    () =>
      Effect.gen(function* () {
        const root = freshRoot()
        const tmp = path.join(root, ".localex", "tmp")
        yield* Effect.promise(async () => {
          await fs.mkdir(tmp, { recursive: true })
          await fs.writeFile(path.join(tmp, "old"), "left by a crash")
          await fs.writeFile(path.join(tmp, "recent"), "a writer at work")
          const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000)
          await fs.utimes(path.join(tmp, "old"), twoDaysAgo, twoDaysAgo)
        })
        yield* Effect.scoped(Layer.build(storeAt(root)))
        assert.deepStrictEqual(yield* tree(tmp), ["recent"])
      })
  )

  it.effect("generates the signing secret once (mode 0600) and reuses it", () =>
    Effect.gen(function* () {
      const root = freshRoot()
      const options = { root, publicUrl: PUBLIC_URL }
      const presign = Effect.gen(function* () {
        const store = yield* ObjectStore
        return yield* store.presign("items/1/photo.jpg", { method: "GET", expiresIn: 60 })
      })
      const first = yield* presign.pipe(Effect.provide(Fs.layer(options)))
      const second = yield* presign.pipe(Effect.provide(Fs.layer(options)))
      const file = path.join(root, ".localex", "signing-secret")
      assert.strictEqual(nodeFs.statSync(file).mode & 0o777, 0o600)
      const secret = nodeFs.readFileSync(file, "utf8").trim()
      assert.isAtLeast(secret.length, 43)
      assert.strictEqual(first.url, second.url, "the same secret signs the same URL")
      const parts = SignedUrl.parse(first.url)!
      const verdict = SignedUrl.verify({ ...parts, secret, method: "GET", now: new Date(0) })
      assert.strictEqual(verdict._tag, "Valid")
      // What the HTTP app reads to verify the URLs this store signs.
      assert.strictEqual(yield* Fs.signingSecret(options), secret)
      assert.strictEqual(yield* Fs.signingSecret({ ...options, signingSecret: "given" }), "given")
      const empty = yield* Effect.flip(Layer.build(Fs.layer({ ...options, signingSecret: "" })))
      assert.strictEqual(empty._tag, "StorageConfigError")
    })
  )
})

describe("fs segment names", () => {
  it.prop(
    "round-trip any segment, as case-insensitively distinct ASCII that never starts with a dot",
    [Schema.String],
    ([text]) => {
      const segment = text.replaceAll("/", "")
      if (/[\uD800-\uDFFF]/u.test(segment)) return true // not a valid key
      const name = encodeSegment(segment)
      if (name.startsWith("~")) return name.length === 65 // hashed: long segments
      return (
        (name === "" || NAME.test(`${name}@`)) &&
        !name.startsWith(".") &&
        Buffer.compare(decodeName(name) ?? Buffer.from("\u0000"), Buffer.from(segment, "utf8")) === 0
      )
    }
  )

  it("refuses names it would not have written", () => {
    for (const name of ["Photo", "a b", "%4a", "%2e", "~abc", ".hidden", "%zz"]) {
      assert.isUndefined(decodeName(name), name)
    }
    assert.strictEqual(decodeName("%41")?.toString(), "A")
    assert.strictEqual(decodeName("%25")?.toString(), "%")
  })
})

describe("fs openForReading (a server's download hot path)", () => {
  it("reads a small object whole and opens a large one, with get's info; refuses what get refuses", async () => {
    const root = freshRoot()
    const small = seededBytes(1, 5000)
    const large = seededBytes(2, 300 * 1024)
    await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* ObjectStore
        yield* store.put("hot/small.bin", small, { contentType: "image/png", metadata: { a: "1" } })
        yield* store.put("hot/large.bin", large)
        yield* store.put("hot/empty", new Uint8Array(0))
        yield* store.put("hot/tall.bin", small, { metadata: { long: "x".repeat(70 * 1024) } })
      }).pipe(Effect.provide(storeAt(root)))
    )
    const head = (key: string) =>
      Effect.runPromise(
        Effect.gen(function* () {
          return yield* (yield* ObjectStore).head(key)
        }).pipe(Effect.provide(storeAt(root)))
      )

    const read = await Fs.openForReading(root, "hot/small.bin", { readWholeUpTo: 64 * 1024 })
    assert.isDefined(read)
    assert.isTrue(read !== undefined && "content" in read)
    if (read !== undefined && "content" in read) {
      assert.deepStrictEqual(new Uint8Array(read.content), small)
      assert.deepStrictEqual(read.info, await head("hot/small.bin"))
    }
    const empty = await Fs.openForReading(root, "hot/empty", { readWholeUpTo: 64 * 1024 })
    assert.isTrue(empty !== undefined && "content" in empty && empty.content.length === 0)
    // Into the caller's buffer (a server reuses its buffers): the content is a view of it, not a copy.
    const buffer = Buffer.alloc(64 * 1024)
    const viewed = await Fs.openForReading(root, "hot/small.bin", { buffer })
    assert.isTrue(viewed !== undefined && "content" in viewed && viewed.content.buffer === buffer.buffer)
    if (viewed !== undefined && "content" in viewed) assert.deepStrictEqual(new Uint8Array(viewed.content), small)
    const started = await Fs.openForReading(root, "hot/large.bin", { buffer })
    assert.isTrue(started !== undefined && "fd" in started && started.head.buffer === buffer.buffer)
    if (started !== undefined && "fd" in started) {
      nodeFs.closeSync(started.fd)
      assert.deepStrictEqual(new Uint8Array(started.head), large.subarray(0, buffer.length))
    }

    // Larger than the one read (or no one read asked for): left open for the caller, the bytes read kept.
    for (const [key, bytes, upTo] of [
      ["hot/large.bin", large, 64 * 1024],
      ["hot/small.bin", small, 0]
    ] as const) {
      const open = await Fs.openForReading(root, key, { readWholeUpTo: upTo })
      assert.isTrue(open !== undefined && "fd" in open, key)
      if (open !== undefined && "fd" in open) {
        try {
          assert.strictEqual(open.head.length, upTo)
          const content = new Uint8Array(open.info.size)
          content.set(open.head)
          const rest = await new Promise<number>((done, fail) =>
            nodeFs.read(open.fd, content, upTo, content.length - upTo, upTo, (error, n) =>
              error ? fail(error) : done(n)
            )
          )
          assert.strictEqual(rest, content.length - upTo)
          assert.deepStrictEqual(content, bytes)
          assert.deepStrictEqual(open.info, await head(key))
        } finally {
          nodeFs.closeSync(open.fd)
        }
      }
    }
    // Content shorter than the one read, metadata long enough to pass it: all the content is in `head`.
    const tall = await Fs.openForReading(root, "hot/tall.bin", { readWholeUpTo: 64 * 1024 })
    assert.isTrue(tall !== undefined && "fd" in tall)
    if (tall !== undefined && "fd" in tall) {
      nodeFs.closeSync(tall.fd)
      assert.deepStrictEqual(new Uint8Array(tall.head), small)
      assert.deepStrictEqual(tall.info, await head("hot/tall.bin"))
    }

    assert.isUndefined(await Fs.openForReading(root, "a//b", { readWholeUpTo: 64 * 1024 }))
    const missing = await Fs.openForReading(root, "hot/none", { readWholeUpTo: 64 * 1024 }).then(
      () => "opened",
      (error: NodeJS.ErrnoException) => error.code
    )
    assert.strictEqual(missing, "ENOENT")
    // A file moved by hand under another key's name is not served as that key.
    await fs.copyFile(objectPath(root, "hot/small.bin")!, objectPath(root, "hot/moved.bin")!)
    for (const upTo of [0, 64 * 1024]) {
      const moved = await Fs.openForReading(root, "hot/moved.bin", { readWholeUpTo: upTo }).then(
        () => "opened",
        (error: Error) => error.message
      )
      assert.match(moved, /holds "hot\/small.bin"/)
    }
  })
})

describe("fs object file metadata", () => {
  it("is decoded as its schema decodes it: written metadata, extra fields dropped, anything else refused", () => {
    const bySchema = Schema.decodeUnknownOption(Schema.fromJsonString(StoredMeta))
    const written = { key: "a/b", etag: "0123", lastModified: 1_700_000_000_000, metadata: { a: "1" }, tags: {} }
    const cases = [
      written,
      { ...written, contentType: "text/plain", cacheControl: "no-cache", contentDisposition: "attachment" },
      { ...written, extra: { nested: true } },
      { ...written, contentType: 5 },
      { ...written, contentType: null },
      { ...written, metadata: { a: 1 } },
      { ...written, tags: [] },
      { ...written, lastModified: "2024" },
      { etag: "0123", lastModified: 1, metadata: {}, tags: {} },
      [written],
      null
    ].map((value) => JSON.stringify(value))
    for (const json of [...cases, "{not json", ""]) {
      const bytes = Buffer.from(json, "utf8")
      const file = Buffer.concat([
        Buffer.from("content"),
        bytes,
        Buffer.from(`LXOBJ1:${bytes.length.toString(16).padStart(8, "0")}\n`, "latin1")
      ])
      const ours = (() => {
        try {
          return metaOfFile(file).meta
        } catch {
          return undefined
        }
      })()
      assert.deepStrictEqual(ours, Option.getOrUndefined(bySchema(json)), json)
    }
  })
})
