/**
 * Point-in-time restore over a simulated versions listing: the live heap (after a full GC every
 * 50,000 keys planned and actions applied; run with --expose-gc) of a real (not dry) in-place
 * restore of BENCH_PITR_VERSIONS / 10 and of BENCH_PITR_VERSIONS (1,000,000) versions. Target:
 * flat — the same peak whatever the number of versions.
 *
 * The listing is generated in-process (key order, newest first per key), in four shapes that
 * repeat: a key unchanged since T, one overwritten after T (restore), one created after T (extra,
 * deleted through DeletionPlan), one deleted after T (restore under a delete marker). The plan
 * manifest and the deletion batches go to an fs store in a temporary folder (real writes and
 * reads); the server-side copies of the versions are the only thing not done (they answer at once).
 * Node runs this file by type stripping: only erasable TypeScript here.
 */
import { rmSync } from "node:fs"
import type { BucketAdmin, ObjectVersion } from "@localex/storage-core"
import * as Fs from "@localex/storage-core/fs"
import { tempDir } from "@localex/storage-core/testing"
import { Effect, Stream } from "effect"
import type * as LocationModule from "../src/Location.js"
import type * as PointInTimeModule from "../src/PointInTime.js"

const dist = new URL(`${process.env.BENCH_DIST ?? "../dist"}/`, import.meta.url)
const load = async <A>(path: string): Promise<A> => (await import(new URL(path, dist).href)) as A
const PointInTime = await load<typeof PointInTimeModule>("PointInTime.js")
const Location = await load<typeof LocationModule>("Location.js")

const VERSIONS = Number(process.env.BENCH_PITR_VERSIONS ?? 1_000_000)
const T = 1_700_000_000_000
const before = new Date(T - 3_600_000)
const after = new Date(T + 3_600_000)

const version = (key: string, id: string, time: Date, isLatest: boolean, marker = false): ObjectVersion => ({
  key,
  versionId: id,
  isLatest,
  isDeleteMarker: marker,
  size: marker ? 0 : 1000 + (id.length % 97),
  etag: marker ? undefined : `e${id}`,
  lastModified: time,
  storageClass: undefined
})

/** About `n` versions: keys in four shapes (6 versions per 4 keys), in the listing's order. */
function* versions(n: number): Generator<ObjectVersion> {
  for (let i = 0, emitted = 0; emitted < n; i++) {
    const key = `items/${i.toString(36).padStart(8, "0")}/photo.webp`
    switch (i % 4) {
      case 0:
        yield version(key, `${i}a`, before, true)
        emitted += 1
        break
      case 1:
        yield version(key, `${i}b`, after, true)
        yield version(key, `${i}a`, before, false)
        emitted += 2
        break
      case 2:
        yield version(key, `${i}a`, after, true)
        emitted += 1
        break
      default:
        yield version(key, `${i}m`, after, true, true)
        yield version(key, `${i}a`, before, false)
        emitted += 2
    }
  }
}

const live = () => {
  globalThis.gc?.()
  return process.memoryUsage().heapUsed
}

const peakHeap = async (n: number) => {
  const root = tempDir("bench-pitr")
  try {
    const services = await Effect.runPromise(
      Fs.makeServices({ root, publicUrl: "http://127.0.0.1:8080", signingSecret: "bench" })
    )
    const admin: BucketAdmin["Service"] = {
      ...services.admin,
      getVersioning: () => Effect.succeed("Enabled"),
      listVersions: () => Stream.fromIterable(versions(n)).pipe(Stream.rechunk(1000)),
      copyVersion: (key, versionId) => Effect.succeed({ key, etag: `c${versionId}`, versionId: `c${versionId}` })
    }
    const side = { ...Location.sideOf({ store: services.store, admin }), name: "simulated" }
    let peak = live()
    const started = performance.now()
    const cpu = process.cpuUsage()
    const report = await Effect.runPromise(
      PointInTime.run(side, {
        at: new Date(T),
        force: true,
        onProgress: (p) => {
          if (p.done % 50_000 === 0) peak = Math.max(peak, live())
        }
      })
    )
    const used = process.cpuUsage(cpu)
    const keys = report.keysAtT + report.extra
    if (report.toRestore !== report.restored || report.failures !== 0 || keys === 0)
      throw new Error(`simulated restore: ${JSON.stringify({ ...report, actions: report.actions.length })}`)
    return {
      keys,
      restored: report.restored,
      extra: report.extra,
      peakMiB: peak / 2 ** 20,
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: (used.user + used.system) / 1e6
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

const small = await peakHeap(Math.floor(VERSIONS / 10))
const large = await peakHeap(VERSIONS)
const line = (n: number, r: Awaited<ReturnType<typeof peakHeap>>) =>
  `  ${n} versions (${r.keys} keys, ${r.restored} restored, ${r.extra} extra deleted): live heap peak ${r.peakMiB.toFixed(1)} MiB, ${r.seconds.toFixed(1)} s, ${r.cpuSeconds.toFixed(1)} CPU s`
process.stdout.write(
  `${[
    "point-in-time restore over a simulated versions listing (in place, plan manifest and deletions on fs):",
    line(Math.floor(VERSIONS / 10), small),
    `${line(VERSIONS, large)} (target: flat)`
  ].join("\n")}\n`
)
