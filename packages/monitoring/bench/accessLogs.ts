/**
 * Access-log analysis of a generated S3 server access log (2 GB by default) against two
 * yardsticks in the same run, on the same file:
 *
 * - `mawk '$13 ~ /^4/'`: a field-split count of 4xx — the way a shell user counts. Target: our
 *   whole analysis (every table of the report, not one count) at ≥ 1× its throughput. Its count
 *   is wrong where its field splitting is (a `-` request line is one field, not three).
 * - `grep -c 'HTTP/1.1" 4'`: the operations guide's count. Ratio reported (stretch ≥ 0.25×); it
 *   misses HTTP/2.0 and HTTP/1.0 requests and `-` request lines.
 *
 * The exact 4xx count is known from generating the file; every contender's count is printed
 * against it. Each contender's wall time and CPU seconds (user + system; GNU time for the
 * commands) are printed: on a shared machine CPU seconds are the steadier figure.
 *
 *   node bench/accessLogs.ts     (after `pnpm build`; Node runs this file by type stripping)
 *
 * Knobs: BENCH_LOG_BYTES (2000000000), BENCH_LOG_FILE (reuse or keep a generated file: it is
 * written there when missing), BENCH_ROUNDS (2), BENCH_DIST (../dist).
 */
import { spawn } from "node:child_process"
import { createWriteStream, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import type * as LogAnalysisModule from "../src/LogAnalysis.js"
import type * as TestingModule from "../src/testing.js"

const dist = new URL(`${process.env.BENCH_DIST ?? "../dist"}/`, import.meta.url)
const load = async <A>(path: string): Promise<A> => (await import(new URL(path, dist).href)) as A
const LogAnalysis = await load<typeof LogAnalysisModule>("LogAnalysis.js")
const Testing = await load<typeof TestingModule>("testing.js")

const targetBytes = Number(process.env.BENCH_LOG_BYTES ?? 2_000_000_000)
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
const file = process.env.BENCH_LOG_FILE ?? join(tmpdir(), `localex-bench-access-${targetBytes}.log`)
const keep = process.env.BENCH_LOG_FILE !== undefined

/** Writes the log and returns the exact count of each status class (kept beside it as JSON). */
const generate = async (): Promise<Record<string, number>> => {
  const countsFile = `${file}.counts.json`
  if (existsSync(file) && existsSync(countsFile) && statSync(file).size >= targetBytes)
    return JSON.parse(readFileSync(countsFile, "utf8"))
  const random = Testing.seeded(42)
  const counts: Record<string, number> = { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 }
  const out = createWriteStream(file)
  let written = 0
  let time = Date.UTC(2026, 11, 1)
  while (written < targetBytes) {
    const lines: Array<string> = []
    for (let i = 0; i < 10_000; i++) {
      const { line, status } = Testing.generatedLine(random, time)
      time += 7
      counts[`${Math.floor(status / 100)}xx`]!++
      lines.push(line)
    }
    const chunk = `${lines.join("\n")}\n`
    written += Buffer.byteLength(chunk)
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()))
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
  writeFileSync(countsFile, JSON.stringify(counts))
  return counts
}

interface Timed {
  readonly seconds: number
  /** User + system CPU seconds. */
  readonly cpu: number
}

/** Runs a command under /usr/bin/time (GNU time) for its CPU seconds. */
const timeCommand = (command: string, args: ReadonlyArray<string>): Promise<Timed & { output: string }> =>
  new Promise((resolve, reject) => {
    const cpuFile = join(tmpdir(), `localex-bench-cpu-${process.pid}`)
    const started = process.hrtime.bigint()
    const child = spawn("/usr/bin/time", ["-f", "%U %S", "-o", cpuFile, command, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, LC_ALL: "C" }
    })
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on("error", reject)
    child.on("close", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const [user, system] = readFileSync(cpuFile, "utf8").trim().split(/\s+/).slice(-2).map(Number)
      rmSync(cpuFile, { force: true })
      resolve({ seconds, cpu: user! + system!, output: output.trim() })
    })
  })

const ours = async (): Promise<Timed & { count: number; records: number; heapMb: number }> => {
  global.gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  const cpuBefore = process.cpuUsage()
  const started = process.hrtime.bigint()
  const report = await Effect.runPromise(LogAnalysis.analyzePath(file))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = process.cpuUsage(cpuBefore)
  return {
    seconds,
    cpu: (cpu.user + cpu.system) / 1e6,
    count: report.byStatusClass["4xx"],
    records: report.records,
    heapMb: (process.memoryUsage().heapUsed - heapBefore) / 1e6
  }
}

const main = async () => {
  console.log(`generating ${targetBytes} bytes of access log at ${file} (reused when present)…`)
  const exact = await generate()
  const size = statSync(file).size
  const mb = size / 1e6
  console.log(`${(size / 1e9).toFixed(2)} GB, exact counts ${JSON.stringify(exact)}`)
  const infinity: Timed = { seconds: Number.POSITIVE_INFINITY, cpu: Number.POSITIVE_INFINITY }
  const best = { ours: infinity, mawk: infinity, grep: infinity }
  const fastest = (a: Timed, b: Timed) => ({ seconds: Math.min(a.seconds, b.seconds), cpu: Math.min(a.cpu, b.cpu) })
  let counts = { ours: 0, mawk: 0, grep: 0 }
  let heap = 0
  const show = (t: Timed) => `${t.seconds.toFixed(2)} s (${t.cpu.toFixed(2)} CPU-s)`
  for (let round = 1; round <= rounds; round++) {
    const mawk = await timeCommand("mawk", ["$13 ~ /^4/ { n++ } END { print n + 0 }", file])
    const grep = await timeCommand("grep", ["-c", 'HTTP/1.1" 4', file])
    const analysis = await ours()
    best.ours = fastest(best.ours, analysis)
    best.mawk = fastest(best.mawk, mawk)
    best.grep = fastest(best.grep, grep)
    counts = { ours: analysis.count, mawk: Number(mawk.output), grep: Number(grep.output) }
    heap = Math.max(heap, analysis.heapMb)
    console.log(`round ${round}: ours ${show(analysis)}, mawk ${show(mawk)}, grep -c ${show(grep)}`)
  }
  const rate = (seconds: number) => `${(mb / seconds).toFixed(0)} MB/s`
  console.log("")
  console.log(`contender             best wall  throughput  best CPU-s  4xx counted   exact 4xx ${exact["4xx"]}`)
  for (const [name, timed, count] of [
    ["ours (full report)", best.ours, counts.ours],
    ["mawk $13 split", best.mawk, counts.mawk],
    ['grep -c HTTP/1.1" 4', best.grep, counts.grep]
  ] as const)
    console.log(
      `${name.padEnd(20)} ${timed.seconds.toFixed(2).padStart(8)} s  ${rate(timed.seconds).padStart(10)}  ${timed.cpu.toFixed(2).padStart(10)}  ${String(count).padStart(11)}   ${count === exact["4xx"] ? "exact" : `off by ${count - exact["4xx"]!}`}`
    )
  console.log("")
  const ratio = (theirs: Timed) =>
    `${(theirs.seconds / best.ours.seconds).toFixed(2)}× its throughput (wall), ${(theirs.cpu / best.ours.cpu).toFixed(2)}× per CPU-second`
  console.log(`ours vs mawk: ${ratio(best.mawk)} (target ≥ 1×)`)
  console.log(`ours vs grep -c: ${ratio(best.grep)} (stretch ≥ 0.25×)`)
  console.log(`heap growth of one analysis: ${heap.toFixed(1)} MB`)
  if (!keep) {
    rmSync(file, { force: true })
    rmSync(`${file}.counts.json`, { force: true })
  }
}

await main()
