// The whole suite in one run (`npm test`): every package and app is a vitest project, and the
// local Ceph RGW and the moto server are started once for all of them (see tooling/local-s3, tooling/local-aws).
import { defineConfig } from "vitest/config"
import SummaryReporter from "./tooling/vitest-config/summary-reporter.mjs"

export default defineConfig({
  test: {
    reporters: ["default", new SummaryReporter()],
    projects: [
      "packages/*/vitest.config.mjs",
      "apps/*/vitest.config.mjs",
      "tooling/*/vitest.config.mjs",
      "examples/vitest.config.mjs"
    ]
  }
})
