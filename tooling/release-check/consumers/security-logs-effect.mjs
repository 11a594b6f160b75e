// security's access-log report over a log file a user wrote, as installed from the registry.
import assert from "node:assert/strict"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AccessLogReport } from "@localex/security"
import { Effect } from "effect"

const path = join(mkdtempSync(join(tmpdir(), "consumer-security-")), "access.log")
const line = (second) =>
  `OWNER bucket [01/Dec/2026:10:00:${String(second).padStart(2, "0")} +0000] 198.51.100.7 - REQ${second} REST.GET.OBJECT items/1/a.jpg "GET /bucket/items/1/a.jpg HTTP/1.1" 403 AccessDenied 243 - 5 - "-" "curl/8" -`
writeFileSync(path, `${Array.from({ length: 12 }, (_, i) => line(i)).join("\n")}\n`)

const report = await Effect.runPromise(
  Effect.gen(function* () {
    return yield* (yield* AccessLogReport).analyze({ _tag: "Path", path })
  }).pipe(Effect.provide(AccessLogReport.layer))
)
assert.equal(report.forbidden.count, 12)
assert.deepEqual(
  report.forbidden.burstsByIp.map((b) => [b.name, b.peak]),
  [["198.51.100.7", 12]]
)
assert.equal(report.anonymous.denied, 12)
console.log("ok")
