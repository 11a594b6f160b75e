// Loaded with `node --import` into every measured process: at exit, writes the process's own
// CPU time and peak RSS (process.resourceUsage) to the file named by LOCALEX_BENCH_REPORT.
// Not `import … from "node:fs"`: its ES module facade reads every export, node:fs/promises (and
// node:readline behind it) included, ~2 ms that would be added to every process measured.
const { writeFileSync } = process.getBuiltinModule("node:fs")

process.on("exit", () => {
  const usage = process.resourceUsage()
  writeFileSync(
    process.env.LOCALEX_BENCH_REPORT,
    JSON.stringify({ cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssKiB: usage.maxRSS })
  )
})
