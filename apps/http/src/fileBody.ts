/**
 * The body of a download on the fast lane (fastDownload.ts), read from the object's file into
 * reused buffers. A fresh buffer per read (what `fs.createReadStream` allocates) is external
 * memory, and V8 answers external memory with full collections: in this app's heap (tens of
 * MB) they cost more than the download itself (profiled: half the CPU of a 1 MiB download).
 *
 * A buffer goes back to the pool only once the socket is done with it (the write's callback
 * without an error, or the response's `finish`); one a client left behind is left to the GC.
 */
import { closeSync, read } from "node:fs"
import type { ServerResponse } from "node:http"

/** The size of a read (and of the one read that serves an object file up to this size whole). */
const CHUNK_BYTES = 256 * 1024
/** Free buffers kept (a download holds two at most: one being written, the next being read). */
const MAX_FREE = 32

const free: Array<Buffer> = []

export const takeBuffer = (): Buffer => free.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES)

export const releaseBuffer = (buffer: Buffer): void => {
  if (free.length < MAX_FREE) free.push(buffer)
}

/** Ends the response with `content`, a view of `buffer`, which is released once it is sent. */
export const endWith = (response: ServerResponse, content: Buffer, buffer: Buffer): void => {
  response.end(content, () => releaseBuffer(buffer))
}

/** Writes `chunk`; true once the socket took all of it, false if the response went away first. */
const written = (response: ServerResponse, chunk: Buffer): Promise<boolean> =>
  new Promise((done) => {
    const gone = () => done(false)
    response.once("close", gone)
    response.write(chunk, (error) => {
      response.off("close", gone)
      done(error === undefined || error === null)
    })
  })

const readSome = (fd: number, buffer: Buffer, length: number, position: number) =>
  new Promise<number>((done, fail) =>
    read(fd, buffer, 0, length, position, (error, n) => (error ? fail(error) : done(n)))
  )

/**
 * Sends `head` (a view of `buffer`, the file's first bytes), then the rest of the content up to
 * `size` bytes from `fd`, reading the next chunk while the last is written, and ends the
 * response. Closes `fd` once, whatever happens (in place: closing a descriptor opened for
 * reading does no I/O). A failed read destroys the response (the request log says "aborted"),
 * as a failed stream does on the route. Resolves with the bytes handed to the response (`head`
 * included).
 */
export const sendFile = async (
  response: ServerResponse,
  fd: number,
  buffer: Buffer,
  head: Buffer,
  size: number
): Promise<number> => {
  let position = head.length
  let current = buffer
  let sending = written(response, head)
  try {
    while (position < size) {
      const next = takeBuffer()
      const n = await readSome(fd, next, Math.min(next.length, size - position), position)
      // The descriptor pins the version, and its file is never truncated in place.
      if (n === 0) throw new Error(`the object file ended at ${position} of ${size} content bytes`)
      if (!(await sending)) {
        releaseBuffer(next)
        return position
      }
      releaseBuffer(current)
      current = next
      sending = written(response, next.subarray(0, n))
      position += n
    }
    response.end()
    if (await sending) releaseBuffer(current)
    return position
  } catch (error) {
    response.destroy(error instanceof Error ? error : new Error(String(error)))
    return position
  } finally {
    try {
      closeSync(fd)
    } catch {
      // Closing a descriptor opened for reading does no I/O; nothing here to act on.
    }
  }
}
