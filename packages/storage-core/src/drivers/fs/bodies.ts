/** The fs driver's bodies: what a put reads, and what a get serves. */
import type { FileHandle } from "node:fs/promises"
import * as fs from "node:fs/promises"
import { Effect, Stream } from "effect"
import { type AccessDenied, TransportError } from "../../Errors.js"
import type { PutBody, TransferProgress } from "../../ObjectStore.js"
import { io, quietly } from "./io.js"

const PUT_CHUNK_BYTES = 1024 * 1024
const GET_CHUNK_BYTES = 256 * 1024

/** A put's body as chunks: bytes are sliced (not copied), a file is read a chunk at a time. */
export const putChunks = (key: string, body: PutBody): Stream.Stream<Uint8Array, TransportError> => {
  if (body instanceof Uint8Array) {
    const slices: Array<Uint8Array> = []
    for (let at = 0; at < body.length; at += PUT_CHUNK_BYTES) slices.push(body.subarray(at, at + PUT_CHUNK_BYTES))
    return Stream.fromIterable(slices)
  }
  if (Stream.isStream(body)) {
    return Stream.mapError(
      body as Stream.Stream<Uint8Array, unknown>,
      (cause) =>
        new TransportError({
          operation: "put",
          detail: `the body stream of "${key}" failed: ${String(cause)}`,
          cause
        })
    )
  }
  const source = (body as { readonly path: string }).path
  return Stream.unwrap(
    Effect.acquireRelease(
      Effect.tryPromise({
        try: () => fs.open(source, "r"),
        catch: (cause) =>
          new TransportError({ operation: "put", detail: `cannot read ${source}: ${String(cause)}`, cause })
      }),
      (handle) => quietly(() => handle.close())
    ).pipe(
      Effect.map((handle) =>
        Stream.unfold(0, (position) =>
          Effect.tryPromise({
            try: async () => {
              const buffer = Buffer.allocUnsafe(PUT_CHUNK_BYTES)
              const { bytesRead } = await handle.read(buffer, 0, buffer.length, position)
              return bytesRead === 0 ? undefined : ([buffer.subarray(0, bytesRead), position + bytesRead] as const)
            },
            catch: (cause) =>
              new TransportError({ operation: "put", detail: `cannot read ${source}: ${String(cause)}`, cause })
          })
        )
      )
    )
  )
}

/** Closes the files of get bodies dropped without being run. */
const unreadBodies = new FinalizationRegistry<{ readonly handle: FileHandle; readonly reading: { started: boolean } }>(
  ({ handle, reading }) => {
    if (!reading.started) handle.close().catch(() => undefined)
  }
)

/**
 * Bytes `start`–`end` (inclusive) of an open object file. The stream owns the handle: running
 * it closes the file at the end; dropped without being run, the file is closed when the stream
 * is garbage collected. Single use.
 */
export const readRange = (
  handle: FileHandle,
  key: string,
  start: number,
  end: number,
  onProgress: ((progress: TransferProgress) => void) | undefined
): Stream.Stream<Uint8Array, AccessDenied | TransportError> => {
  const reading = { started: false }
  const total = end - start + 1
  const body = Stream.suspend(() => {
    reading.started = true
    return Stream.unfold(start, (position) =>
      position > end
        ? Effect.succeed(undefined)
        : io("get", key, async () => {
            const buffer = Buffer.allocUnsafe(Math.min(GET_CHUNK_BYTES, end + 1 - position))
            const { bytesRead } = await handle.read(buffer, 0, buffer.length, position)
            if (bytesRead === 0) throw new Error(`"${key}" ended early`)
            onProgress?.({ key, loaded: position + bytesRead - start, total })
            return [buffer.subarray(0, bytesRead), position + bytesRead] as const
          })
    )
  }).pipe(Stream.ensuring(quietly(() => handle.close())))
  unreadBodies.register(body, { handle, reading })
  return body
}
