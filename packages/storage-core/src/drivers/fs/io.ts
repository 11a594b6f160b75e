/** node:fs calls as Effects, with Node's errors turned into the store's errors once, here. */
import { Effect, Predicate } from "effect"
import { AccessDenied, TransportError } from "../../Errors.js"

export const errno = (error: unknown): string | undefined =>
  Predicate.hasProperty(error, "code") && Predicate.isString(error.code) ? error.code : undefined

/** ENOENT and ENOTDIR: the path (or one of its directories) is not there. */
export const isMissing = (error: unknown): boolean => {
  const code = errno(error)
  return code === "ENOENT" || code === "ENOTDIR"
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

export const storeError =
  (operation: string, key?: string) =>
  (error: unknown): AccessDenied | TransportError => {
    const code = errno(error)
    return code === "EACCES" || code === "EPERM"
      ? new AccessDenied({ operation, detail: describe(error), ...(key === undefined ? {} : { key }) })
      : new TransportError({ operation, detail: describe(error), cause: error })
  }

/** Runs a node:fs call; its errors become `AccessDenied` or `TransportError`. */
export const io = <A>(operation: string, key: string | undefined, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: storeError(operation, key) })

/** Like `io`, but a missing path gives `undefined`. */
export const ioOrMissing = <A>(operation: string, key: string | undefined, run: () => Promise<A>) =>
  io(operation, key, () => run().catch((error: unknown) => (isMissing(error) ? undefined : Promise.reject(error))))

/** Runs a best-effort cleanup step: failures are ignored. */
export const quietly = (run: () => Promise<unknown>) => Effect.promise(() => run().catch(() => undefined))
