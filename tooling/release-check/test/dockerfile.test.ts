// The Dockerfile is linted (dockerfile-utils: the linter behind the VS Code Docker extension) and
// has what the issue asks of it; the deploy test runs its build steps.
import { readFileSync } from "node:fs"
import { ValidationSeverity, type ValidatorSettings, validate } from "dockerfile-utils"
import { describe, expect, it } from "vitest"
import { dockerfilePath, stage, stageEnv, stages } from "../src/dockerfile.mjs"

// Every rule the linter can relax is an error here.
const strict: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR
}

const lint = (text: string) => validate(text, strict).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)

describe("Dockerfile", () => {
  it("passes the linter with every rule an error", () => {
    expect(lint(readFileSync(dockerfilePath, "utf8"))).toEqual([])
  })

  it("the linter catches what it should (a bad port, a duration without unit, two CMDs)", () => {
    const problems = lint("FROM node:24 AS a\nEXPOSE abc\nHEALTHCHECK --interval=5 CMD true\nCMD a\nCMD b\n")
    expect(problems.join("\n")).toMatch(/containerPort/)
    expect(problems.join("\n")).toMatch(/duration/)
    expect(problems.join("\n")).toMatch(/only be one CMD/)
  })

  it("is multi-stage, runs the apps as a non-root user, with a health check and the data folder as a volume", () => {
    const names = stages().map((s) => s.name)
    expect(names).toEqual(expect.arrayContaining(["build", "runtime", "http", "cli", "cron"]))
    for (const app of ["http", "cli", "cron"]) {
      const s = stage(app)
      expect(s.from).toBe("runtime")
      expect(s.instructions.findLast((i) => i.keyword === "USER")?.args).toBe("node")
      expect(s.instructions.find((i) => i.keyword === "COPY")?.args).toMatch(
        new RegExp(`^--from=build \\S+/out/${app} /app$`)
      )
    }
    // The last stage is what a plain `docker build .` gives: the HTTP API.
    expect(names.at(-1)).toBe("http")
    for (const server of ["http", "cron"])
      expect(stage(server).instructions.some((i) => i.keyword === "HEALTHCHECK" && /\/health/.test(i.args))).toBe(true)
    expect(stage("runtime").instructions.find((i) => i.keyword === "VOLUME")?.args).toBe("/data")
    // Everything the app writes goes to the volume: the read-only root filesystem stays untouched.
    const env = stageEnv("http")
    expect(env.LOCALEX_STORAGE_FS_ROOT).toMatch(/^\/data\//)
    expect(env.LOCALEX_HTTP_STATE_DIR).toMatch(/^\/data\//)
    expect(stageEnv("cron").LOCALEX_STORAGE_FS_ROOT).toMatch(/^\/data\//)
  })
})
