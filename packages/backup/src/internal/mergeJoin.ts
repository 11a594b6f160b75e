/**
 * The merge-join of two listings sorted in S3's key order: one pass over both streams, pulling
 * a page at a time from whichever side is behind, so memory holds at most a page of each side
 * whatever the number of keys.
 */

import { Keys } from "@localex/storage-core"
import { Cause, Effect, Pull, Stream } from "effect"

/** One key and what each side has under it (undefined: nothing). */
export interface Joined<A, B> {
  readonly key: string
  readonly left: A | undefined
  readonly right: B | undefined
}

/** A peekable reader over a pulled stream. */
const cursor = <A, E>(pull: Pull.Pull<ReadonlyArray<A>, E>) => {
  let page: ReadonlyArray<A> = []
  let index = 0
  let ended = false
  const peek: Effect.Effect<A | undefined, E> = Effect.suspend(() => {
    if (index < page.length) return Effect.succeed(page[index])
    if (ended) return Effect.succeed(undefined)
    return pull.pipe(
      Pull.catchDone(() =>
        Effect.sync(() => {
          ended = true
          return [] as ReadonlyArray<A>
        })
      ),
      Effect.flatMap((next) => {
        page = next
        index = 0
        return peek
      })
    )
  })
  return { peek, advance: () => void index++ }
}

/** Pairs returned per pull: enough to amortise the pulls, few enough to keep memory flat. */
const BATCH = 256

export const mergeJoin = <A, B, E1, E2, R1, R2>(
  left: Stream.Stream<A, E1, R1>,
  right: Stream.Stream<B, E2, R2>,
  leftKey: (a: A) => string,
  rightKey: (b: B) => string
): Stream.Stream<Joined<A, B>, E1 | E2, R1 | R2> =>
  Stream.scoped(
    Stream.fromPull(
      Effect.gen(function* () {
        const l = cursor(yield* Stream.toPull(left))
        const r = cursor(yield* Stream.toPull(right))
        return Effect.gen(function* () {
          const out: Array<Joined<A, B>> = []
          while (out.length < BATCH) {
            const a = yield* l.peek
            const b = yield* r.peek
            if (a === undefined && b === undefined) break
            const order = a === undefined ? 1 : b === undefined ? -1 : Keys.compare(leftKey(a), rightKey(b as B))
            if (order < 0) {
              l.advance()
              out.push({ key: leftKey(a as A), left: a, right: undefined })
            } else if (order > 0) {
              r.advance()
              out.push({ key: rightKey(b as B), left: undefined, right: b })
            } else {
              l.advance()
              r.advance()
              out.push({ key: leftKey(a as A), left: a, right: b })
            }
          }
          if (out.length === 0) return yield* Cause.done()
          return out as unknown as readonly [Joined<A, B>, ...Array<Joined<A, B>>]
        })
      })
    )
  )
