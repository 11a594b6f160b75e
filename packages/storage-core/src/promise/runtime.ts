/**
 * The one Effect-to-Promise bridge every package's `./promise` subpath uses: a service object
 * owns one `ManagedRuntime` built from the package's layer, runs each call on it, and turns
 * streams into async iterables. It holds no logic of its own.
 */
import { type Duration, type Effect, type Layer, ManagedRuntime, Stream } from "effect"

/**
 * `T` as a Promise API shows it: the same shape, with no Effect data type left in it (a duration
 * option takes milliseconds or a text such as "24 hours", not a `Duration`).
 */
export type Plain<T> = T extends Duration.Duration
  ? never
  : T extends ((...args: never) => unknown) | Date | Uint8Array
    ? T
    : T extends object
      ? { [K in keyof T]: Plain<T[K]> }
      : T

/** Options every Promise method takes. */
export interface CallOptions {
  /** Interrupts the call: what it started is undone as it would be in Effect (an aborted upload leaves nothing). */
  readonly signal?: AbortSignal | undefined
}

export interface ServiceRuntime<R> {
  /** Runs `effect`; rejects with its typed error itself, or with `signal.reason` when aborted. */
  readonly run: <A, E>(effect: Effect.Effect<A, E, R>, options?: CallOptions) => Promise<A>
  /** `stream` as an async iterable: pulled on demand; a failure is thrown from the loop; stops when aborted. */
  readonly iterate: <A, E>(stream: Stream.Stream<A, E, R>, options?: CallOptions) => AsyncIterable<A>
  /** Releases the runtime (connections, files); calls after it reject. */
  readonly close: () => Promise<void>
}

const aborted = (signal: AbortSignal | undefined, error: unknown): unknown => (signal?.aborted ? signal.reason : error)

export const serviceRuntime = <R, E>(layer: Layer.Layer<R, E>): ServiceRuntime<R> => {
  const runtime = ManagedRuntime.make(layer)
  let closed = false
  const run = <A, E2>(effect: Effect.Effect<A, E2, R>, options: CallOptions = {}): Promise<A> => {
    if (closed) return Promise.reject(new Error("this service object is closed"))
    // An already-aborted signal rejects (a Promise method never throws synchronously).
    if (options.signal?.aborted) return Promise.reject(options.signal.reason)
    const signal = options.signal
    return runtime.runPromise(effect, signal ? { signal } : undefined).catch((error: unknown) => {
      throw aborted(signal, error)
    })
  }
  const iterate = <A, E2>(stream: Stream.Stream<A, E2, R>, options: CallOptions = {}): AsyncIterable<A> => ({
    [Symbol.asyncIterator]: () => {
      let inner: AsyncIterator<A> | undefined
      const start = async () => {
        inner ??= (await run(Stream.toAsyncIterableEffect(stream)))[Symbol.asyncIterator]()
        return inner
      }
      return {
        next: async () => {
          options.signal?.throwIfAborted()
          const iterator = await start()
          try {
            return await iterator.next()
          } catch (error) {
            throw aborted(options.signal, error)
          }
        },
        return: async () => {
          await inner?.return?.()
          return { done: true, value: undefined }
        }
      }
    }
  })
  const close = async () => {
    if (closed) return
    closed = true
    await runtime.dispose()
  }
  return { run, iterate, close }
}
