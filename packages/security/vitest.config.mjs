import { packageConfig } from "@localex/vitest-config"

export default packageConfig(import.meta.dirname)
