/**
 * Benchmark: how long `localex-storage` takes to start and answer, against Node's own start
 * (`node -e 0`) measured in the same run.
 *
 *   node bench/startup.ts [--runs 10] [--json]
 *
 * Commands: `--help`, and `object stat KEY` on the fs driver (a temp root holding one object).
 * Each run is a new process; the modes alternate run after run so a busy machine slows them
 * alike. Reported per mode: median wall time, median CPU time (user + system), peak RSS, and
 * the ratio of each to `node -e 0`. The targets (issue 11): wall ≤ 2.5× Node's start (stretch
 * 1.5×), peak RSS ≤ 80 MiB; CPU time is judged against the same 2.5× too, since on a busy machine
 * it is steadier than wall time. CPU and RSS are read inside each process (bench/probe.mjs), wall
 * time by this process. The first run of each mode is a warm-up (it fills Node's compile cache).
 * Runs with Node's type stripping (erasable syntax only).
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: { runs: { type: "string", default: "10" }, json: { type: "boolean", default: false } }
})
const runs = Number(values.runs)
const bin = resolve(import.meta.dirname, "../dist/bin.js")
const probe = resolve(import.meta.dirname, "probe.mjs")
const WALL_TARGET = 2.5
const WALL_STRETCH = 1.5
const RSS_TARGET_MIB = 80

const dir = mkdtempSync(join(tmpdir(), "localex-cli-bench-"))
const root = join(dir, "data")
const report = join(dir, "report.json")
const env = {
  ...process.env,
  LOCALEX_STORAGE_DRIVER: "fs",
  LOCALEX_STORAGE_FS_ROOT: root,
  LOCALEX_BENCH_REPORT: report
}

interface Sample {
  readonly wallMs: number
  readonly cpuMs: number
  readonly rssMiB: number
}

const measure = (args: ReadonlyArray<string>): Sample => {
  const started = process.hrtime.bigint()
  const child = spawnSync(process.execPath, ["--import", probe, ...args], { env, cwd: dir, encoding: "utf8" })
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6
  if (child.status !== 0) throw new Error(`${args.join(" ")} exited ${child.status}: ${child.stderr}`)
  const usage = JSON.parse(readFileSync(report, "utf8")) as { cpuMs: number; maxRssKiB: number }
  return { wallMs, cpuMs: usage.cpuMs, rssMiB: usage.maxRssKiB / 1024 }
}

writeFileSync(join(dir, "photo.jpg"), Buffer.alloc(4096, 7))
measure([bin, "object", "put", join(dir, "photo.jpg"), "items/1/photo.jpg"])

const modes = {
  "node -e 0": ["-e", "0"],
  "--help": [bin, "--help"],
  "object stat (fs)": [bin, "object", "stat", "items/1/photo.jpg"]
} as const
type Mode = keyof typeof modes
const samples: Record<Mode, Array<Sample>> = { "node -e 0": [], "--help": [], "object stat (fs)": [] }
for (const mode of Object.keys(modes) as Array<Mode>) measure(modes[mode]) // warm-up
for (let run = 0; run < runs; run++) {
  for (const mode of Object.keys(modes) as Array<Mode>) samples[mode].push(measure(modes[mode]))
}
rmSync(dir, { recursive: true, force: true })

const median = (xs: ReadonlyArray<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const summary = (mode: Mode) => ({
  mode,
  wallMs: median(samples[mode].map((s) => s.wallMs)),
  cpuMs: median(samples[mode].map((s) => s.cpuMs)),
  peakRssMiB: Math.max(...samples[mode].map((s) => s.rssMiB))
})
const node = summary("node -e 0")
const rows = (Object.keys(modes) as Array<Mode>).map((mode) => {
  const s = summary(mode)
  return {
    ...s,
    wallRatio: s.wallMs / node.wallMs,
    cpuRatio: s.cpuMs / node.cpuMs,
    meetsWall: s.wallMs <= WALL_TARGET * node.wallMs,
    meetsStretch: s.wallMs <= WALL_STRETCH * node.wallMs,
    meetsCpu: s.cpuMs <= WALL_TARGET * node.cpuMs,
    meetsRss: s.peakRssMiB <= RSS_TARGET_MIB
  }
})

if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ runs, targets: { WALL_TARGET, WALL_STRETCH, RSS_TARGET_MIB }, rows }, null, 2)}\n`
  )
} else {
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i === 0 ? c.padEnd(18) : c.padStart(12))).join("")
  process.stdout.write(`localex-storage start-up, ${runs} runs each (medians; peak RSS is the maximum)\n`)
  process.stdout.write(`${line(["", "wall", "× node", "CPU", "× node", "peak RSS", "targets"])}\n`)
  for (const r of rows) {
    const verdict =
      r.mode === "node -e 0"
        ? ""
        : [
            r.meetsStretch ? "wall ok (stretch too)" : r.meetsWall ? "wall ok" : "wall MISSED",
            r.meetsCpu ? "cpu ok" : "cpu MISSED",
            r.meetsRss ? "rss ok" : "rss MISSED"
          ].join(", ")
    process.stdout.write(
      `${line([
        r.mode,
        `${r.wallMs.toFixed(0)} ms`,
        `${r.wallRatio.toFixed(2)}×`,
        `${r.cpuMs.toFixed(0)} ms`,
        `${r.cpuRatio.toFixed(2)}×`,
        `${r.peakRssMiB.toFixed(0)} MiB`
      ])}  ${verdict}\n`
    )
  }
  process.stdout.write(
    `targets: wall ≤ ${WALL_TARGET}× node (stretch ${WALL_STRETCH}×), CPU ≤ ${WALL_TARGET}× node, peak RSS ≤ ${RSS_TARGET_MIB} MiB\n`
  )
}
