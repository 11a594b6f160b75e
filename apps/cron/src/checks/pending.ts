/**
 * Checks whose packages are still being built. Each reports `skip` with "not configured:
 * package not available", so a report never shows them as passed. When the package lands,
 * replace the entry in Jobs.ts with a check that calls it.
 */
import { Effect } from "effect"
import { type Check, outcome } from "../Check.js"

export const pending = (id: string, title: string, pkg: string, capability: string): Check => ({
  id,
  title,
  run: Effect.succeed(
    outcome(
      "skip",
      `not configured: ${pkg} is not available in this build (${capability})`,
      { package: pkg, capability, available: false },
      `this check runs once ${pkg} provides ${capability}`
    )
  )
})
