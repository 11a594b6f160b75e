import { assert, describe, it } from "@effect/vitest"
import * as TimeWindow from "../src/TimeWindow.js"

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0)

describe("TimeWindow", () => {
  it("reads ISO dates (midnight UTC), ISO times and durations back from now", () => {
    assert.strictEqual(TimeWindow.parseInstant("2026-12-01", NOW), Date.UTC(2026, 11, 1))
    assert.strictEqual(TimeWindow.parseInstant("2026-12-01T10:30:00Z", NOW), Date.UTC(2026, 11, 1, 10, 30))
    assert.strictEqual(TimeWindow.parseInstant("24h", NOW), NOW - 86_400_000)
    assert.strictEqual(TimeWindow.parseInstant("7d", NOW), NOW - 7 * 86_400_000)
    assert.strictEqual(TimeWindow.parseInstant("30m", NOW), NOW - 1_800_000)
    assert.strictEqual(TimeWindow.parseInstant("yesterday", NOW), undefined)
    assert.strictEqual(TimeWindow.parseInstant("2026-13-45", NOW), undefined)
  })

  it("a window names the flag at fault; until must come after since", () => {
    assert.deepStrictEqual(TimeWindow.parseWindow("2026-12-01", "2026-12-02", NOW), {
      since: Date.UTC(2026, 11, 1),
      until: Date.UTC(2026, 11, 2)
    })
    assert.deepStrictEqual(TimeWindow.parseWindow(undefined, undefined, NOW, "24h"), {
      since: NOW - 86_400_000,
      until: undefined
    })
    const bad = TimeWindow.parseWindow("soon", undefined, NOW)
    assert.instanceOf(bad, TimeWindow.InvalidTime)
    const reversed = TimeWindow.parseWindow("2026-12-02", "2026-12-01", NOW)
    assert.instanceOf(reversed, TimeWindow.InvalidTime)
    assert.strictEqual(
      (reversed as TimeWindow.InvalidTime).message,
      '--until "2026-12-01": must be after --since 2026-12-02'
    )
  })
})
