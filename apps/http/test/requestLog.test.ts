/** The request log's writer: one per process, however many servers a process starts. */
import { assert, describe, it } from "@effect/vitest"
import { requestLogger } from "../src/requestLog.js"

describe("requestLogger", () => {
  it("adds at most one exit listener to the process, however many loggers are made", () => {
    const before = process.listenerCount("exit")
    for (let i = 0; i < 20; i++) requestLogger()
    assert.isAtMost(process.listenerCount("exit"), before + 1)
  })
})
