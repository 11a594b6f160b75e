/** Deterministic test data and small helpers shared by the contract suite and driver tests. */
import { createCipheriv, createHash } from "node:crypto"
import { Effect, Stream } from "effect"

export const MiB = 1024 * 1024

/** `size` pseudo-random bytes from `seed`: AES-128-CTR over zeros, so large sizes are fast and every run is identical. */
export const seededBytes = (seed: number, size: number): Uint8Array => {
  const key = createHash("sha256").update(`localex-contract-${seed}`).digest().subarray(0, 16)
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16))
  return new Uint8Array(cipher.update(Buffer.alloc(size)))
}

export const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")
export const md5 = (bytes: Uint8Array): string => createHash("md5").update(bytes).digest("hex")

/** The SHA-256 and length of a stream, without holding it in memory. */
export const digestStream = <E>(body: Stream.Stream<Uint8Array, E>) =>
  Effect.suspend(() => {
    const hash = createHash("sha256")
    let size = 0
    return Stream.runForEach(body, (chunk) =>
      Effect.sync(() => {
        hash.update(chunk)
        size += chunk.length
      })
    ).pipe(Effect.map(() => ({ sha256: hash.digest("hex"), size })))
  })

/** All the bytes of a stream. */
export const collectBytes = <E>(body: Stream.Stream<Uint8Array, E>) =>
  Effect.map(Stream.runCollect(body), (chunks) => new Uint8Array(Buffer.concat(chunks)))

/** `bytes` as a stream of `chunkSize`-byte chunks (the last one shorter). */
export const chunked = (bytes: Uint8Array, chunkSize: number): Stream.Stream<Uint8Array> => {
  const chunks: Array<Uint8Array> = []
  for (let at = 0; at < bytes.length; at += chunkSize) chunks.push(bytes.subarray(at, at + chunkSize))
  return Stream.fromIterable(chunks)
}

/** UTF-8 byte order, S3's listing order. */
export const byteOrder = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"))

/**
 * What S3 returns for a listing of `keys`: objects and common prefixes, interleaved in byte order.
 * Keys after `startAfter` count; a common prefix they roll up into is listed only when it sorts
 * after `startAfter` too (so a listing resumed from its last entry, a prefix, does not repeat it).
 */
export const expectedListing = (
  keys: ReadonlyArray<string>,
  options: { readonly prefix?: string; readonly delimiter?: string; readonly startAfter?: string }
): Array<string> => {
  const prefix = options.prefix ?? ""
  const after = (name: string) => options.startAfter === undefined || byteOrder(name, options.startAfter) > 0
  const out = new Set<string>()
  for (const key of keys) {
    if (!key.startsWith(prefix) || !after(key)) continue
    const at = options.delimiter ? key.indexOf(options.delimiter, prefix.length) : -1
    if (at < 0) out.add(`object:${key}`)
    else {
      const common = key.slice(0, at + options.delimiter!.length)
      if (after(common)) out.add(`prefix:${common}`)
    }
  }
  return [...out].sort((a, b) => byteOrder(a.slice(a.indexOf(":") + 1), b.slice(b.indexOf(":") + 1)))
}
