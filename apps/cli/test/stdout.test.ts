/**
 * Standard output (src/directStdout.ts): the first bytes go straight to descriptor 1, the rest
 * through the stream, in order; a descriptor that would block hands over to the stream; a
 * reader that goes away ends the output, not the command.
 */
import { execFileSync, spawn } from "node:child_process"
import { closeSync, constants, openSync, readSync, writeSync } from "node:fs"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { ObjectStore, Storage } from "@localex/storage-core"
import { Effect, Sink, Stdio, Stream } from "effect"
import { withDirectStdout } from "../src/directStdout.js"
import { bin, run, tempDir } from "./helpers.js"

let dir: Awaited<ReturnType<typeof tempDir>>
let env: Record<string, string>
const KEYS = Array.from({ length: 300 }, (_, i) => `many/${String(i).padStart(90, "0")}.txt`)

beforeAll(async () => {
  dir = await tempDir()
  const root = join(dir.path, "data")
  env = { LOCALEX_STORAGE_DRIVER: "fs", LOCALEX_STORAGE_FS_ROOT: root }
  await Effect.runPromise(
    Effect.flatMap(ObjectStore, (store) =>
      Effect.forEach(KEYS, (key) => store.put(key, new TextEncoder().encode(key)), { concurrency: 16, discard: true })
    ).pipe(Effect.provide(Storage.layerConfig({ driver: "fs", root })))
  )
})
afterAll(() => dir[Symbol.asyncDispose]())

describe("standard output", () => {
  it("a listing longer than the direct writes arrives whole and in order", async () => {
    const text = await run(["object", "ls", "many/"], { env, cwd: dir.path })
    assert.strictEqual(text.code, 0, text.stderr)
    assert.isAbove(text.stdout.length, 16 * 1024)
    assert.deepStrictEqual(
      text.text
        .trimEnd()
        .split("\n")
        .map((line) => line.split(/\s+/).at(-1)),
      KEYS
    )
    // One JSON document: its opening is written directly, its entries through the stream.
    const json = await run(["--json", "object", "ls", "many/"], { env, cwd: dir.path })
    assert.deepStrictEqual(
      (JSON.parse(json.text) as { entries: Array<{ key: string }> }).entries.map((entry) => entry.key),
      KEYS
    )
  })

  it("a reader that goes away ends the output, not the command", async () => {
    // `| head`: the pipe is closed before a direct write (stat), and after a streamed one (ls).
    for (const [args, close] of [
      [["object", "stat", KEYS[0]!], "at once"],
      [["object", "ls", "many/"], "after the first bytes"]
    ] as const) {
      const child = spawn(process.execPath, [bin, ...args], { cwd: dir.path, env: { ...process.env, ...env } })
      const stderr: Array<Buffer> = []
      child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk))
      if (close === "at once") child.stdout.destroy()
      else child.stdout.once("data", () => child.stdout.destroy())
      const code = await new Promise<number | null>((done) => child.on("close", done))
      assert.strictEqual(code, 0, `${args.join(" ")}: ${Buffer.concat(stderr).toString()}`)
      assert.strictEqual(Buffer.concat(stderr).toString(), "")
    }
  })

  it.skipIf(process.platform === "win32")("a descriptor that would block hands the rest to the stream", async () => {
    // A FIFO opened non-blocking, filled to all but 4 KiB: the direct write stops at EAGAIN.
    const fifo = join(dir.path, "fifo")
    execFileSync("mkfifo", [fifo])
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK)
    try {
      let filled = 0
      const block = Buffer.alloc(1024, "x")
      for (;;) {
        try {
          filled += writeSync(fd, block)
        } catch {
          break
        }
      }
      const drained = readSync(fd, Buffer.alloc(4096), 0, 4096, null)
      assert.strictEqual(drained, 4096)
      const streamed: Array<Uint8Array> = []
      const fallback = Stdio.make({
        args: Effect.succeed([]),
        stdin: Stream.empty,
        stderr: () => Sink.drain,
        stdout: () =>
          Sink.forEachArray((chunks: ReadonlyArray<string | Uint8Array>) =>
            Effect.sync(() => {
              for (const chunk of chunks) streamed.push(Buffer.from(chunk))
            })
          )
      })
      const stdio = withDirectStdout(fallback, fd)
      const message = Buffer.alloc(10 * 1024, "m")
      await Effect.runPromise(Stream.run(Stream.succeed(message), stdio.stdout()))
      await Effect.runPromise(Stream.run(Stream.succeed("after"), stdio.stdout()))
      // 4 KiB went to the FIFO, the other 6 KiB and everything after to the stream.
      const inFifo = Buffer.alloc(filled)
      const read = readSync(fd, inFifo, 0, filled, null)
      assert.strictEqual(read, filled)
      assert.strictEqual(inFifo.subarray(filled - 4096).toString(), "m".repeat(4096))
      assert.strictEqual(Buffer.concat(streamed).toString(), `${"m".repeat(6 * 1024)}after`)
    } finally {
      closeSync(fd)
    }
  })
})
