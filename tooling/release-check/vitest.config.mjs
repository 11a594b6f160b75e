// One vitest project for every release and deployment check (`pnpm vitest run --project release-check`).
import { packageConfig } from "@localex/vitest-config"

export default packageConfig(import.meta.dirname, {
  // Installs and deploys take minutes on a cold npm/pnpm cache; each step has its own deadline too.
  test: { testTimeout: 600_000, hookTimeout: 600_000 }
})
