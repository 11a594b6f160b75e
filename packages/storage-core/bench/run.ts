/**
 * `pnpm bench`: the s3 driver against its peers, in one run, on a local Ceph RGW.
 *
 *   1. presign: URLs per second vs @aws-sdk/s3-request-presigner's getSignedUrl, and the
 *      server must accept a sample of the URLs (GET and PUT with plain fetch).
 *   2. a 256 MiB upload (put of a file) and download (`download` to a file) vs `aws s3 cp` and
 *      `rclone copyto`.
 *   3. 2,000 × 4 KiB objects put with bounded concurrency vs `rclone copy`.
 *   4. tls: over https (the engine behind a TLS front in a process of its own), a 128 MiB
 *      download vs `rclone copyto` and vs this driver's `get` piped to a file (how `download` went
 *      over https before its ranged GETs took TLS), and the small puts of 3. vs `rclone copy`.
 *
 * The engine: LOCALEX_S3_ENV_FILE (or LOCALEX_S3_ENDPOINT_FILE) names an env file of a running
 * one (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, …, as `pnpm s3:up` writes); otherwise the bench
 * starts its own with @localex/local-s3 and stops it at the end.
 * Knobs: BENCH_ONLY (a comma-separated subset of presign,large,small,tls; default all), BENCH_TLS_MIB (128), BENCH_ROUNDS (3), BENCH_LARGE_MIB (256), BENCH_SMALL_COUNT (2000), BENCH_CONCURRENCY (32,
 * the small-object put concurrency), LOCALEX_STORAGE_PART_SIZE / LOCALEX_STORAGE_CONCURRENCY (the driver's).
 *
 * Runs from the built package (dist/), which `pnpm bench` builds first; Node runs this file by
 * type stripping, so only erasable TypeScript is used here.
 */
import { spawn } from "node:child_process"
import { createHash, randomBytes, randomUUID } from "node:crypto"
import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync } from "node:fs"
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3"
import { getSignedUrl } from "@aws-sdk/s3-request-presigner"
import { readEnvFile, start } from "@localex/local-s3"
import {
  AWS_CLI,
  awsEnv,
  type S3Engine as Endpoint,
  RCLONE,
  rcloneEnv,
  TEST_CERTIFICATE,
  trustTestCertificate
} from "@localex/storage-core/testing"
import { Effect, ManagedRuntime, Stream } from "effect"
import type * as S3Driver from "../src/drivers/S3.js"
import type * as ObjectStoreModule from "../src/ObjectStore.js"
import type { S3Options } from "../src/StorageConfig.js"

const S3 = (await import(new URL("../dist/drivers/S3.js", import.meta.url).href)) as typeof S3Driver
const { ObjectStore } = (await import(
  new URL("../dist/ObjectStore.js", import.meta.url).href
)) as typeof ObjectStoreModule

const MiB = 1024 * 1024
const env = process.env
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3)
const LARGE_MIB = Number(env.BENCH_LARGE_MIB ?? 256)
const SMALL_COUNT = Number(env.BENCH_SMALL_COUNT ?? 2000)
const SMALL_CONCURRENCY = Number(env.BENCH_CONCURRENCY ?? 32)
/** The sections to run: while working on one, run only it (the machine is shared). */
const TLS_MIB = Number(env.BENCH_TLS_MIB ?? 128)
const ONLY = new Set((env.BENCH_ONLY ?? "presign,large,small,tls").split(",").map((name) => name.trim()))

const say = (line: string) => process.stderr.write(`[bench] ${line}\n`)
const seconds = async (f: () => Promise<unknown>): Promise<number> => {
  const started = performance.now()
  await f()
  return (performance.now() - started) / 1000
}

/** CPU seconds used by the peers' processes (from /usr/bin/time; NaN without it), added up by `run`. */
let childCpu = 0
/** Wall and CPU seconds of one measured step: ours from this process, a peer's from its process. */
const measure = async (f: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> => {
  childCpu = 0
  const before = process.cpuUsage()
  const wall = await seconds(f)
  const own = process.cpuUsage(before)
  return { wall, cpu: childCpu !== 0 ? childCpu : (own.user + own.system) / 1e6 }
}
/** CPU seconds the engine's processes (radosgw, ceph-osd, ceph-mon) have used so far; NaN off Linux. */
const engineCpu = (): number => {
  try {
    let ticks = 0
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue
      let stat: string
      try {
        stat = readFileSync(`/proc/${pid}/stat`, "utf8")
      } catch {
        continue // gone since the listing
      }
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))
      if (!/^(radosgw|ceph-osd|ceph-mon)$/.test(name)) continue
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      ticks += Number(fields[11]) + Number(fields[12]) // utime, stime (fields 14 and 15 of stat)
    }
    return ticks / 100 // USER_HZ
  } catch {
    return Number.NaN
  }
}
/**
 * Waits (up to 30 s) until the engine has used under 10 % of a core for a whole second: the
 * work a round leaves behind (its deletes, the bucket index's upkeep) must not be counted
 * against whichever peer runs next.
 */
const engineQuiet = async (): Promise<void> => {
  for (let waited = 0; waited < 30; waited++) {
    const before = engineCpu()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    if (!(engineCpu() - before >= 0.1)) return
  }
}
const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const sha256File = async (path: string): Promise<string> => {
  const hash = createHash("sha256")
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest("hex")
}

interface Row {
  readonly section: string
  readonly what: string
  readonly ours: number
  readonly peer: string
  readonly theirs: number
  readonly unit: string
  readonly target?: number
  /** CPU seconds (user + system), medians: ours, the peer's. */
  readonly cpu?: readonly [number, number]
}
const rows: Array<Row> = []

// --- the peers (bench/peers.ts) ---
const available = (binary: string): boolean => existsSync(binary)

const TIME = "/usr/bin/time"

/** Runs a command to completion (under /usr/bin/time, to count its CPU); rejects with its stderr when it fails. */
const run = (file: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Promise<void> =>
  new Promise((resolve, reject) => {
    const timed = existsSync(TIME)
    const child = timed
      ? spawn(TIME, ["-f", "@cpu %U %S", file, ...args], { env, stdio: ["ignore", "ignore", "pipe"] })
      : spawn(file, args, { env, stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.setEncoding("utf8")
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk
    })
    child.on("error", reject)
    child.on("close", (code) => {
      const cpu = /@cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr)
      childCpu = cpu ? childCpu + Number(cpu[1]) + Number(cpu[2]) : Number.NaN
      if (code === 0) resolve()
      else reject(new Error(`${file} ${args.join(" ")} exited with ${code}: ${stderr.trim()}`))
    })
  })

/** `aws s3 cp <from> <to>` with its default transfer settings (8 MiB chunks, 10 concurrent requests). */
const awsCopy = (s3: Endpoint, from: string, to: string) =>
  run(AWS_CLI, ["s3", "cp", "--only-show-errors", "--endpoint-url", s3.endpoint, from, to], awsEnv(s3))

const rclone = (s3: Endpoint, args: ReadonlyArray<string>) => run(RCLONE, args, rcloneEnv(s3))

// --- the engine -------------------------------------------------------------------------------

const envFile = env.LOCALEX_S3_ENV_FILE ?? env.LOCALEX_S3_ENDPOINT_FILE
let stopEngine: () => Promise<void> = async () => {}
let s3: Endpoint
if (envFile) {
  const vars = readEnvFile(envFile)
  s3 = {
    endpoint: vars.AWS_ENDPOINT_URL_S3!,
    region: vars.AWS_REGION ?? "us-east-1",
    accessKeyId: vars.AWS_ACCESS_KEY_ID!,
    secretAccessKey: vars.AWS_SECRET_ACCESS_KEY!
  }
  say(`using the S3 engine at ${s3.endpoint} (${envFile})`)
} else {
  say("starting a local Ceph RGW (@localex/local-s3)…")
  const engine = await start()
  s3 = engine
  stopEngine = () => engine.stop()
  say(`engine up at ${engine.endpoint}`)
}

const bucket = `bench-${randomUUID().slice(0, 8)}`
const raw = new S3Client({
  endpoint: s3.endpoint,
  region: s3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED"
})
await raw.send(new CreateBucketCommand({ Bucket: bucket }))

const options: S3Options = {
  bucket,
  region: s3.region,
  endpoint: s3.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  checksums: "when_required",
  multipartThreshold: 5 * MiB,
  partSize: Number(env.LOCALEX_STORAGE_PART_SIZE ?? 8 * MiB),
  concurrency: Number(env.LOCALEX_STORAGE_CONCURRENCY ?? 8),
  maxAttempts: 5
}
const runtime = ManagedRuntime.make(S3.layer(options))
const store = await runtime.runPromise(
  Effect.gen(function* () {
    return yield* ObjectStore
  })
)
const work = await mkdtemp(join(tmpdir(), "localex-bench-"))

const emptyPrefix = async (prefix: string) => {
  const keys = await runtime.runPromise(
    Stream.runCollect(store.list({ prefix })).pipe(
      Effect.map((entries) => entries.flatMap((entry) => (entry._tag === "Object" ? [entry.key] : [])))
    )
  )
  if (keys.length > 0) await runtime.runPromise(store.deleteMany(keys))
}

try {
  if (ONLY.has("presign")) await presignBench()
  if (ONLY.has("large")) await largeBench()
  if (ONLY.has("small")) await smallBench()
  if (ONLY.has("tls")) await tlsBench()
  printTable()
} finally {
  await emptyPrefix("").catch(() => undefined)
  await runtime.dispose()
  raw.destroy()
  await rm(work, { recursive: true, force: true })
  await stopEngine()
}

// --- 1. presign -------------------------------------------------------------------------------

async function presignBench() {
  say("presign: ours vs getSignedUrl")
  const key = "presign/sample.bin"
  const oursCount = 20_000
  const sdkCount = 2_000
  const signMany = (count: number) =>
    Effect.gen(function* () {
      for (let i = 0; i < count; i++) yield* store.presign(`items/${i}/photo.jpg`, { method: "GET", expiresIn: 3600 })
    })
  const sdkMany = async (count: number) => {
    for (let i = 0; i < count; i++) {
      await getSignedUrl(raw, new GetObjectCommand({ Bucket: bucket, Key: `items/${i}/photo.jpg` }), {
        expiresIn: 3600
      })
    }
  }
  await runtime.runPromise(signMany(5000)) // warm-up, both
  await sdkMany(500)
  // Interleaved rounds, so both see the same machine.
  const ours: Array<number> = []
  const sdk: Array<number> = []
  for (let round = 0; round < Math.max(3, ROUNDS); round++) {
    ours.push(oursCount / (await seconds(() => runtime.runPromise(signMany(oursCount)))))
    sdk.push(sdkCount / (await seconds(() => sdkMany(sdkCount))))
  }
  say(
    `presign: ours ${ours.map((n) => n.toFixed(0)).join(", ")} URL/s; getSignedUrl ${sdk.map((n) => n.toFixed(0)).join(", ")} URL/s`
  )
  rows.push({
    section: "presign",
    what: "GET URLs signed per second",
    ours: median(ours),
    peer: "getSignedUrl",
    theirs: median(sdk),
    unit: "URL/s",
    target: 10
  })

  // The server must accept what we sign: a sample of GET and PUT URLs with plain fetch.
  const body = randomBytes(64 * 1024)
  await raw.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))
  const digest = createHash("sha256").update(body).digest("hex")
  let accepted = 0
  const sample = 20
  for (let i = 0; i < sample; i++) {
    const get = await runtime.runPromise(store.presign(key, { method: "GET", expiresIn: 60 + i }))
    const response = await fetch(get.url)
    const got = new Uint8Array(await response.arrayBuffer())
    if (response.status === 200 && createHash("sha256").update(got).digest("hex") === digest) accepted++
    const put = await runtime.runPromise(
      store.presign(`presign/upload-${i}.jpg`, { method: "PUT", contentType: "image/jpeg", expiresIn: 60 })
    )
    const uploaded = await fetch(put.url, { method: "PUT", headers: put.headers, body: got })
    const info = await runtime.runPromise(store.head(`presign/upload-${i}.jpg`))
    if (uploaded.status === 200 && info.size === got.length && info.contentType === "image/jpeg") accepted++
  }
  say(`presign: the server accepted ${accepted} of ${2 * sample} sampled URLs (GET and PUT)`)
  if (accepted !== 2 * sample) throw new Error(`RGW refused ${2 * sample - accepted} of our presigned URLs`)
}

// --- 2. one large object ------------------------------------------------------------------------

async function largeBench() {
  const size = LARGE_MIB * MiB
  const source = join(work, "large.bin")
  const target = join(work, "large.out")
  say(`large: writing a ${LARGE_MIB} MiB file`)
  await pipeline(
    Readable.from(
      (function* () {
        for (let written = 0; written < size; written += 16 * MiB) yield randomBytes(Math.min(16 * MiB, size - written))
      })()
    ),
    createWriteStream(source)
  )
  const digest = await sha256File(source)

  const peers: Array<{ name: string; up: () => Promise<unknown>; down: () => Promise<unknown> }> = [
    {
      name: "ours",
      up: () => runtime.runPromise(store.put("large/ours.bin", { _tag: "File", path: source })),
      down: () => runtime.runPromise(store.download("large/ours.bin", target))
    }
  ]
  if (available(AWS_CLI)) {
    peers.push({
      name: "aws s3 cp",
      up: () => awsCopy(s3, source, `s3://${bucket}/large/aws.bin`),
      down: () => awsCopy(s3, `s3://${bucket}/large/aws.bin`, target)
    })
  } else say(`large: ${AWS_CLI} is missing (apt-get install awscli): no aws baseline`)
  if (available(RCLONE)) {
    peers.push({
      name: "rclone copyto",
      up: () => rclone(s3, ["copyto", source, `bench:${bucket}/large/rclone.bin`]),
      down: () => rclone(s3, ["copyto", `bench:${bucket}/large/rclone.bin`, target])
    })
  } else say(`large: ${RCLONE} is missing (apt-get install rclone): no rclone baseline`)

  type Runs = { up: Array<number>; down: Array<number>; upCpu: Array<number>; downCpu: Array<number> }
  const times = new Map<string, Runs>()
  for (let round = 1; round <= ROUNDS; round++) {
    for (const peer of peers) {
      const up = await measure(peer.up)
      await rm(target, { force: true })
      const down = await measure(peer.down)
      const got = await sha256File(target)
      if (got !== digest) throw new Error(`${peer.name}: the downloaded file differs from the uploaded one`)
      const entry = times.get(peer.name) ?? { up: [], down: [], upCpu: [], downCpu: [] }
      entry.up.push(up.wall)
      entry.down.push(down.wall)
      entry.upCpu.push(up.cpu)
      entry.downCpu.push(down.cpu)
      times.set(peer.name, entry)
      say(
        `large round ${round}: ${peer.name} up ${(LARGE_MIB / up.wall).toFixed(0)} MiB/s (${up.cpu.toFixed(2)} CPU s), ` +
          `down ${(LARGE_MIB / down.wall).toFixed(0)} MiB/s (${down.cpu.toFixed(2)} CPU s)`
      )
      await emptyPrefix("large/")
    }
  }
  const ours = times.get("ours")!
  for (const [name, theirs] of times) {
    if (name === "ours") continue
    for (const direction of ["up", "down"] as const) {
      rows.push({
        section: `${LARGE_MIB} MiB`,
        what: direction === "up" ? "upload" : "download",
        ours: LARGE_MIB / median(ours[direction]),
        peer: name,
        theirs: LARGE_MIB / median(theirs[direction]),
        unit: "MiB/s",
        // Issue 22: downloads at 1.2× rclone (at no more CPU); uploads at least on a par.
        target: direction === "down" && name.startsWith("rclone") ? 1.2 : 0.9,
        cpu: [
          median(direction === "up" ? ours.upCpu : ours.downCpu),
          median(direction === "up" ? theirs.upCpu : theirs.downCpu)
        ]
      })
    }
  }
}

// --- 3. many small objects -------------------------------------------------------------------

async function smallBench() {
  const dir = await smallFiles("small")
  const peers: Array<SmallPeer> = [
    { name: `ours (concurrency ${SMALL_CONCURRENCY})`, put: oursPut(store, runtime, dir) }
  ]
  if (available(RCLONE)) {
    peers.push({
      name: "rclone copy (default --transfers 4)",
      put: (prefix) => rclone(s3, ["copy", dir, `bench:${bucket}/${prefix}`])
    })
    peers.push({
      name: `rclone copy --transfers ${SMALL_CONCURRENCY}`,
      put: (prefix) => rclone(s3, rcloneCopyArgs(dir, prefix))
    })
  } else say(`small: ${RCLONE} is missing (apt-get install rclone): no baseline`)
  await smallPuts("small", `${SMALL_COUNT} × 4 KiB`, peers)
}

interface SmallPeer {
  readonly name: string
  readonly put: (prefix: string) => Promise<unknown>
}

/** A folder of SMALL_COUNT files of 4 KiB. */
async function smallFiles(name: string): Promise<string> {
  const dir = join(work, name)
  await mkdir(dir)
  say(`${name}: writing ${SMALL_COUNT} files of 4 KiB`)
  for (let i = 0; i < SMALL_COUNT; i++)
    await writeFile(join(dir, `${String(i).padStart(5, "0")}.bin`), randomBytes(4096))
  return dir
}

/** Every file of `dir` put through `through`, SMALL_CONCURRENCY at a time, under a prefix. */
function oursPut(through: typeof store, on: typeof runtime, dir: string) {
  const names = readdirSync(dir)
  return (prefix: string): Promise<unknown> =>
    on.runPromise(
      Effect.forEach(names, (name) => through.put(`${prefix}${name}`, { _tag: "File", path: join(dir, name) }), {
        concurrency: SMALL_CONCURRENCY,
        discard: true
      })
    )
}

function rcloneCopyArgs(dir: string, prefix: string) {
  return [
    "copy",
    "--transfers",
    String(SMALL_CONCURRENCY),
    "--checkers",
    String(SMALL_CONCURRENCY),
    dir,
    `bench:${bucket}/${prefix}`
  ]
}

/**
 * ROUNDS rounds of each peer's puts, each under a prefix of its own on a quiet engine, counted in
 * the bucket and then deleted; rows of the first peer (ours) against each other one.
 */
async function smallPuts(label: string, section: string, peers: ReadonlyArray<SmallPeer>) {
  const times = new Map<string, Array<number>>()
  const cpus = new Map<string, Array<number>>()
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [index, peer] of peers.entries()) {
      const prefix = `${label}/${index}-${round}/`
      await engineQuiet()
      const engineBefore = engineCpu()
      const { wall: elapsed, cpu } = await measure(() => peer.put(prefix))
      const engine = engineCpu() - engineBefore
      cpus.set(peer.name, [...(cpus.get(peer.name) ?? []), cpu])
      const stored = await runtime.runPromise(Stream.runCount(store.list({ prefix })))
      if (stored !== SMALL_COUNT) throw new Error(`${peer.name}: ${stored} objects stored, expected ${SMALL_COUNT}`)
      times.set(peer.name, [...(times.get(peer.name) ?? []), elapsed])
      // The engine shares the machine: its CPU per object is what the client's requests cost it.
      const perObject = (seconds: number) => `${((seconds / SMALL_COUNT) * 1000).toFixed(2)} ms`
      say(
        `${label} round ${round}: ${peer.name} ${(SMALL_COUNT / elapsed).toFixed(0)} objects/s, ` +
          `CPU per object: client ${perObject(cpu)}, engine ${perObject(engine)}`
      )
      await emptyPrefix(prefix)
    }
  }
  const [ours, ...others] = peers
  for (const peer of others) {
    rows.push({
      section,
      what: "put",
      ours: SMALL_COUNT / median(times.get(ours!.name)!),
      peer: peer.name,
      theirs: SMALL_COUNT / median(times.get(peer.name)!),
      unit: "objects/s",
      // Issue 22: 1.5× rclone at the same concurrency over http, at less CPU per object.
      ...(label === "small" && peer.name === `rclone copy --transfers ${SMALL_CONCURRENCY}` ? { target: 1.5 } : {}),
      cpu: [median(cpus.get(ours!.name)!), median(cpus.get(peer.name)!)]
    })
  }
}

// --- 4. a download over https -----------------------------------------------------------------

async function tlsBench() {
  /** The TLS front, in a process of its own (its TLS work is the server's side); prints its endpoint. */
  const FRONT = `import { startTlsFront } from "@localex/storage-core/testing"
const front = await startTlsFront(JSON.parse(process.argv[1]))
process.stdout.write(front.engine.endpoint + "\\n")`
  const front = spawn(process.execPath, ["--input-type=module", "-e", FRONT, JSON.stringify(s3)], {
    cwd: join(import.meta.dirname, ".."),
    stdio: ["ignore", "pipe", "inherit"]
  })
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let out = ""
      front.stdout.on("data", (chunk: Buffer) => {
        out += chunk
        if (out.includes("\n")) resolve(out.trim())
      })
      front.once("exit", (code) => reject(new Error(`the TLS front exited (${code})`)))
    })
    trustTestCertificate()
    const tls = ManagedRuntime.make(S3.layer({ ...options, endpoint }))
    const tlsStore = await tls.runPromise(
      Effect.gen(function* () {
        return yield* ObjectStore
      })
    )
    const source = join(work, "tls.bin")
    const target = join(work, "tls.out")
    const caFile = join(work, "test-ca.pem")
    await writeFile(caFile, TEST_CERTIFICATE)
    await writeFile(source, randomBytes(TLS_MIB * MiB))
    const digest = await sha256File(source)
    await runtime.runPromise(store.put("tls/object.bin", { _tag: "File", path: source }))
    say(`tls: ${TLS_MIB} MiB over ${endpoint}`)

    const peers: Array<{ name: string; down: () => Promise<unknown> }> = [
      { name: "ours", down: () => tls.runPromise(tlsStore.download("tls/object.bin", target)) },
      {
        name: "ours, get piped to a file",
        down: () =>
          tls.runPromise(
            Effect.flatMap(tlsStore.get("tls/object.bin"), ({ body }) =>
              Effect.promise(() => pipeline(Readable.from(Stream.toAsyncIterable(body)), createWriteStream(target)))
            )
          )
      }
    ]
    if (available(RCLONE))
      peers.push({
        name: "rclone copyto",
        down: () =>
          run(RCLONE, ["copyto", `bench:${bucket}/tls/object.bin`, target], {
            ...rcloneEnv({ ...s3, endpoint }),
            RCLONE_CA_CERT: caFile
          })
      })
    const walls = new Map<string, Array<number>>()
    const cpus = new Map<string, Array<number>>()
    for (let round = 1; round <= ROUNDS; round++) {
      for (const peer of peers) {
        await rm(target, { force: true })
        const { wall, cpu } = await measure(peer.down)
        if ((await sha256File(target)) !== digest) throw new Error(`${peer.name}: the downloaded file differs`)
        walls.set(peer.name, [...(walls.get(peer.name) ?? []), wall])
        cpus.set(peer.name, [...(cpus.get(peer.name) ?? []), cpu])
        say(`tls round ${round}: ${peer.name} ${(TLS_MIB / wall).toFixed(0)} MiB/s (${cpu.toFixed(2)} CPU s)`)
      }
    }
    for (const peer of peers.slice(1))
      rows.push({
        section: `${TLS_MIB} MiB https`,
        what: "download",
        ours: TLS_MIB / median(walls.get("ours")!),
        peer: peer.name,
        theirs: TLS_MIB / median(walls.get(peer.name)!),
        unit: "MiB/s",
        cpu: [median(cpus.get("ours")!), median(cpus.get(peer.name)!)]
      })
    await emptyPrefix("tls/")

    // Small puts over TLS: the raw pool's TLS connections against rclone's.
    const dir = await smallFiles("tls-small")
    const smallPeers: Array<SmallPeer> = [{ name: "ours", put: oursPut(tlsStore, tls, dir) }]
    if (available(RCLONE))
      smallPeers.push({
        name: `rclone copy --transfers ${SMALL_CONCURRENCY}`,
        put: (prefix) =>
          run(RCLONE, rcloneCopyArgs(dir, prefix), { ...rcloneEnv({ ...s3, endpoint }), RCLONE_CA_CERT: caFile })
      })
    await smallPuts("tls-small", `${SMALL_COUNT} × 4 KiB https`, smallPeers)
    await tls.dispose()
  } finally {
    front.kill()
  }
}

// --- the table --------------------------------------------------------------------------------

function printTable() {
  const header = ["benchmark", "ours", "peer", "peer's", "ours/peer", "target", "CPU s ours / peer"]
  const lines = rows.map((row) => {
    const ratio = row.ours / row.theirs
    const met = row.target === undefined ? "" : `≥ ${row.target}× ${ratio >= row.target ? "met" : "MISSED"}`
    return [
      `${row.section} ${row.what}`,
      `${row.ours.toFixed(row.ours >= 100 ? 0 : 1)} ${row.unit}`,
      row.peer,
      `${row.theirs.toFixed(row.theirs >= 100 ? 0 : 1)} ${row.unit}`,
      `${ratio.toFixed(2)}×`,
      met,
      row.cpu === undefined ? "" : `${row.cpu[0].toFixed(2)} / ${row.cpu[1].toFixed(2)}`
    ]
  })
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)))
  const format = (cells: ReadonlyArray<string>) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`
  const out = [
    format(header),
    `| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`,
    ...lines.map(format),
    "",
    `medians of ${ROUNDS} rounds; driver: part size ${options.partSize / MiB} MiB, concurrency ${options.concurrency}, ` +
      `checksums ${options.checksums}; engine ${s3.endpoint}; node ${process.version}`
  ]
  process.stdout.write(`${out.join("\n")}\n`)
}
