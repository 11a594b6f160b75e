/**
 * Where the pipeline's CPU goes, and what the encoder options cost and save, on the benchmark's photo.
 *
 *   node bench/encoders.ts [--repeats 5] [--json]
 *
 * One libvips thread (UV_THREADPOOL_SIZE=1, sharp.concurrency(1)); each figure is the median CPU
 * time (user + system, process.cpuUsage) of `--repeats` runs. The photo is decoded once the way the
 * pipeline does it; each size is then encoded with each candidate setting, and the table gives the
 * CPU and the bytes per size and their change against the current setting. Runs with Node's type
 * stripping (erasable syntax only).
 */
import { parseArgs } from "node:util"

if (process.env.UV_THREADPOOL_SIZE !== "1") {
  const { spawnSync } = await import("node:child_process")
  const result = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env: { ...process.env, UV_THREADPOOL_SIZE: "1" },
    stdio: "inherit"
  })
  process.exit(result.status ?? 1)
}

const { values } = parseArgs({
  options: { repeats: { type: "string", default: "5" }, json: { type: "boolean", default: false } }
})
const repeats = Number(values.repeats)

const { default: sharp } = await import("sharp")
const { photoJpeg } = await import("../src/testing.ts")
sharp.concurrency(1)
sharp.cache(false)

const QUALITY = 85

const cpuNow = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Median CPU ms of `work` over the repeats (after one warm-up), and its last result. */
const measure = async <A>(work: () => Promise<A>): Promise<{ cpuMs: number; result: A }> => {
  let result = await work()
  const times: Array<number> = []
  for (let i = 0; i < repeats; i++) {
    const started = cpuNow()
    result = await work()
    times.push(cpuNow() - started)
  }
  return { cpuMs: median(times), result }
}

const input = await photoJpeg({ width: 4000, height: 3000, quality: 90, seed: 2026 })
const inside = (box: number) => ({ width: box, height: box, fit: "inside" as const, withoutEnlargement: true })
type Raw = { data: Buffer; info: { width: number; height: number; channels: number } }
const toRaw = (s: ReturnType<typeof sharp>) => s.raw().toBuffer({ resolveWithObject: true }) as Promise<Raw>
const fromRaw = (raw: Raw) =>
  sharp(raw.data, { raw: { width: raw.info.width, height: raw.info.height, channels: raw.info.channels as 3 } })

const steps: Array<{ step: string; cpuMs: number }> = []
const decodeWith = (fastShrinkOnLoad: boolean) => () =>
  toRaw(
    sharp(input, { failOn: "error", sequentialRead: true })
      .autoOrient()
      .resize({ ...inside(1200), fastShrinkOnLoad })
      .toColourspace("srgb")
  )
const decoded = await measure(decodeWith(true))
steps.push({ step: "decode 12 MP → 1200 (shrink-on-load 1/2)", cpuMs: decoded.cpuMs })
steps.push({
  step: "decode 12 MP → 1200 (fastShrinkOnLoad: false)",
  cpuMs: (await measure(decodeWith(false))).cpuMs
})
steps.push({
  step: "decode 12 MP → 1200, 6 times (naive's decodes, roughly)",
  cpuMs: (
    await measure(async () => {
      for (const box of [1200, 1200, 800, 800, 300, 300])
        await toRaw(sharp(input, { failOn: "error" }).autoOrient().resize(inside(box)).toColourspace("srgb"))
    })
  ).cpuMs
})
const large = decoded.result
const medium = await measure(() => toRaw(fromRaw(large).resize(inside(800))))
const thumbnail = await measure(() => toRaw(fromRaw(medium.result).resize(inside(300))))
steps.push({ step: "resize 1200 → 800 from raw", cpuMs: medium.cpuMs })
steps.push({ step: "resize 800 → 300 from raw", cpuMs: thumbnail.cpuMs })
const raws = [large, medium.result, thumbnail.result]

type Candidate = { format: "webp" | "jpeg"; name: string; options: Record<string, unknown> }
const webp = (name: string, options: Record<string, unknown>): Candidate => ({
  format: "webp",
  name,
  options: { quality: QUALITY, effort: 4, ...options }
})
const jpeg = (name: string, options: Record<string, unknown>): Candidate => ({
  format: "jpeg",
  name,
  options: { quality: QUALITY, progressive: true, ...options }
})
const candidates: ReadonlyArray<Candidate> = [
  webp("effort 4 (sharp's default)", {}),
  ...[0, 1, 2, 3, 5, 6].map((effort) => webp(`effort ${effort}${effort === 2 ? " (default)" : ""}`, { effort })),
  webp("effort 4 smartSubsample", { smartSubsample: true }),
  webp("effort 4 preset photo", { preset: "photo" }),
  webp("effort 4 smartDeblock", { smartDeblock: true }),
  webp("effort 2 preset photo", { effort: 2, preset: "photo" }),
  jpeg("progressive (IMAGE_JPEG_PROGRESSIVE)", {}),
  jpeg("baseline (default)", { progressive: false }),
  jpeg("baseline optimiseCoding: false", { progressive: false, optimiseCoding: false }),
  jpeg("progressive trellisQuantisation", { trellisQuantisation: true }),
  jpeg("progressive mozjpeg", { mozjpeg: true }),
  jpeg("progressive chroma 4:4:4", { chromaSubsampling: "4:4:4" })
]

/** Peak signal-to-noise ratio (dB) of the encoded image against the pixels it was made from. */
const psnr = async (encoded: Buffer, source: Raw) => {
  const decoded = await sharp(encoded).removeAlpha().raw().toBuffer()
  let squared = 0
  for (let i = 0; i < decoded.length; i++) squared += (decoded[i]! - source.data[i]!) ** 2
  return 10 * Math.log10((255 * 255) / (squared / decoded.length))
}

const rows: Array<{ format: string; name: string; cpuMs: Array<number>; bytes: Array<number>; psnrDb: number }> = []
for (const candidate of candidates) {
  const cpuMs: Array<number> = []
  const bytes: Array<number> = []
  let psnrDb = 0
  for (const raw of raws) {
    const m = await measure(() => fromRaw(raw).toFormat(candidate.format, candidate.options).toBuffer())
    cpuMs.push(m.cpuMs)
    bytes.push(m.result.length)
    if (raw === large) psnrDb = await psnr(m.result, raw)
  }
  rows.push({ format: candidate.format, name: candidate.name, cpuMs, bytes, psnrDb })
}

if (values.json) {
  console.log(JSON.stringify({ input: input.length, steps, rows }, null, 2))
} else {
  const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)
  console.log(`\n12 MP JPEG (${(input.length / 1048576).toFixed(1)} MiB), one libvips thread, median of ${repeats}\n`)
  for (const { step, cpuMs } of steps) console.log(`${step.padEnd(56)}${cpuMs.toFixed(0).padStart(6)} ms`)
  console.log(`\n${"encoder".padEnd(38)}  CPU ms 1200/800/300 = total   bytes 1200/800/300 = total    vs the first row`)
  const pct = (a: number, b: number) => `${a >= b ? "+" : ""}${((100 * (a - b)) / b).toFixed(0)}%`
  const kib = (n: number) => (n / 1024).toFixed(0)
  for (const row of rows) {
    const base = rows.find((r) => r.format === row.format)!
    const cpu = `${row.cpuMs.map((c) => c.toFixed(0)).join("/")} = ${sum(row.cpuMs).toFixed(0)}`
    const bytes = `${row.bytes.map(kib).join("/")} KiB = ${kib(sum(row.bytes))} KiB`
    const change = `CPU ${pct(sum(row.cpuMs), sum(base.cpuMs))}, bytes ${pct(sum(row.bytes), sum(base.bytes))}`
    const label = `${row.format} ${row.name}`
    console.log(
      `${label.padEnd(38)}  ${cpu.padStart(17)}   ${bytes.padStart(27)}   ${change.padEnd(22)}   ${row.psnrDb.toFixed(2)} dB`
    )
  }
}
