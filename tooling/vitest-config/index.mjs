// Shared vitest settings. A package's vitest.config.mjs is one line:
//   export default packageConfig(import.meta.dirname)
import { defineProject, mergeConfig } from "vitest/config"

/** Settings every test project shares. */
export const shared = {
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that need S3 read the local Ceph RGW endpoint that the global setup exports (testS3());
    // tests of AWS control planes (CloudWatch, CloudFront, IAM, …) the local moto server's (testAws()).
    globalSetup: [`${import.meta.dirname}/global-setup.mjs`]
  }
}

/**
 * The vitest project of one package.
 * @param {string} dir the package folder (import.meta.dirname)
 * @param {import("vitest/config").UserProjectConfigExport} [overrides]
 */
export const packageConfig = (dir, overrides = {}) =>
  mergeConfig(defineProject({ ...shared, root: dir, test: { ...shared.test, name: dir.split("/").at(-1) } }), overrides)
