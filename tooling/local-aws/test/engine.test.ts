import { existsSync, readFileSync } from "node:fs"
import { answers, start, testAws } from "@localex/local-aws"
import type {} from "@localex/local-aws/vitest-global-setup"
import { describe, expect, inject, it } from "vitest"

const aws = testAws()

describe.skipIf(!aws)("the moto server of the global setup", () => {
  it("reaches the workers through the environment and through inject", async () => {
    expect(inject("localAws")).toEqual(aws)
    expect(aws!.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(await answers(aws!.endpoint)).toBe(true)
  })

  it("runs a second server beside it, and stop() leaves no process and no folder", async () => {
    const second = await start()
    try {
      expect(second.endpoint).not.toBe(aws!.endpoint)
      expect(await answers(second.endpoint)).toBe(true)
      expect(isLive(second.pid)).toBe(true)
    } finally {
      await second.stop()
    }
    expect(isLive(second.pid)).toBe(false)
    expect(existsSync(second.stateDir)).toBe(false)
    expect(await answers(second.endpoint, 500)).toBe(false)
  })
})

const isLive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2))
  } catch {
    return false
  }
}
