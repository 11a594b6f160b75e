/**
 * Streamed gunzip through node:zlib (which, unlike DecompressionStream, reads files made of
 * several gzip members). The source's own typed failure comes out unchanged; a corrupt gzip
 * stream fails with `onError`'s error.
 */
import { pipeline, Readable } from "node:stream"
import { createGunzip } from "node:zlib"
import { Effect, Stream } from "effect"

export const gunzip = <E, E2>(
  bytes: Stream.Stream<Uint8Array, E>,
  onError: (cause: unknown) => E2
): Stream.Stream<Uint8Array, E | E2> =>
  Stream.suspend(() => {
    let sourceFailure: { readonly error: E } | undefined
    const source = bytes.pipe(
      Stream.tapError((error) =>
        Effect.sync(() => {
          sourceFailure = { error }
        })
      )
    )
    const inflated = createGunzip()
    pipeline(Readable.from(Stream.toAsyncIterable(source)), inflated, () => {})
    return Stream.fromAsyncIterable(inflated as AsyncIterable<Uint8Array>, (cause): E | E2 =>
      sourceFailure !== undefined ? sourceFailure.error : onError(cause)
    )
  })
