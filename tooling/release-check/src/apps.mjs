// The apps a release deploys (`pnpm --filter <name> deploy --prod out/<stage>`), each with the
// Dockerfile stage that runs it and what proves its deploy folder works. Adding apps/cron: a deploy
// line in the Dockerfile's `build` stage, a `cron` stage, and an entry here (kind "job" or "server").

/**
 * @typedef {{ name: string, stage: string, kind: "server" | "cli" }} DeployedApp
 * @type {DeployedApp[]}
 */
export const deployedApps = [
  { name: "@localex/http", stage: "http", kind: "server" },
  { name: "@localex/cli", stage: "cli", kind: "cli" }
]
