/** Download progress that freezes the fault proxy at its first write: the download is then in the middle of a range. */
import { Effect } from "effect"
import type { Fault } from "../src/testing.js"

export const freezeOnFirstWrite = (setFault: (fault: Fault) => void) => {
  let frozen: () => void = () => {}
  const whenFrozen = new Promise<void>((resolve) => {
    frozen = resolve
  })
  let first = true
  const onProgress = () => {
    if (!first) return
    first = false
    setFault({ kind: "freeze" })
    frozen()
  }
  return { onProgress, whenFrozen: Effect.promise(() => whenFrozen) }
}
