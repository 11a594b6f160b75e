// The apps a release deploys (`pnpm --filter <name> deploy --prod out/<stage>`), each with the
// Dockerfile stage that runs it and what proves its deploy folder works (kind: "server" answers HTTP
// API requests, "job" runs the scheduled checklists and answers /health, "cli" runs commands).

/**
 * @typedef {{ name: string, stage: string, kind: "server" | "job" | "cli" }} DeployedApp
 * @type {DeployedApp[]}
 */
export const deployedApps = [
  { name: "@localex/http", stage: "http", kind: "server" },
  { name: "@localex/cli", stage: "cli", kind: "cli" },
  { name: "@localex/cron", stage: "cron", kind: "job" }
]
