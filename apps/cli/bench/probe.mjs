// Loaded with `node --import` into every measured process: at exit, writes the process's own
// CPU time and peak RSS (process.resourceUsage) to the file named by LOCALEX_BENCH_REPORT.
import { writeFileSync } from "node:fs"

process.on("exit", () => {
  const usage = process.resourceUsage()
  writeFileSync(
    process.env.LOCALEX_BENCH_REPORT,
    JSON.stringify({ cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssKiB: usage.maxRSS })
  )
})
