import { packageConfig } from "@localex/vitest-config"

// Each test spawns the CLI several times (a Node start is ~1 s of CPU); on a shared 2-core runner
// with every project's files in parallel, a spawn-heavy test can pass the shared 60 s limit
// without anything being stuck.
export default packageConfig(import.meta.dirname, { test: { testTimeout: 180_000 } })
