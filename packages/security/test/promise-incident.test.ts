// The Promise functions of promise/incident.ts, on a service runtime as createSecurityService builds one.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { serviceRuntime } from "@localex/storage-core/promise"
import { incidentLayer, incidentMethods } from "../src/promise/incident.js"

const fixture = join(import.meta.dirname, "fixtures/security-access.log")

describe("promise/incident", () => {
  const root = mkdtempSync(join(tmpdir(), "localex-security-"))
  const settings = { storage: { driver: "fs" as const, root } }
  const { run, close } = serviceRuntime(incidentLayer(settings))
  const methods = incidentMethods(run, settings)
  afterAll(async () => {
    await close()
    rmSync(root, { recursive: true, force: true })
  })

  it("accessLogReport reads a path with the report's exact counts", async () => {
    const report = await methods.accessLogReport(fixture, {
      since: Date.parse("2026-11-30T10:00:00Z"),
      until: Date.parse("2026-11-30T11:00:00Z")
    })
    assert.deepStrictEqual([report.records, report.forbidden.count, report.deletes.failed.count], [112, 40, 4])
  })

  it("rejects with the typed errors: a bad request, a driver without versions", async () => {
    const since = new Date(Date.now() - 3_600_000)
    const bad = await methods.incidentChanges({ prefix: "", since, until: new Date() }).catch((e) => e)
    assert.strictEqual(bad._tag, "InvalidIncidentRequest")
    const fs = await methods.containIncident({ prefix: "items/", before: since, dryRun: true }).catch((e) => e)
    assert.strictEqual(fs._tag, "UnsupportedByDriver")
  })
})
