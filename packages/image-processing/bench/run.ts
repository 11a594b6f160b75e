/**
 * Benchmark: the decode-once pipeline against a naive sharp baseline, on one core.
 *
 *   node bench/run.ts [--rounds 4] [--runs 5] [--warmup 1] [--webp-effort N] [--jpeg-progressive] [--json]
 *
 * A photo-like 12 MP JPEG (4000×3000, generated, seeded) becomes three sizes × (WebP + JPEG):
 * - pipeline: `ImagePipeline.process` (decode once, shrink-on-load to the large size, smaller
 *   sizes resized from the larger raw buffer, six encodes);
 * - naive: one independent sharp pipeline from the original bytes per output (six decodes),
 *   with the same orientation, colour space and encoder settings (`encoderOptions`, the same
 *   quality, WebP effort and JPEG scan mode: the pipeline's defaults unless `--webp-effort` or
 *   `--jpeg-progressive` say otherwise).
 * Every measurement runs in a child process of its own mode (so peak RSS is that mode's) with
 * UV_THREADPOOL_SIZE=1 and sharp.concurrency(1), one image at a time: one core. The modes
 * alternate, round after round, so a busy machine slows both alike; CPU time per photo is
 * reported beside wall time because it does not count time spent waiting for the core.
 * Runs with Node's type stripping (erasable syntax only).
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"

const QUALITY = 85
const SIZES = [
  ["large", 1200],
  ["medium", 800],
  ["thumbnail", 300]
] as const
const FORMATS = ["webp", "jpeg"] as const
/** The operations guide: "thumbnail generation under 3 s". */
const GUIDE_THUMBNAIL_MS = 3000
/** Issue 22: twice the naive baseline's photos per CPU-second. */
const TARGET_RATIO = 2

type Mode = "pipeline" | "naive"

interface ChildReport {
  readonly mode: Mode
  /** Wall time of each photo. */
  readonly wallMs: ReadonlyArray<number>
  /** CPU time (user + system, all threads) of each photo. */
  readonly cpuMs: ReadonlyArray<number>
  /** Naive only: wall time of the thumbnail's two pipelines (WebP + JPEG) per photo. */
  readonly thumbnailMs: ReadonlyArray<number>
  readonly outputs: ReadonlyArray<string>
  /** Bytes of all the outputs of one photo. */
  readonly outputBytes: number
  /** Max RSS once modules, runtime and input are loaded, before any image work. */
  readonly baseRssMb: number
  readonly peakRssMb: number
  readonly threads: number
}

const { ImageConfig, encoderOptions } = await import("@localex/image-processing")
const { values } = parseArgs({
  options: {
    child: { type: "string" },
    input: { type: "string" },
    rounds: { type: "string", default: "4" },
    runs: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    "webp-effort": { type: "string" },
    "jpeg-progressive": { type: "boolean", default: ImageConfig.defaults.jpegProgressive },
    json: { type: "boolean", default: false }
  }
})
const rounds = Number(values.rounds)
const runs = Number(values.runs)
const warmup = Number(values.warmup)
/** The same encoder settings for both modes. */
const settings = {
  quality: QUALITY,
  webpEffort: values["webp-effort"] === undefined ? ImageConfig.defaults.webpEffort : Number(values["webp-effort"]),
  jpegProgressive: values["jpeg-progressive"]
}

const maxRssMb = () => process.resourceUsage().maxRSS / 1024
const cpuNow = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

// --- child: one mode, timed --------------------------------------------------------------

const child = async (mode: Mode, inputPath: string): Promise<ChildReport> => {
  if (process.env.UV_THREADPOOL_SIZE !== "1") throw new Error("the child must start with UV_THREADPOOL_SIZE=1")
  // Loaded only now, after the thread pool size is fixed.
  const { default: sharp } = await import("sharp")
  const { Effect, Layer, ManagedRuntime } = await import("effect")
  const { ImagePipeline } = await import("@localex/image-processing")
  const { layerMemory } = await import("@localex/storage-core/testing")

  const input = readFileSync(inputPath)
  const thumbnailMs: Array<number> = []
  let outputBytes = 0
  let once: () => Promise<ReadonlyArray<string>>
  let close = async () => {}

  if (mode === "pipeline") {
    const runtime = ManagedRuntime.make(
      ImagePipeline.layer({ threads: 1, concurrency: 1, timeoutMs: 600_000, ...settings }).pipe(
        Layer.provide(layerMemory())
      )
    )
    await runtime.runPromise(Effect.void) // build the layer (sets sharp.concurrency) before timing
    once = () =>
      runtime.runPromise(
        Effect.flatMap(ImagePipeline, (pipeline) => pipeline.process(input)).pipe(
          Effect.map((photo) => {
            outputBytes = photo.variants.reduce((sum, v) => sum + v.data.length, 0)
            return photo.variants.map((v) => `${v.size}.${v.extension} ${v.width}×${v.height}`)
          })
        )
      )
    close = () => runtime.dispose()
  } else {
    sharp.concurrency(1)
    once = async () => {
      const outputs: Array<string> = []
      outputBytes = 0
      for (const [name, size] of SIZES) {
        const started = performance.now()
        for (const format of FORMATS) {
          const { data, info } = await sharp(input)
            .autoOrient()
            .resize({ width: size, height: size, fit: "inside", withoutEnlargement: true })
            .toColourspace("srgb")
            .toFormat(format, encoderOptions(format, settings))
            .toBuffer({ resolveWithObject: true })
          outputBytes += data.length
          outputs.push(`${name}.${format === "jpeg" ? "jpg" : format} ${info.width}×${info.height}`)
        }
        if (name === "thumbnail") thumbnailMs.push(performance.now() - started)
      }
      return outputs
    }
  }

  const baseRssMb = maxRssMb()
  let outputs: ReadonlyArray<string> = []
  for (let i = 0; i < warmup; i++) outputs = await once()
  thumbnailMs.length = 0
  const wallMs: Array<number> = []
  const cpuMs: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const wall = performance.now()
    const cpu = cpuNow()
    outputs = await once()
    cpuMs.push(cpuNow() - cpu)
    wallMs.push(performance.now() - wall)
  }
  const threads = sharp.concurrency()
  await close()
  return { mode, wallMs, cpuMs, thumbnailMs, outputs, outputBytes, baseRssMb, peakRssMb: maxRssMb(), threads }
}

// --- parent: generate, alternate the modes, compare ----------------------------------------

const runChild = (mode: Mode, inputPath: string) =>
  new Promise<ChildReport>((resolve, reject) => {
    const args = [
      ...process.execArgv,
      import.meta.filename,
      ...["--child", mode, "--input", inputPath, "--runs", String(runs), "--warmup", String(warmup)],
      ...["--webp-effort", String(settings.webpEffort)],
      ...(settings.jpegProgressive ? ["--jpeg-progressive"] : [])
    ]
    const proc = spawn(process.execPath, args, {
      env: { ...process.env, UV_THREADPOOL_SIZE: "1" },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    proc.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8")
    })
    proc.on("error", reject)
    proc.on("close", (code) =>
      code === 0 ? resolve(JSON.parse(out) as ChildReport) : reject(new Error(`${mode} child exited with ${code}`))
    )
  })

interface Summary {
  readonly photosPerSecond: number
  readonly photosPerCpuSecond: number
  readonly meanMs: number
  readonly p50Ms: number
  readonly p95Ms: number
  readonly cpuMsPerPhoto: number
  readonly baseRssMb: number
  readonly peakRssMb: number
  /** Bytes of the six outputs of one photo. */
  readonly outputKiB: number
}

const summarise = (reports: ReadonlyArray<ChildReport>): Summary => {
  const wall = reports.flatMap((r) => r.wallMs).sort((a, b) => a - b)
  const cpu = reports.flatMap((r) => r.cpuMs)
  const wallTotal = wall.reduce((a, b) => a + b, 0)
  const cpuTotal = cpu.reduce((a, b) => a + b, 0)
  return {
    photosPerSecond: (1000 * wall.length) / wallTotal,
    photosPerCpuSecond: (1000 * cpu.length) / cpuTotal,
    meanMs: wallTotal / wall.length,
    p50Ms: percentile(wall, 50),
    p95Ms: percentile(wall, 95),
    cpuMsPerPhoto: cpuTotal / cpu.length,
    baseRssMb: Math.max(...reports.map((r) => r.baseRssMb)),
    peakRssMb: Math.max(...reports.map((r) => r.peakRssMb)),
    outputKiB: reports[0]!.outputBytes / 1024
  }
}

const parent = async () => {
  const { photoJpeg } = await import("../src/testing.ts")
  const dir = mkdtempSync(join(tmpdir(), "localex-image-bench-"))
  try {
    const photo = await photoJpeg({ width: 4000, height: 3000, quality: 90, seed: 2026 })
    const inputPath = join(dir, "photo-12mp.jpg")
    writeFileSync(inputPath, photo)

    const reports: Record<Mode, Array<ChildReport>> = { pipeline: [], naive: [] }
    for (let round = 0; round < rounds; round++) {
      // Alternate which mode goes first, so neither always meets the same neighbours.
      const order: ReadonlyArray<Mode> = round % 2 === 0 ? ["pipeline", "naive"] : ["naive", "pipeline"]
      for (const mode of order) reports[mode].push(await runChild(mode, inputPath))
    }
    // Both must have made the same six images (size × format, dimensions).
    const made = (mode: Mode) => [...reports[mode][0]!.outputs].sort()
    if (JSON.stringify(made("pipeline")) !== JSON.stringify(made("naive"))) {
      throw new Error(`the two modes made different images: ${made("pipeline")} vs ${made("naive")}`)
    }
    const p = summarise(reports.pipeline)
    const n = summarise(reports.naive)
    const naiveThumb = reports.naive.flatMap((r) => r.thumbnailMs).sort((a, b) => a - b)
    const result = {
      input: { width: 4000, height: 3000, megapixels: 12, bytes: photo.length },
      outputs: made("pipeline"),
      encoder: { jpeg: encoderOptions("jpeg", settings), webp: encoderOptions("webp", settings) },
      rounds,
      runsPerRound: runs,
      photosPerMode: rounds * runs,
      warmupPerChild: warmup,
      sharpThreads: { pipeline: reports.pipeline[0]!.threads, naive: reports.naive[0]!.threads },
      pipeline: p,
      naive: n,
      ratio: { wall: p.photosPerSecond / n.photosPerSecond, cpu: p.photosPerCpuSecond / n.photosPerCpuSecond },
      targetRatio: TARGET_RATIO,
      thumbnail: {
        pipelineP95Ms: p.p95Ms,
        naiveThumbnailOnlyP95Ms: percentile(naiveThumb, 95),
        guideMs: GUIDE_THUMBNAIL_MS,
        margin: GUIDE_THUMBNAIL_MS / p.p95Ms
      }
    }
    if (values.json) {
      console.log(JSON.stringify(result, null, 2))
      return
    }
    const columns = [
      "photos/s",
      "photos/cpu-s",
      "CPU ms/photo",
      "mean ms",
      "p50 ms",
      "p95 ms",
      "RSS base",
      "RSS peak",
      "out KiB"
    ]
    const row = (name: string, s: Summary) =>
      [
        name.padEnd(22),
        ...[s.photosPerSecond, s.photosPerCpuSecond].map((v) => v.toFixed(2)),
        ...[s.cpuMsPerPhoto, s.meanMs, s.p50Ms, s.p95Ms, s.baseRssMb, s.peakRssMb, s.outputKiB].map((v) => v.toFixed(0))
      ]
        .map((cell, i) => (i === 0 ? cell : cell.padStart(columns[i - 1]!.length + 2)))
        .join("")
    const met = (ratio: number) => (ratio >= TARGET_RATIO ? "met" : "NOT MET")
    const mib = (photo.length / 1024 / 1024).toFixed(1)
    console.log(
      `\n@localex/image-processing — 12 MP JPEG (4000×3000, ${mib} MiB) → 3 sizes × (WebP + JPEG), quality ${QUALITY}, WebP effort ${settings.webpEffort}, ${settings.jpegProgressive ? "progressive" : "baseline"} JPEG`
    )
    console.log(
      `one core: UV_THREADPOOL_SIZE=1, sharp.concurrency(1), one image at a time; ${rounds} rounds × ${runs} photos per mode (after ${warmup} warm-up per process), modes alternating, each in its own process\n`
    )
    console.log(`${"".padEnd(22)}${columns.map((c) => c.padStart(c.length + 2)).join("")}`)
    console.log(row("decode-once pipeline", p))
    console.log(row("naive (6 decodes)", n))
    console.log(`\nboth made: ${result.outputs.join(", ")}`)
    console.log(
      `throughput ratio: ${result.ratio.wall.toFixed(2)}× wall, ${result.ratio.cpu.toFixed(2)}× CPU (target ≥ ${TARGET_RATIO}×) — ${met(result.ratio.wall)} / ${met(result.ratio.cpu)}`
    )
    console.log(
      `thumbnail: every variant, thumbnail included, ready within ${p.p95Ms.toFixed(0)} ms at p95 (naive thumbnail alone: ${result.thumbnail.naiveThumbnailOnlyP95Ms.toFixed(0)} ms) vs the guide's ${GUIDE_THUMBNAIL_MS} ms: ${result.thumbnail.margin.toFixed(1)}× margin`
    )
    console.log("RSS: max resident set of a mode's processes, MiB (base: modules and input loaded, before any image)\n")
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (values.child === "pipeline" || values.child === "naive") {
  const report = await child(values.child, values.input!)
  process.stdout.write(JSON.stringify(report))
} else {
  await parent()
}
