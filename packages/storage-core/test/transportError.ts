/** What a failed store operation failed with, asserted to be a TransportError (the stall and fault suites). */
import { Cause, Exit, Option } from "effect"
import { assert } from "vitest"
import type { TransportError } from "../src/Errors.js"

export const transportError = <A, E extends { readonly _tag: string }>(exit: Exit.Exit<A, E>): TransportError => {
  assert.isTrue(Exit.isFailure(exit), "the operation must fail")
  const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined
  assert.strictEqual(error?._tag, "TransportError", `a TransportError, got ${String(error?._tag)}`)
  return error as unknown as TransportError
}
