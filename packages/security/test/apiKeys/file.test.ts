import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import {
  addKey,
  authenticate,
  emptyKeyFile,
  formatKeyFile,
  type ReloadEvent,
  readKeyFile,
  watchKeyFile,
  writeKeyFile
} from "../../src/ApiKeys.js"

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "localex-keys-"))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const now = new Date("2026-12-02T12:00:00Z")
const fileWith = (...keys: ReadonlyArray<readonly [id: string, secret: string]>) =>
  Effect.gen(function* () {
    let file = emptyKeyFile
    for (const [id, secret] of keys) file = (yield* addKey(file, { id, scopes: ["read"], now, secret })).file
    return file
  })

describe("conditional writes", () => {
  it.effect("writes through a temp file (0600), leaves no temp or lock behind, and refuses a file that changed", () =>
    Effect.gen(function* () {
      const path = join(dir, "keys.json")
      const none = yield* readKeyFile(path, { missingIsEmpty: true })
      assert.strictEqual(none.digest, undefined)
      yield* writeKeyFile(none, yield* fileWith(["a", "s1"]))
      assert.strictEqual((yield* Effect.promise(() => stat(path))).mode & 0o777, 0o600)
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(dir)), ["keys.json"])

      // Two writers read the same version: the first wins, the second is refused and writes nothing.
      const one = yield* readKeyFile(path)
      const two = yield* readKeyFile(path)
      yield* writeKeyFile(one, yield* fileWith(["a", "s1"], ["b", "s2"]))
      const refused = yield* Effect.flip(writeKeyFile(two, yield* fileWith(["a", "s1"], ["c", "s3"])))
      assert.strictEqual(refused._tag, "KeyFileChanged")
      const after = yield* readKeyFile(path)
      assert.deepStrictEqual(
        after.file.keys.map((k) => k.id),
        ["a", "b"]
      )
      // "Create" refuses too when someone else created the file first.
      const created = yield* Effect.flip(writeKeyFile(none, emptyKeyFile))
      assert.strictEqual(created._tag, "KeyFileChanged")
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(dir)), ["keys.json"])
    })
  )

  it.effect("a held lock is KeyFileBusy and leaves the file as it was", () =>
    Effect.gen(function* () {
      const path = join(dir, "keys.json")
      yield* writeKeyFile(yield* readKeyFile(path, { missingIsEmpty: true }), yield* fileWith(["a", "s1"]))
      const before = yield* Effect.promise(() => readFile(path, "utf8"))
      yield* Effect.promise(() => writeFile(`${path}.lock`, ""))
      const busy = yield* Effect.flip(writeKeyFile(yield* readKeyFile(path), emptyKeyFile))
      assert.strictEqual(busy._tag, "KeyFileBusy")
      assert.strictEqual(yield* Effect.promise(() => readFile(path, "utf8")), before)
    })
  )

  it.effect("a missing file is KeyFileUnreadable saying how to create one", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(readKeyFile(join(dir, "nope.json")))
      assert.strictEqual(error._tag, "KeyFileUnreadable")
      assert.include(error.message, "keys add")
    })
  )
})

/** Polls `test` every 20 ms until it holds, for at most 5 s. */
const eventually = async (test: () => boolean, what: string) => {
  const deadline = Date.now() + 5000
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe("live reload", () => {
  it.live("picks up in-place edits and atomic renames; keeps the last good keys on a bad edit or a removed file", () =>
    Effect.gen(function* () {
      const path = join(dir, "keys.json")
      const write = (text: string) => Effect.promise(() => writeFile(path, text))
      yield* write(formatKeyFile(yield* fileWith(["a", "s1"])))
      const events: Array<ReloadEvent> = []
      const scope = yield* Scope.make()
      const watch = yield* watchKeyFile(path, { pollIntervalMs: 200, onReload: (e) => events.push(e) }).pipe(
        Scope.provide(scope)
      )
      const works = (secret: string) => authenticate(watch.entries(), secret, now)._tag === "Valid"
      assert.isTrue(works("s1"))

      // In-place rewrite.
      yield* write(formatKeyFile(yield* fileWith(["a", "s1"], ["b", "s2"])))
      yield* Effect.promise(() => eventually(() => works("s2"), "s2 after an in-place edit"))

      // Atomic replace by rename.
      const temp = join(dir, "keys.json.new")
      const third = yield* fileWith(["c", "s3"])
      yield* Effect.promise(() => writeFile(temp, formatKeyFile(third)))
      yield* Effect.promise(() => rename(temp, path))
      yield* Effect.promise(() => eventually(() => works("s3") && !works("s1"), "s3 only, after a rename"))
      assert.strictEqual(events.filter((e) => e._tag === "Reloaded").length, 2)

      // A malformed edit: the last good keys stay, reported once.
      yield* write("{ broken")
      yield* Effect.promise(() => eventually(() => events.some((e) => e._tag === "Rejected"), "the rejection"))
      yield* Effect.sleep("500 millis") // a few polls: still one report
      assert.isTrue(works("s3"))
      assert.isFalse(works("s1"))
      const rejected = events.filter((e) => e._tag === "Rejected")
      assert.strictEqual(rejected.length, 1)
      assert.strictEqual(rejected[0]?._tag === "Rejected" && rejected[0].error._tag, "KeyFileInvalid")

      // Removed: still the last good keys; a good file again is loaded.
      yield* Effect.promise(() => rm(path))
      yield* Effect.promise(() => eventually(() => events.length === 4, "the removal reported"))
      assert.isTrue(works("s3"))
      yield* write(formatKeyFile(yield* fileWith(["d", "s4"])))
      yield* Effect.promise(() => eventually(() => works("s4") && !works("s3"), "s4 after the file came back"))

      yield* Scope.close(scope, Exit.void)
    })
  )

  it.live("without fs.watch, the periodic stat alone notices a rename", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const path = join(dir, "keys.json")
        yield* Effect.promise(() => writeFile(path, formatKeyFile(emptyKeyFile)))
        const watch = yield* watchKeyFile(path, { pollIntervalMs: 100, fsWatch: false })
        const next = yield* fileWith(["a", "s1"])
        yield* Effect.promise(() => writeFile(join(dir, "new"), formatKeyFile(next)))
        yield* Effect.promise(() => rename(join(dir, "new"), path))
        const started = Date.now()
        yield* Effect.promise(() =>
          eventually(() => authenticate(watch.entries(), "s1", now)._tag === "Valid", "s1 by polling")
        )
        assert.isBelow(Date.now() - started, 2000)
      })
    )
  )

  it.effect("a malformed or missing file at start is an error (a server must not start on it)", () =>
    Effect.gen(function* () {
      const path = join(dir, "keys.json")
      const missing = yield* Effect.flip(Effect.scoped(watchKeyFile(path, { pollIntervalMs: 1000 })))
      assert.strictEqual(missing._tag, "KeyFileUnreadable")
      yield* Effect.promise(() => writeFile(path, '{"version":1,"keys":[{"id":"x"}]}'))
      const bad = yield* Effect.flip(Effect.scoped(watchKeyFile(path, { pollIntervalMs: 1000 })))
      assert.strictEqual(bad._tag, "KeyFileInvalid")
      assert.include(bad.message, "sha256 must be 64 hex digits")
    })
  )
})
