// storage-core's Effect API on the fs driver: put, read back, list, a typed error, delete.
import assert from "node:assert/strict"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ObjectStore, readText } from "@localex/storage-core"
import * as Fs from "@localex/storage-core/fs"
import { Effect, Stream } from "effect"

const root = mkdtempSync(join(tmpdir(), "consumer-fs-"))

const program = Effect.gen(function* () {
  const store = yield* ObjectStore
  yield* store.put("items/42/note.txt", new TextEncoder().encode("hello"), { contentType: "text/plain" })
  const text = yield* readText(store, "items/42/note.txt")
  const keys = yield* Stream.runCollect(store.list({ prefix: "items/" }).pipe(Stream.map((entry) => entry.key)))
  const refused = yield* Effect.flip(store.head("items/../secret"))
  yield* store.delete("items/42/note.txt")
  const after = yield* Stream.runCollect(store.list({ prefix: "items/" }))
  return { text, keys: [...keys], refused: refused._tag, after: [...after].length }
}).pipe(Effect.provide(Fs.layer({ root, publicUrl: "http://127.0.0.1:8080" })))

assert.deepEqual(await Effect.runPromise(program), {
  text: "hello",
  keys: ["items/42/note.txt"],
  refused: "InvalidKey",
  after: 0
})
console.log("ok")
