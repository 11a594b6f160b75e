/**
 * Snapshot sync against `rclone sync` in the same run, on a local Ceph RGW:
 *
 * 1. a first snapshot of BENCH_SNAPSHOT_OBJECTS (10,000) small objects bucket → bucket
 *    (target: ≥ 1.5× faster than rclone's first sync of the same bucket into another one);
 * 2. a no-change re-sync (target: ≥ 3× faster than rclone's no-change sync);
 * 3. the live heap (after a full GC every 50,000 pairs; run with --expose-gc) of a dry-run
 *    snapshot over a simulated listing pair of 100,000 and of BENCH_SNAPSHOT_SIMULATED
 *    (1,000,000) equal objects (target: flat — the same peak). BENCH_SNAPSHOT_OBJECTS=0 runs
 *    only this part (no engine).
 *
 * We run in this process (a warm runtime, what a library user or the cron app sees); rclone as a
 * whole CLI run (Debian's 1.60 at /usr/bin/rclone; left out, with a note, when it is missing).
 * Every destination's object count is checked. The engine: LOCALEX_S3_ENV_FILE names the env file
 * of a running one; otherwise one is started and stopped.
 * Node runs this file by type stripping: only erasable TypeScript here.
 */
import { randomUUID } from "node:crypto"
import { existsSync } from "node:fs"
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3"
import { benchEngine } from "@localex/local-s3"
import type { ObjectStore, ObjectSummary } from "@localex/storage-core"
import { BucketAdmin, ObjectStore as ObjectStoreTag } from "@localex/storage-core"
import * as S3 from "@localex/storage-core/s3"
import { dropBucket, layerMemory, RCLONE, rawClient, rcloneEnv, runTimed } from "@localex/storage-core/testing"
import { Effect, Stream } from "effect"
import type * as LocationModule from "../src/Location.js"
import type * as SnapshotModule from "../src/Snapshot.js"

const dist = new URL(`${process.env.BENCH_DIST ?? "../dist"}/`, import.meta.url)
const load = async <A>(path: string): Promise<A> => (await import(new URL(path, dist).href)) as A
const Snapshot = await load<typeof SnapshotModule>("Snapshot.js")
const Location = await load<typeof LocationModule>("Location.js")

const env = process.env
const OBJECTS = Number(env.BENCH_SNAPSHOT_OBJECTS ?? 10_000)
const SIMULATED = Number(env.BENCH_SNAPSHOT_SIMULATED ?? 1_000_000)
const CONCURRENCY = Number(env.BENCH_SNAPSHOT_CONCURRENCY ?? 32)
const say = (line: string) => process.stderr.write(`[bench:snapshot] ${line}\n`)

const timed = async (file: string, args: ReadonlyArray<string>, childEnv: NodeJS.ProcessEnv) =>
  (await runTimed(file, args, childEnv)).seconds

const seconds = async (work: () => Promise<unknown>) => {
  const started = performance.now()
  await work()
  return (performance.now() - started) / 1000
}

// --- the engine and the buckets ------------------------------------------------------------------

const started = OBJECTS > 0 ? await benchEngine({ log: say }) : undefined
const engine = started ?? {
  endpoint: "http://127.0.0.1:1",
  region: "us-east-1",
  accessKeyId: "-",
  secretAccessKey: "-"
}
const client = rawClient(engine)
const run = randomUUID().slice(0, 8)
const source = `bench-snap-src-${run}`
const ours = `bench-snap-ours-${run}`
const theirs = `bench-snap-rclone-${run}`

const count = async (bucket: string) => {
  let n = 0
  let token: string | undefined
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }))
    n += (page.Contents ?? []).filter((o) => !(o.Key ?? "").startsWith("_localex/")).length
    token = page.NextContinuationToken
  } while (token !== undefined)
  return n
}

const drop = (bucket: string) => dropBucket(client, bucket)

const s3Options = (bucket: string) => ({
  bucket,
  region: engine.region,
  endpoint: engine.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: engine.accessKeyId, secretAccessKey: engine.secretAccessKey },
  checksums: "when_required" as const,
  multipartThreshold: 8 * 2 ** 20,
  partSize: 8 * 2 ** 20,
  concurrency: 8,
  maxAttempts: 3
})

const snapshot = (from: string, to: string) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const a = yield* S3.makeServices(s3Options(from))
        const b = yield* S3.makeServices(s3Options(to))
        return yield* Snapshot.run(Location.sideOf(a), Location.sideOf(b), { concurrency: CONCURRENCY })
      })
    )
  )

// --- memory over a simulated listing pair ---------------------------------------------------------

/** A store that lists `n` synthetic objects (the same on every call) and is never read. */
const simulated = (store: ObjectStore["Service"], n: number): ObjectStore["Service"] => ({
  ...store,
  list: () =>
    Stream.fromIterable(
      (function* () {
        for (let i = 0; i < n; i++) {
          const summary: ObjectSummary = {
            _tag: "Object",
            key: `items/${i.toString(36).padStart(8, "0")}/photo.webp`,
            size: 1000 + (i % 97),
            etag: `etag${i % 1013}`,
            lastModified: new Date(1_700_000_000_000),
            storageClass: undefined
          }
          yield summary
        }
      })()
    ).pipe(Stream.rechunk(1000))
})

const peakHeap = async (n: number) => {
  const services = await Effect.runPromise(
    Effect.gen(function* () {
      return { store: yield* ObjectStoreTag, admin: yield* BucketAdmin }
    }).pipe(Effect.provide(layerMemory()))
  )
  const side = (label: string) => ({
    ...Location.sideOf({ store: simulated(services.store, n), admin: services.admin }),
    name: label
  })
  // The live heap after a full GC every 50,000 pairs (run with --expose-gc): what the run holds,
  // not the garbage V8 has not collected yet.
  const live = () => {
    globalThis.gc?.()
    return process.memoryUsage().heapUsed
  }
  let peak = live()
  const started = performance.now()
  const report = await Effect.runPromise(
    Snapshot.run(side("a"), side("b"), {
      dryRun: true,
      onProgress: (p) => {
        if (p.compared % 50_000 === 0) peak = Math.max(peak, live())
      }
    })
  )
  if (report.unchanged !== n) throw new Error(`simulated snapshot compared ${report.unchanged} of ${n}`)
  return { peakMiB: peak / 2 ** 20, seconds: (performance.now() - started) / 1000 }
}

// --- the run ---------------------------------------------------------------------------------------

const memoryOnly = OBJECTS === 0
try {
  if (memoryOnly) {
    const small = await peakHeap(Math.floor(SIMULATED / 10))
    const large = await peakHeap(SIMULATED)
    process.stdout.write(
      `simulated listing pair (dry run): ${Math.floor(SIMULATED / 10)} objects live heap peak ${small.peakMiB.toFixed(1)} MiB (${small.seconds.toFixed(1)} s); ${SIMULATED} objects ${large.peakMiB.toFixed(1)} MiB (${large.seconds.toFixed(1)} s)\n`
    )
    process.exit(0)
  }
  for (const bucket of [source, ours, theirs]) await client.send(new CreateBucketCommand({ Bucket: bucket }))
  let next = 0
  const seedStarted = performance.now()
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < OBJECTS) {
        const i = next++
        const key = `items/${(((i + 1) * 2654435761) % 4294967291).toString(36)}/photo-${i}.webp`
        await client.send(new PutObjectCommand({ Bucket: source, Key: key, Body: new Uint8Array(500 + (i % 3000)) }))
      }
    })
  )
  say(`seeded ${OBJECTS} objects in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`)

  const oursFirst = await seconds(() => snapshot(source, ours))
  const oursAgain = await seconds(async () => {
    const again = await snapshot(source, ours)
    if (again.copied.objects !== 0) throw new Error(`the re-sync copied ${again.copied.objects}`)
  })
  if ((await count(ours)) !== OBJECTS) throw new Error("our destination is incomplete")

  let rcloneFirst: number | undefined
  let rcloneAgain: number | undefined
  if (existsSync(RCLONE)) {
    const args = ["sync", `bench:${source}`, `bench:${theirs}`, "--transfers", "16", "--checkers", "16"]
    rcloneFirst = await timed(RCLONE, args, rcloneEnv(engine))
    rcloneAgain = await timed(RCLONE, args, rcloneEnv(engine))
    if ((await count(theirs)) !== OBJECTS) throw new Error("rclone's destination is incomplete")
  } else say(`${RCLONE} not found: rclone is left out`)

  const small = await peakHeap(Math.floor(SIMULATED / 10))
  const large = await peakHeap(SIMULATED)

  const ratio = (peer: number | undefined, us: number) => (peer === undefined ? "n/a" : `${(peer / us).toFixed(2)}×`)
  const lines = [
    `snapshot of ${OBJECTS} small objects bucket → bucket (local Ceph RGW, concurrency ${CONCURRENCY}):`,
    `  first sync      localex ${oursFirst.toFixed(2)} s   rclone sync ${rcloneFirst?.toFixed(2) ?? "n/a"} s   speed-up ${ratio(rcloneFirst, oursFirst)} (target ≥ 1.5×)`,
    `  no-change sync  localex ${oursAgain.toFixed(2)} s   rclone sync ${rcloneAgain?.toFixed(2) ?? "n/a"} s   speed-up ${ratio(rcloneAgain, oursAgain)} (target ≥ 3×)`,
    `simulated listing pair (dry run, every pair compared):`,
    `  ${Math.floor(SIMULATED / 10)} objects: peak heap ${small.peakMiB.toFixed(1)} MiB in ${small.seconds.toFixed(1)} s`,
    `  ${SIMULATED} objects: peak heap ${large.peakMiB.toFixed(1)} MiB in ${large.seconds.toFixed(1)} s (target: flat)`
  ]
  process.stdout.write(`${lines.join("\n")}\n`)
} finally {
  if (!memoryOnly) for (const bucket of [source, ours, theirs]) await drop(bucket)
  await started?.stop()
}
