// monitoring's statistics over storage-core's fs driver.
import assert from "node:assert/strict"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Stats } from "@localex/monitoring"
import { ObjectStore } from "@localex/storage-core"
import * as Fs from "@localex/storage-core/fs"
import { Effect, Layer } from "effect"

const store = Fs.layer({ root: mkdtempSync(join(tmpdir(), "consumer-stats-")), publicUrl: "http://127.0.0.1:8080" })

const program = Effect.gen(function* () {
  const objects = yield* ObjectStore
  yield* objects.put("items/1/a.bin", new Uint8Array(1000))
  yield* objects.put("profiles/2/b.bin", new Uint8Array(24))
  const stats = yield* (yield* Stats.StorageStatistics).collect({ depth: 1 })
  return { totals: stats.totals, prefixes: stats.byPrefix.entries.map((entry) => entry.prefix) }
}).pipe(Effect.provide(Layer.merge(Stats.layer, store).pipe(Layer.provide(store))))

assert.deepEqual(await Effect.runPromise(program), {
  totals: { objects: 2, bytes: 1024 },
  prefixes: ["items/", "profiles/"]
})
console.log("ok")
