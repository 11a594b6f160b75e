/**
 * Single-part puts over plain http go on the s3 driver's own keep-alive connections
 * (drivers/s3/httpPool.ts). Against the local Ceph RGW (through a counting TCP relay): connections
 * are reused, a kept connection the server closed meanwhile does not fail the put, and none is
 * left open once the store's scope closes. Against a scripted local server: a frozen endpoint
 * stalls into a TransportError in bound, 503 SlowDown ends as Throttled, error XML (chunked or
 * with a Content-Length, split across packets) maps to the same typed errors, a body on a 2xx
 * answer is read before the connection is reused, `Connection: close` is honoured, an answer that
 * came before the whole body went out does not keep the connection, and an interrupted put closes
 * its connection at once.
 */
import { connect, createServer, type Server, type Socket } from "node:net"
import { testS3 } from "@localex/local-s3"
import { Cause, Duration, Effect, Exit, Fiber, Option, type Scope } from "effect"
import { assert, describe, test } from "vitest"
import * as S3 from "../src/drivers/S3.js"
import type { ObjectStore } from "../src/ObjectStore.js"
import { OnRetry, type RetryEvent } from "../src/Retries.js"
import type { S3Options } from "../src/StorageConfig.js"
import { s3Options } from "../src/testing.js"
import { rgwBucket } from "./rgwBucket.js"

const engine = testS3()
const IDLE_MS = 1000

/** A TCP server that counts the connections it accepted and those still open. */
interface Counted {
  readonly port: number
  readonly accepted: () => number
  readonly openNow: () => number
  readonly close: () => Promise<void>
}

const listen = async (server: Server, sockets: Set<Socket>): Promise<Counted> => {
  let accepted = 0
  server.on("connection", (socket) => {
    accepted++
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    openNow: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

/** Relays to `target`; `killKept()` makes every connection open now close when its next request comes. */
const startRelay = async (target: URL) => {
  const sockets = new Set<Socket>()
  const doomed = new Set<Socket>()
  let killed = 0
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname)
    client.on("data", (chunk) => {
      if (doomed.has(client)) {
        killed++
        client.destroy()
        upstream.destroy()
        return
      }
      upstream.write(chunk)
    })
    upstream.pipe(client)
    client.on("close", () => upstream.destroy())
    upstream.on("close", () => client.destroy())
    client.on("error", () => {})
    upstream.on("error", () => {})
  })
  const counted = await listen(server, sockets)
  return {
    ...counted,
    endpoint: `http://127.0.0.1:${counted.port}`,
    killKept: () => {
      for (const socket of sockets) doomed.add(socket)
    },
    /** Ends every connection open now, as a server does with idle ones. */
    endKept: () => {
      for (const socket of sockets) socket.end()
    },
    killed: () => killed
  }
}

/** How the scripted server answers the n-th request (from 0): raw pieces written 5 ms apart, or silence. */
type Script = (n: number) => ReadonlyArray<string> | "freeze"

/** An HTTP/1.1 server that reads requests (head and Content-Length body) and answers as scripted. */
const startScripted = async (script: Script) => {
  const sockets = new Set<Socket>()
  let requests = 0
  const server = createServer((socket) => {
    let pending = Buffer.alloc(0)
    socket.on("error", () => {})
    socket.on("data", async (chunk) => {
      pending = Buffer.concat([pending, chunk])
      for (;;) {
        const end = pending.indexOf("\r\n\r\n")
        if (end < 0) return
        const length = Number(/content-length: (\d+)/i.exec(pending.subarray(0, end).toString())?.[1] ?? 0)
        if (pending.length < end + 4 + length) return
        pending = pending.subarray(end + 4 + length)
        const answer = script(requests++)
        if (answer === "freeze") return
        for (const piece of answer) {
          if (socket.destroyed) return
          socket.write(piece)
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      }
    })
  })
  const counted = await listen(server, sockets)
  return { ...counted, endpoint: `http://127.0.0.1:${counted.port}`, requests: () => requests }
}

const ok = (etag: string, extra = "") =>
  `HTTP/1.1 200 OK\r\nETag: "${etag}"\r\nDate: Thu, 03 Dec 2026 10:00:00 GMT\r\n${extra}Content-Length: 0\r\n\r\n`

const xmlError = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} here</Message></Error>`

const chunked = (body: string): ReadonlyArray<string> => {
  const half = Math.floor(body.length / 2)
  // Split inside a chunk and between chunks: the parser must wait for the rest.
  return [
    `${half.toString(16)}\r\n${body.slice(0, 10)}`,
    `${body.slice(10, half)}\r\n${(body.length - half).toString(16)}\r\n${body.slice(half)}\r\n`,
    "0\r\n",
    "\r\n"
  ]
}

const errorOf = <A, E>(exit: Exit.Exit<A, E>) =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined

const FAKE = { region: "us-east-1", accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }

/** A store on `endpoint` for the length of `body`, and the retries it made. */
const withStore = <A, E>(
  endpoint: string,
  bucket: string,
  body: (store: ObjectStore["Service"]) => Effect.Effect<A, E, Scope.Scope>,
  options: Partial<S3Options> = {}
): Promise<{ readonly value: A; readonly retries: ReadonlyArray<RetryEvent> }> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const store = yield* S3.make(
          s3Options({ ...FAKE, ...engine, endpoint }, bucket, { maxAttempts: 3, ...options })
        )
        const retries: Array<RetryEvent> = []
        const value = yield* body(store).pipe(Effect.provideService(OnRetry, (event) => retries.push(event)))
        return { value, retries }
      })
    ).pipe(Effect.provideService(S3.RetryBaseDelay, Duration.millis(10)))
  )

const eventually = async (check: () => boolean, withinMs: number) => {
  const until = Date.now() + withinMs
  while (!check() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10))
  return check()
}

describe.skipIf(engine === undefined).concurrent("s3 puts on kept connections, on RGW", () => {
  const { s3, bucket, stored } = rgwBucket(engine, "put-pool")

  test("puts reuse their connections; none is open after the scope closes", async () => {
    const relay = await startRelay(new URL(s3.endpoint))
    try {
      const keys = Array.from({ length: 60 }, (_, i) => `reuse/${i}.txt`)
      await withStore(relay.endpoint, bucket, (store) =>
        Effect.forEach(keys, (key) => store.put(key, Buffer.from(`bytes of ${key}`)), { concurrency: 6 })
      )
      assert.isAtMost(relay.accepted(), 6)
      assert.isTrue(await eventually(() => relay.openNow() === 0, 2000), `${relay.openNow()} connections left open`)
      assert.strictEqual(await stored("reuse/59.txt"), "bytes of reuse/59.txt")
    } finally {
      await relay.close()
    }
  })

  test("a kept connection the server closed meanwhile does not fail the put (no retry needed)", async () => {
    const relay = await startRelay(new URL(s3.endpoint))
    try {
      const { value, retries } = await withStore(relay.endpoint, bucket, (store) =>
        Effect.gen(function* () {
          yield* store.put("stale/first.txt", Buffer.from("first"))
          relay.killKept()
          return yield* store.put("stale/second.txt", Buffer.from("second"))
        })
      )
      assert.strictEqual(relay.killed(), 1)
      assert.deepStrictEqual(retries, [])
      assert.strictEqual(value.size, 6)
      assert.strictEqual(await stored("stale/second.txt"), "second")
    } finally {
      await relay.close()
    }
  })
})

describe.skipIf(engine === undefined).concurrent("s3 puts after the server ended idle connections, on RGW", () => {
  const { s3, bucket } = rgwBucket(engine, "put-pool-end")

  test("idle connections the server ended are not used again", async () => {
    const relay = await startRelay(new URL(s3.endpoint))
    try {
      const { value, retries } = await withStore(relay.endpoint, bucket, (store) =>
        Effect.gen(function* () {
          yield* Effect.forEach(["a", "b", "c"], (key) => store.put(`ended/${key}`, Buffer.from(key)), {
            concurrency: 3
          })
          const before = relay.accepted()
          relay.endKept()
          yield* Effect.sleep("50 millis")
          const info = yield* store.put("ended/after.txt", Buffer.from("after"))
          return { info, before }
        })
      )
      assert.deepStrictEqual(retries, [])
      assert.strictEqual(value.info.size, 5)
      assert.strictEqual(relay.accepted(), value.before + 1)
    } finally {
      await relay.close()
    }
  })
})

describe.concurrent("s3 puts on kept connections, against a scripted server", () => {
  test("a frozen endpoint (accepts, never answers) fails with a stall TransportError in bound", async () => {
    const server = await startScripted(() => "freeze")
    try {
      const started = Date.now()
      const { value } = await withStore(
        server.endpoint,
        "frozen",
        (store) => Effect.exit(store.put("a.txt", Buffer.from("never answered"))),
        { idleTimeoutMs: IDLE_MS, connectTimeoutMs: IDLE_MS, maxAttempts: 2 }
      )
      const error = errorOf(value)
      assert.strictEqual(error?._tag, "TransportError")
      if (error?._tag === "TransportError") {
        assert.strictEqual(error.stalled, "first-byte")
        assert.strictEqual(error.attempts, 2)
      }
      assert.strictEqual(server.requests(), 2)
      assert.isBelow(Date.now() - started, 3 * 2 * IDLE_MS + 2000)
      assert.isTrue(await eventually(() => server.openNow() === 0, 1000))
    } finally {
      await server.close()
    }
  })

  test("503 SlowDown is retried, then Throttled past the budget", async () => {
    const body = xmlError("SlowDown")
    const server = await startScripted(() => [
      `HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\n\r\n`,
      body
    ])
    try {
      const { value, retries } = await withStore(server.endpoint, "slow", (store) =>
        Effect.exit(store.put("a.txt", Buffer.from("x")))
      )
      const error = errorOf(value)
      assert.strictEqual(error?._tag, "Throttled")
      assert.strictEqual(error?._tag === "Throttled" ? error.attempts : undefined, 3)
      assert.deepStrictEqual(
        retries.map((event) => event.reason),
        ["throttled", "throttled"]
      )
      // Error answers with a Content-Length keep their connection.
      assert.strictEqual(server.accepted(), 1)
    } finally {
      await server.close()
    }
  })

  test("error XML, chunked or with a Content-Length, maps to the typed errors", async () => {
    const denied = xmlError("AccessDenied")
    const failed = xmlError("PreconditionFailed")
    const server = await startScripted((n) =>
      n === 0
        ? [`HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n`, ...chunked(denied)]
        : n === 1
          ? [
              `HTTP/1.1 412 Precondition Failed\r\nContent-Length: ${failed.length}\r\n\r\n${failed.slice(0, 20)}`,
              failed.slice(20)
            ]
          : [ok("after-errors")]
    )
    try {
      const { value } = await withStore(server.endpoint, "errors", (store) =>
        Effect.gen(function* () {
          const first = yield* Effect.exit(store.put("a.txt", Buffer.from("x")))
          const second = yield* Effect.exit(store.put("b.txt", Buffer.from("y"), { ifNoneMatch: "*" }))
          const third = yield* store.put("c.txt", Buffer.from("z"))
          return { first, second, third }
        })
      )
      const first = errorOf(value.first)
      assert.strictEqual(first?._tag, "AccessDenied")
      assert.include(first?._tag === "AccessDenied" ? first.detail : "", "AccessDenied here")
      assert.strictEqual(errorOf(value.second)?._tag, "PreconditionFailed")
      assert.strictEqual(value.third.etag, "after-errors")
      // Both bodies were read to their end: the one connection served all three.
      assert.strictEqual(server.accepted(), 1)
    } finally {
      await server.close()
    }
  })

  test("a 2xx answer's body is read before the connection is reused; Connection: close is honoured", async () => {
    const server = await startScripted((n) =>
      n === 0
        ? [`${ok("one").replace("Content-Length: 0", "Content-Length: 11")}hello world`]
        : n === 1
          ? [`HTTP/1.1 200 OK\r\nETag: "two"\r\nTransfer-Encoding: chunked\r\n\r\n`, ...chunked("a chunked 2xx body")]
          : n === 2
            ? [ok("three", "Connection: close\r\n")]
            : [ok("four")]
    )
    try {
      const { value } = await withStore(server.endpoint, "bodies", (store) =>
        Effect.forEach(["1", "2", "3", "4"], (key) => store.put(key, Buffer.from(key)))
      )
      assert.deepStrictEqual(
        value.map((info) => info.etag),
        ["one", "two", "three", "four"]
      )
      // The first three shared a connection; "Connection: close" (left open by the server) ended it.
      assert.strictEqual(server.accepted(), 2)
    } finally {
      await server.close()
    }
  })

  test("an answer that comes before the whole body went out does not keep the connection", async () => {
    const denied = xmlError("AccessDenied")
    const sockets = new Set<Socket>()
    let first = true
    // The first connection answers as soon as it has the head and never reads the body; the others answer normally.
    const server = await listen(
      createServer((socket) => {
        socket.on("error", () => {})
        if (first) {
          first = false
          socket.once("data", () => {
            socket.pause()
            socket.write(`HTTP/1.1 403 Forbidden\r\nContent-Length: ${denied.length}\r\n\r\n${denied}`)
          })
          return
        }
        let pending = Buffer.alloc(0)
        socket.on("data", (chunk) => {
          pending = Buffer.concat([pending, chunk])
          const end = pending.indexOf("\r\n\r\n")
          const length = Number(/content-length: (\d+)/i.exec(pending.subarray(0, Math.max(0, end)).toString())?.[1])
          if (end >= 0 && pending.length >= end + 4 + length) socket.write(ok("second"))
        })
      }),
      sockets
    )
    try {
      const { value } = await withStore(
        `http://127.0.0.1:${server.port}`,
        "early",
        (store) =>
          Effect.gen(function* () {
            const refused = yield* Effect.exit(store.put("big.bin", Buffer.alloc(32 * 1024 * 1024)))
            const after = yield* store.put("small.txt", Buffer.from("small"))
            return { refused, after }
          }),
        { multipartThreshold: 64 * 1024 * 1024, idleTimeoutMs: IDLE_MS, maxAttempts: 1 }
      )
      assert.strictEqual(errorOf(value.refused)?._tag, "AccessDenied")
      assert.strictEqual(value.after.etag, "second")
      assert.strictEqual(server.accepted(), 2)
    } finally {
      await server.close()
    }
  })

  test("an interrupted put closes its connection at once; it is not kept", async () => {
    const server = await startScripted((n) => (n === 0 ? [ok("first")] : "freeze"))
    try {
      const { value } = await withStore(server.endpoint, "abort", (store) =>
        Effect.gen(function* () {
          yield* store.put("first.txt", Buffer.from("1"))
          const fiber = yield* Effect.forkChild(store.put("frozen.txt", Buffer.from("2")))
          yield* Effect.promise(() => eventually(() => server.requests() === 2, 2000))
          yield* Fiber.interrupt(fiber)
          // The store's scope is still open: the connection must be gone all the same.
          return yield* Effect.promise(() => eventually(() => server.openNow() === 0, 1000))
        })
      )
      assert.isTrue(value)
      assert.strictEqual(server.accepted(), 1)
    } finally {
      await server.close()
    }
  })
})
