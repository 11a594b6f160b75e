/**
 * Standard output for the `localex-storage` process: the first bytes go straight to descriptor 1,
 * the rest through `process.stdout`. Building `process.stdout` sets up Node's stream for it
 * (node:net and a socket when stdout is a pipe: ~3 ms of a start), while most commands print a
 * few hundred bytes. A direct write blocks until the reader has room, so it is used only while
 * it cannot stall the process behind a slow reader (a pager): for the first 16 KiB, which an
 * empty pipe holds four times over, and not once a write would block (EAGAIN on a non-blocking
 * descriptor). After that everything goes through `process.stdout` and its flow control, so the
 * bytes stay in order. Not on Windows, where a console needs Node's own encoding.
 */
import { writeSync } from "node:fs"
import { Effect, PlatformError, Sink, Stdio, Stream } from "effect"

const DIRECT_BYTES = 16 * 1024

const encoder = new TextEncoder()
const bytesOf = (chunks: ReadonlyArray<string | Uint8Array>): Uint8Array => {
  const parts = chunks.map((chunk) => (typeof chunk === "string" ? encoder.encode(chunk) : chunk))
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
}

/** Writes `bytes` to `fd`; how many were written before it would have blocked. */
const writeDirect = (fd: number, bytes: Uint8Array): number => {
  let written = 0
  while (written < bytes.length) {
    try {
      written += writeSync(fd, bytes, written)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EAGAIN") return written
      throw error
    }
  }
  return written
}

/** `stdio` with its stdout written directly (to `fd`, stdout's descriptor) while that is safe (see above). */
export const withDirectStdout = (stdio: Stdio.Stdio, fd = 1): Stdio.Stdio => {
  let direct = process.platform !== "win32"
  let budget = DIRECT_BYTES
  const write = (chunks: ReadonlyArray<string | Uint8Array>) =>
    Effect.suspend(() => {
      let bytes = bytesOf(chunks)
      if (direct && bytes.length <= budget) {
        let written: number
        try {
          written = writeDirect(fd, bytes)
        } catch (cause) {
          // A closed pipe (`| head`), as the stream would report it.
          return Effect.fail(PlatformError.systemError({ _tag: "Unknown", module: "Stdio", method: "stdout", cause }))
        }
        budget -= written
        if (written === bytes.length) return Effect.void
        bytes = bytes.subarray(written)
      }
      direct = false
      return Stream.run(Stream.succeed(bytes), stdio.stdout())
    })
  return Stdio.make({
    ...stdio,
    stdout: (options) => (options?.endOnDone === true ? stdio.stdout(options) : Sink.forEachArray(write))
  })
}
