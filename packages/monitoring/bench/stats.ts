/**
 * Storage statistics over a 20,000-object bucket on a local Ceph RGW, against its peers in the
 * same run: `rclone size` (directory walk and --fast-list) and `aws s3 ls --recursive --summarize`
 * (Debian's /usr/bin/aws). Target: at least 2× faster than the faster peer.
 *
 * The peers are timed as whole CLI runs; we are timed twice: in a warm runtime (what the HTTP
 * app, a library user, sees; target ≥ 2×) and as a new process: `localex-storage --json stats`,
 * the built CLI (apps/cli/dist/bin.js), Node start-up and module loading included as process
 * start-up is for the peers (target ≥ 1.5×). Without a built CLI the new process is this file's
 * `--once`. Both speed-ups are printed, each labelled. Every contender's object count and byte
 * total must equal ours.
 *
 *   node bench/stats.ts                 run the benchmark (from the built package: dist/)
 *   node bench/stats.ts --once BUCKET   one statistics run, printed as JSON (used by the above without a built CLI)
 *
 * The engine: LOCALEX_S3_ENV_FILE (or LOCALEX_S3_ENDPOINT_FILE) names the env file of a running
 * one; otherwise one is started and stopped. Knobs: BENCH_ROUNDS (5), BENCH_STATS_OBJECTS
 * (20000), BENCH_STATS_CONCURRENCY (key ranges listed at once; default: the library's),
 * BENCH_STATS_MODE (parallel | sequential; default: the library's choice, what a user gets), BENCH_DIST (../dist),
 * BENCH_STATS_BUCKET (an already seeded bucket to reuse and keep, for repeated runs).
 * Node runs this file by type stripping: only erasable TypeScript here.
 */
import { randomUUID } from "node:crypto"
import { existsSync } from "node:fs"
import { Agent } from "node:http"
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3"
import { benchEngine } from "@localex/local-s3"
import type { S3Options } from "@localex/storage-core"
import * as S3 from "@localex/storage-core/s3"
import {
  AWS_CLI,
  awsEnv,
  dropBucket,
  type S3Engine as Endpoint,
  RCLONE,
  rcloneEnv,
  runTimed
} from "@localex/storage-core/testing"
import { NodeHttpHandler } from "@smithy/node-http-handler"
import { Effect, Layer, ManagedRuntime } from "effect"
import type * as StatsModule from "../src/Stats.js"

const dist = new URL(`${process.env.BENCH_DIST ?? "../dist"}/`, import.meta.url)
const load = async <A>(path: string): Promise<A> => (await import(new URL(path, dist).href)) as A
const Stats = await load<typeof StatsModule>("Stats.js")

const env = process.env
const ROUNDS = Number(env.BENCH_ROUNDS ?? 5)
const OBJECTS = Number(env.BENCH_STATS_OBJECTS ?? 20_000)
const CONCURRENCY = env.BENCH_STATS_CONCURRENCY === undefined ? undefined : Number(env.BENCH_STATS_CONCURRENCY)
const MODE = env.BENCH_STATS_MODE === undefined ? undefined : env.BENCH_STATS_MODE === "parallel"

const say = (line: string) => process.stderr.write(`[bench:stats] ${line}\n`)

const optionsFor = (s3: Endpoint, bucket: string): S3Options => ({
  bucket,
  region: s3.region,
  endpoint: s3.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  checksums: "when_required",
  multipartThreshold: 8 * 2 ** 20,
  partSize: 8 * 2 ** 20,
  concurrency: 8,
  maxAttempts: 3
})

const runtimeFor = (s3: Endpoint, bucket: string) => {
  const options = optionsFor(s3, bucket)
  return ManagedRuntime.make(Stats.layer.pipe(Layer.provide(S3.layer(options))))
}

/** `parallel` undefined: the library's default (BENCH_STATS_MODE forces one). */
const collect = (runtime: ReturnType<typeof runtimeFor>, parallel: boolean | undefined = MODE) =>
  runtime.runPromise(
    Effect.gen(function* () {
      const statistics = yield* Stats.StorageStatistics
      return yield* statistics.collect({
        ...(CONCURRENCY === undefined ? {} : { concurrency: CONCURRENCY }),
        ...(parallel === undefined ? {} : { parallel })
      })
    })
  )

// --- `--once BUCKET`: one run in this process, for the cold-process timing ---------------------

if (process.argv[2] === "--once") {
  const s3 = await benchEngine() // the parent's, named by LOCALEX_S3_ENV_FILE
  const runtime = runtimeFor(s3, process.argv[3] as string)
  const stats = await collect(runtime)
  const { mode, pageMs } = stats.listing
  process.stdout.write(
    `${JSON.stringify({ objects: stats.totals.objects, bytes: stats.totals.bytes, mode, pageMs })}\n`
  )
  await runtime.dispose()
  process.exit(0)
}

// --- processes ---------------------------------------------------------------------------------

const timed = runTimed

interface Contender {
  readonly name: string
  readonly run: () => Promise<{ readonly objects: number; readonly bytes: number; readonly seconds: number }>
}

/** The built CLI, run as a user would (`pnpm --filter @localex/cli build`). */
const CLI = new URL("../../../apps/cli/dist/bin.js", import.meta.url).pathname
const NEW_PROCESS = existsSync(CLI) ? "localex-storage stats (new process)" : "localex stats --once (new process)"

/** The mode (and first page time) of each new-process run. */
const freshModes: Array<string> = []

const contenders = (s3: Endpoint, bucket: string, envFile: string): Array<Contender> => {
  const rclone = (extra: ReadonlyArray<string>) => async () => {
    const { stdout, seconds } = await timed(RCLONE, ["size", "--json", ...extra, `bench:${bucket}`], rcloneEnv(s3))
    const parsed = JSON.parse(stdout) as { count: number; bytes: number }
    return { objects: parsed.count, bytes: parsed.bytes, seconds }
  }
  const once = async () => {
    const { stdout, seconds } = await timed(process.execPath, [new URL(import.meta.url).pathname, "--once", bucket], {
      ...process.env,
      LOCALEX_S3_ENV_FILE: envFile
    })
    const result = JSON.parse(stdout) as { objects: number; bytes: number; mode: string; pageMs?: number }
    freshModes.push(`${result.mode}${result.pageMs === undefined ? "" : ` ${result.pageMs} ms`}`)
    return { ...result, seconds }
  }
  const cli = async () => {
    const { stdout, seconds } = await timed(
      process.execPath,
      [CLI, "--bucket", bucket, "--endpoint", s3.endpoint, "--json", "stats"],
      awsEnv(s3)
    )
    const stats = JSON.parse(stdout) as {
      totals: { objects: number; bytes: number }
      listing: { mode: string; pageMs?: number }
    }
    freshModes.push(`${stats.listing.mode}${stats.listing.pageMs === undefined ? "" : ` ${stats.listing.pageMs} ms`}`)
    return { objects: stats.totals.objects, bytes: stats.totals.bytes, seconds }
  }
  if (!existsSync(CLI)) say(`${CLI} not built: the new process is bench/stats.ts --once`)
  const list: Array<Contender> = [{ name: NEW_PROCESS, run: existsSync(CLI) ? cli : once }]
  if (existsSync(RCLONE)) {
    list.push({ name: "rclone size", run: rclone([]) })
    list.push({ name: "rclone size --fast-list", run: rclone(["--fast-list"]) })
  } else say(`${RCLONE} not found: rclone is left out`)
  if (existsSync(AWS_CLI)) {
    list.push({
      name: "aws s3 ls --recursive --summarize",
      run: async () => {
        const { stdout, seconds } = await timed(
          AWS_CLI,
          ["s3", "ls", `s3://${bucket}`, "--recursive", "--summarize", "--endpoint-url", s3.endpoint],
          awsEnv(s3)
        )
        const objects = Number(/Total Objects: (\d+)/.exec(stdout)?.[1])
        const bytes = Number(/Total Size: (\d+)/.exec(stdout)?.[1])
        return { objects, bytes, seconds }
      }
    })
  } else say(`${AWS_CLI} not found: aws is left out`)
  return list
}

// --- the bucket --------------------------------------------------------------------------------

/** LocalEx's layout: items/{id}/photos/{hash}/{variant}.webp (5 files a photo, 2 photos an item), profiles, temp. */
const population = (count: number): Array<{ key: string; size: number }> => {
  const objects: Array<{ key: string; size: number }> = []
  const id = (n: number) => randomish(n).toString(36).padStart(7, "0")
  for (let item = 0; objects.length < count * 0.9; item++)
    for (const photo of [0, 1])
      for (const variant of ["thumb", "small", "medium", "large", "manifest"])
        objects.push({
          key: `items/${id(item)}/photos/${id(item * 7 + photo)}/${variant}.webp`,
          size: 100 + ((item * 31 + photo * 7 + variant.length) % 5000)
        })
  for (let user = 0; objects.length < count * 0.97; user++)
    for (const variant of ["avatar", "small"])
      objects.push({ key: `profiles/${id(user + 1e6)}/photos/p/${variant}.webp`, size: 300 + (user % 900) })
  for (let t = 0; objects.length < count; t++) objects.push({ key: `temp/upload-${t}.bin`, size: 1000 + t })
  return objects.slice(0, count)
}
const randomish = (n: number) => ((n + 1) * 2654435761) % 4294967291

const seed = async (client: S3Client, bucket: string, objects: ReadonlyArray<{ key: string; size: number }>) => {
  await client.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined)
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < objects.length) {
        const o = objects[next++] as { key: string; size: number }
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: new Uint8Array(o.size) }))
      }
    })
  )
  say(`seeded ${objects.length} objects in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

// --- the run -----------------------------------------------------------------------------------

const s3 = await benchEngine({ log: say })
const envFile = s3.envFile
const client = new S3Client({
  endpoint: s3.endpoint,
  region: s3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
  requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) })
})
const reused = env.BENCH_STATS_BUCKET
const bucket = reused ?? `bench-stats-${randomUUID().slice(0, 8)}`
const objects = population(OBJECTS)
const expected = { objects: objects.length, bytes: objects.reduce((sum, o) => sum + o.size, 0) }

try {
  const present =
    reused === undefined
      ? 0
      : ((await client.send(new ListObjectsV2Command({ Bucket: reused, MaxKeys: 1 })).catch(() => undefined))
          ?.KeyCount ?? -1)
  if (present <= 0) await seed(client, bucket, objects)
  const list = contenders(s3, bucket, envFile)
  const times = new Map<string, Array<number>>(list.map((c) => [c.name, []]))
  const inProcess: Array<number> = []
  const inProcessSequential: Array<number> = []
  const modes = new Map<string, number>()
  const pageTimes: Array<number> = []
  const runtime = runtimeFor(s3, bucket)
  for (let round = 0; round <= ROUNDS; round++) {
    // Round 0 warms the engine's caches for everyone and is not counted; the order rotates.
    const order = list.map((_, i) => list[(i + round) % list.length] as Contender)
    for (const contender of order) {
      const result = await contender.run()
      if (result.objects !== expected.objects || result.bytes !== expected.bytes)
        throw new Error(
          `${contender.name} counted ${result.objects} objects / ${result.bytes} B, expected ${expected.objects} / ${expected.bytes}`
        )
      if (round > 0) times.get(contender.name)?.push(result.seconds)
    }
    // The two in-process runs alternate which goes first: the first one after the peers' runs
    // meets a gateway still busy with their aftermath.
    const runs = [
      [MODE, inProcess],
      [false, inProcessSequential]
    ] as const
    for (const [parallel, times] of round % 2 === 0 ? runs : [...runs].reverse()) {
      const started = performance.now()
      const stats = await collect(runtime, parallel)
      if (stats.totals.objects !== expected.objects || stats.totals.bytes !== expected.bytes)
        throw new Error(`in-process stats counted ${stats.totals.objects} objects / ${stats.totals.bytes} B`)
      if (round > 0) times.push((performance.now() - started) / 1000)
      if (round > 0 && times === inProcess) {
        modes.set(stats.listing.mode, (modes.get(stats.listing.mode) ?? 0) + 1)
        if (stats.listing.pageMs !== undefined) pageTimes.push(stats.listing.pageMs)
      }
    }
  }
  await runtime.dispose()

  const ours = median(times.get(NEW_PROCESS) ?? [])
  const peers = list
    .filter((c) => !c.name.startsWith("localex"))
    .map((c) => ({ name: c.name, seconds: median(times.get(c.name) ?? []) }))
  const fastest = peers.reduce((best, p) => (p.seconds < best.seconds ? p : best), {
    name: "none",
    seconds: Number.POSITIVE_INFINITY
  })
  const warm = median(inProcess)
  const warmSequential = median(inProcessSequential)
  const chosen = [...modes].map(([mode, n]) => `${mode} ×${n}`).join(", ")
  const defaults = `${MODE === undefined ? "library default" : `forced ${MODE ? "parallel" : "sequential"}`}${CONCURRENCY === undefined ? "" : `, concurrency ${CONCURRENCY}`}: ${chosen}${pageTimes.length > 0 ? `, page median ${median(pageTimes).toFixed(1)} ms` : ""}`
  const speedup = (seconds: number) => `${(fastest.seconds / seconds).toFixed(2)}×`
  const lines = [
    `statistics of ${expected.objects} objects (${(expected.bytes / 2 ** 20).toFixed(1)} MiB), median of ${ROUNDS} rounds, every count checked:`,
    `  ${"localex stats, warm in-process".padEnd(46)} ${warm.toFixed(3)} s (${defaults}; forced sequential: ${warmSequential.toFixed(3)} s)`,
    `  ${NEW_PROCESS.padEnd(46)} ${ours.toFixed(3)} s (Node start-up and module loading included; ${freshModes.slice(1).join(", ")})`,
    ...peers.map((p) => `  ${`${p.name} (whole run)`.padEnd(46)} ${p.seconds.toFixed(3)} s`),
    `speed-up over the faster peer (${fastest.name}), its whole run against:`,
    `  our warm in-process statistics: ${speedup(warm)} (forced sequential ${speedup(warmSequential)}) (target ≥ 2×) — ${fastest.seconds / warm >= 2 ? "met" : "MISSED"}`,
    `  our new process:                ${speedup(ours)} (target ≥ 1.5×) — ${fastest.seconds / ours >= 1.5 ? "met" : "MISSED"}`
  ]
  process.stdout.write(`${lines.join("\n")}\n`)
  process.stdout.write(
    `${JSON.stringify({ bench: "stats", objects: expected.objects, rounds: ROUNDS, ours, oursInProcess: warm, oursInProcessSequential: warmSequential, modes: Object.fromEntries(modes), pageMs: pageTimes, peers, speedup: fastest.seconds / ours, speedupInProcess: fastest.seconds / warm })}\n`
  )
} finally {
  if (reused === undefined) await dropBucket(client, bucket).catch((error: unknown) => say(`cleanup: ${String(error)}`))
  client.destroy()
  await s3.stop()
}
