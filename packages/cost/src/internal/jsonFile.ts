/** A local JSON file, read and parsed; `invalid(reason)` is the caller's own error for each failure. */
import { readFile } from "node:fs/promises"
import { Effect } from "effect"

export const readJsonFile = <E>(path: string, invalid: (reason: string) => E): Effect.Effect<unknown, E> =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) => invalid(`cannot read it (${String(cause)})`)
  }).pipe(
    Effect.flatMap((text) =>
      Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: (cause) => invalid(`not JSON (${String(cause)})`)
      })
    )
  )
