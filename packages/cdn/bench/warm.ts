/**
 * Cache warming of 2,000 keys through varnish (started on loopback in front of a local origin),
 * against `xargs -P 16 curl` over the same kind of URL list in the same run. Target: at least the
 * throughput of curl (≥ 1×); and the p95 of cached content against the guide's 100 ms.
 *
 * Each contender warms its own 2,000 keys cold (the origin answers every one), then requests
 * them again cached. Knobs: BENCH_WARM_KEYS (2000), BENCH_WARM_CONCURRENCY (16), BENCH_WARM_BYTES
 * (20000, a thumbnail), BENCH_DIST (../dist). Node runs this file by type stripping.
 */
import { spawn } from "node:child_process"
import { performance } from "node:perf_hooks"
import { Effect } from "effect"

const dist = new URL(`${process.env.BENCH_DIST ?? "../dist"}/`, import.meta.url)
const load = async <A>(path: string): Promise<A> => (await import(new URL(path, dist).href)) as A

type Testing = typeof import("../src/testing.ts")
type Index = typeof import("../src/index.ts")
const testing = await load<Testing>("testing.js")
const { Warming } = await load<Index>("index.js")

const KEYS = Number(process.env.BENCH_WARM_KEYS ?? 2000)
const CONCURRENCY = Number(process.env.BENCH_WARM_CONCURRENCY ?? 16)
const BYTES = Number(process.env.BENCH_WARM_BYTES ?? 20_000)

const quantile = (values: Array<number>, q: number) =>
  Warming.quantile(
    [...values].sort((a, b) => a - b),
    q
  )

/** `xargs -P N curl` over the URLs: wall time and each request's total time. */
const curl = (urls: ReadonlyArray<string>) =>
  new Promise<{ elapsedMs: number; latencies: Array<number>; statuses: Array<string> }>((resolve, reject) => {
    const started = performance.now()
    const child = spawn(
      "sh",
      ["-c", `xargs -P ${CONCURRENCY} -n 1 curl -s -o /dev/null --max-time 10 -w '%{http_code} %{time_total}\\n'`],
      { stdio: ["pipe", "pipe", "inherit"] }
    )
    let out = ""
    child.stdout.on("data", (chunk) => {
      out += String(chunk)
    })
    child.on("error", reject)
    child.on("close", () => {
      const lines = out.trim().split("\n")
      resolve({
        elapsedMs: performance.now() - started,
        latencies: lines.map((line) => Number(line.split(" ")[1]) * 1000),
        statuses: lines.map((line) => line.split(" ")[0] ?? "")
      })
    })
    child.stdin.end(`${urls.join("\n")}\n`)
  })

const origin = await testing.startOrigin({ size: BYTES })
const varnish = await testing.startVarnish(origin.port)
try {
  const keys = (who: string) =>
    Array.from(
      { length: KEYS },
      (_, i) => `items/${who}-${i}/photos/${i.toString(16).padStart(64, "0")}/thumbnail.webp`
    )
  const ours = Warming.resolveTargets(keys("ours"), varnish.url, ["127.0.0.1"]) as ReadonlyArray<Warming.WarmTarget>
  const report = await Effect.runPromise(Warming.warm(ours, ["127.0.0.1"], { concurrency: CONCURRENCY, passes: 2 }))
  const theirs = keys("curl").map((key) => Warming.urlOfKey(varnish.url, key))
  const curlCold = await curl(theirs)
  const curlCached = await curl(theirs)
  const rps = (count: number, ms: number) => Math.round((count / ms) * 1000)
  const [cold, cached] = report.passes.map((pass) => pass.summary)
  const rows = [
    ["localex warm (cold)", rps(KEYS, cold!.elapsedMs), cold!.p95Ms, `${cold!.misses} misses`],
    [
      "xargs -P curl (cold)",
      rps(KEYS, curlCold.elapsedMs),
      Math.round(quantile(curlCold.latencies, 0.95) * 10) / 10,
      `${curlCold.statuses.filter((s) => s !== "200").length} non-200`
    ],
    ["localex warm (cached)", rps(KEYS, cached!.elapsedMs), cached!.p95Ms, `hit ratio ${cached!.hitRatio}`],
    [
      "xargs -P curl (cached)",
      rps(KEYS, curlCached.elapsedMs),
      Math.round(quantile(curlCached.latencies, 0.95) * 10) / 10,
      ""
    ]
  ] as const
  console.log(`cache warming, ${KEYS} keys of ${BYTES} bytes through varnish, concurrency ${CONCURRENCY}`)
  for (const [name, throughput, p95, note] of rows)
    console.log(
      `${name.padEnd(24)} ${String(throughput).padStart(7)} req/s   p95 ${String(p95).padStart(7)} ms   ${note}`
    )
  const ratio = rps(KEYS, cold!.elapsedMs) / rps(KEYS, curlCold.elapsedMs)
  console.log(`throughput vs curl (cold): ${ratio.toFixed(2)}× (target ≥ 1×) ${ratio >= 1 ? "ok" : "BELOW TARGET"}`)
  console.log(`cached p95: ${cached!.p95Ms} ms (guide: < 100 ms) ${cached!.p95Ms < 100 ? "ok" : "ABOVE"}`)
} finally {
  await varnish.stop()
  await origin.close()
}
