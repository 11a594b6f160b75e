import type { TestProject } from "vitest/node"
import type { LocalS3Settings } from "./index.mjs"

declare module "vitest" {
  export interface ProvidedContext {
    /** The S3 engine of this run; undefined when there is none (S3 suites skip). */
    localS3: LocalS3Settings | undefined
  }
}

/** Starts (or reuses) one S3 engine for the whole run; returns its teardown. */
export default function setup(project: TestProject): Promise<() => Promise<void>>
