import type { TestProject } from "vitest/node"
import type { AwsSettings } from "./index.mjs"

declare module "vitest" {
  export interface ProvidedContext {
    /** The moto server of this run; undefined when there is none (AWS suites skip). */
    localAws: AwsSettings | undefined
  }
}

/** Starts (or reuses) one moto server for the whole run; returns its teardown. */
export default function setup(project: TestProject): Promise<() => Promise<void>>
