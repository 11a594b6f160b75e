/**
 * A plain local file read into two buffers allocated once and reused: each part is lent to
 * `use`, which must be done with it when it returns (the analysis splits it into lines at once).
 * The next part is read while `use` runs. Compared with a stream of fresh chunks, no memory is
 * allocated (or faulted in) per chunk and nothing is left for the garbage collector.
 */
import { open } from "node:fs/promises"

/** Parts of 4 MiB: a few hundred reads per gigabyte. */
export const LENT_CHUNK_BYTES = 4 << 20

/**
 * Lends the file's bytes to `use`, part after part. Returns false, having lent nothing, when the
 * file starts with the gzip magic bytes (the caller streams it through gunzip instead).
 */
export const lendChunks = async (
  path: string,
  use: (chunk: Buffer) => void,
  size = LENT_CHUNK_BYTES
): Promise<boolean> => {
  const handle = await open(path, "r")
  try {
    let current = Buffer.allocUnsafe(size)
    let spare = Buffer.allocUnsafe(size)
    let read = await handle.read(current, 0, size, null)
    if (read.bytesRead >= 2 && current[0] === 0x1f && current[1] === 0x8b) return false
    while (read.bytesRead > 0) {
      const next = handle.read(spare, 0, size, null)
      // A failed read is awaited below; this keeps it from being reported as unhandled meanwhile.
      next.catch(() => {})
      use(current.subarray(0, read.bytesRead))
      read = await next
      ;[current, spare] = [spare, current]
    }
    return true
  } finally {
    await handle.close()
  }
}
