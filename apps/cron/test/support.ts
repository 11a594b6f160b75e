/** Settings, jobs and checks for the runner's tests. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { TransportError } from "@localex/storage-core"
import { Duration, Effect, Layer, Option } from "effect"
import type { Check } from "../src/Check.js"
import { CronConfig, type CronSettings } from "../src/CronConfig.js"
import type { Job } from "../src/Jobs.js"
import { Metrics } from "../src/Metrics.js"

export const settings = (overrides: Partial<CronSettings> = {}): CronSettings => ({
  timezone: "UTC",
  schedules: {},
  missed: "run-once",
  leaseTtl: Duration.seconds(30),
  retries: 3,
  retryDelay: Duration.millis(1),
  webhookUrl: Option.none(),
  webhookTimeout: Duration.seconds(5),
  host: "127.0.0.1",
  port: 0,
  runnerId: "runner-a",
  shutdownTimeout: Duration.seconds(5),
  quotaFile: Option.none(),
  lifecyclePolicy: Option.none(),
  cleanup: "plan",
  cdnBaseUrl: Option.none(),
  perfSamples: 1,
  cloudwatchBucket: Option.none(),
  alarmTopics: [],
  backupDestination: Option.none(),
  ...overrides
})

/** CronConfig and Metrics for one runner (its own registry). */
export const runnerLayer = (overrides: Partial<CronSettings> = {}) =>
  Layer.merge(Layer.succeed(CronConfig, CronConfig.of(settings(overrides))), Metrics.layer)

export const check = (id: string, run: Check["run"]): Check => ({ id, title: `Check ${id}`, run })

export const job = (name: string, checks: ReadonlyArray<Check>, defaultSchedule = "0 6 * * *"): Job => ({
  name,
  description: `test job ${name}`,
  defaultSchedule,
  checks
})

export const passing = check("ok", Effect.succeed({ status: "pass" as const, summary: "fine", evidence: { n: 1 } }))

/** Fails with TransportError `failures` times, then passes. */
export const flaky = (failures: number) => {
  let calls = 0
  return check(
    "flaky",
    Effect.suspend(() =>
      ++calls <= failures
        ? Effect.fail(new TransportError({ operation: "list", detail: "connection reset" }))
        : Effect.succeed({ status: "pass" as const, summary: `passed on call ${calls}`, evidence: null })
    )
  )
}

export interface Receiver {
  readonly url: string
  readonly bodies: Array<unknown>
  readonly close: () => Promise<void>
}

/** A local webhook receiver; `answer: false` accepts requests and never answers them. */
export const receiver = (answer = true): Promise<Receiver> =>
  new Promise((resolve) => {
    const bodies: Array<unknown> = []
    const pending: Array<ServerResponse> = []
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")))
        if (answer) response.writeHead(200, { "content-type": "text/plain" }).end("ok")
        else pending.push(response)
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}/hooks/T000/B000`,
        bodies,
        close: () =>
          new Promise<void>((done) => {
            for (const r of pending) r.destroy()
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
