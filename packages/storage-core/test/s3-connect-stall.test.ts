/**
 * The connect phase of the stall watchdog: an endpoint whose connections are never accepted (a
 * listener frozen with SIGSTOP whose accept queue is full, so the kernel drops the SYNs: what a
 * dead host behind a firewall looks like). Every request fails with a `TransportError` that says
 * connecting stalled, within attempts × LOCALEX_STORAGE_S3_CONNECT_TIMEOUT and a margin.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as net from "node:net"
import { Duration, Effect } from "effect"
import { afterAll, assert, beforeAll, describe, test } from "vitest"
import * as S3 from "../src/drivers/S3.js"
import { TransportError } from "../src/Errors.js"
import { s3Options } from "../src/testing.js"

const CONNECT_MS = 1000
const ATTEMPTS = 2

/** A listener on loopback that accepts nothing: frozen, its one-slot accept queue filled by us. */
const frozenListener = async () => {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "-e",
      `const s = require("node:net").createServer().listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
         process.stdout.write(s.address().port + "\\n"); process.kill(process.pid, "SIGSTOP") })`
    ],
    { stdio: ["ignore", "pipe", "inherit"] }
  )
  const port = await new Promise<number>((resolve) =>
    child.stdout?.once("data", (data) => resolve(Number(String(data).trim())))
  )
  const fillers = Array.from({ length: 4 }, () => net.connect(port, "127.0.0.1").on("error", () => {}))
  await new Promise((resolve) => setTimeout(resolve, 300))
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => {
      for (const socket of fillers) socket.destroy()
      child.kill("SIGKILL")
    }
  }
}

describe("s3 driver against an endpoint that never accepts the connection", () => {
  let listener: Awaited<ReturnType<typeof frozenListener>>
  beforeAll(async () => {
    listener = await frozenListener()
  })
  afterAll(() => listener?.close())

  const fails = (operation: "head" | "put") =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const engine = { endpoint: listener.endpoint, region: "us-east-1", accessKeyId: "a", secretAccessKey: "s" }
          const { store } = yield* S3.makeServices(
            s3Options(engine, "photos", { connectTimeoutMs: CONNECT_MS, idleTimeoutMs: 5000, maxAttempts: ATTEMPTS })
          )
          const started = Date.now()
          const error: { readonly _tag: string } =
            operation === "head"
              ? yield* Effect.flip(store.head("a.txt"))
              : yield* Effect.flip(store.put("a.txt", new Uint8Array(10)))
          return { error, elapsed: Date.now() - started }
        })
      ).pipe(Effect.provideService(S3.RetryBaseDelay, Duration.millis(10)))
    )

  for (const operation of ["head", "put"] as const)
    test(`${operation}: a TransportError saying connecting stalled, within attempts × the connect timeout`, async () => {
      const { error, elapsed } = await fails(operation)
      assert.strictEqual(error._tag, "TransportError", String(error))
      if (!(error instanceof TransportError)) return assert.fail(String(error))
      assert.strictEqual(error.stalled, "connect", error.message)
      assert.strictEqual(error.endpoint, listener.endpoint)
      assert.isTrue(error.unreachable)
      assert.include(error.message, "stalled")
      assert.isAtLeast(elapsed, ATTEMPTS * CONNECT_MS * 0.9)
      assert.isBelow(elapsed, 3 * ATTEMPTS * CONNECT_MS + 2000, "bounded: not the idle timeout, not a hang")
    }, 30_000)
})
