/**
 * Per-key write locks for the fs driver. Every change to a key (put, copy onto it, delete)
 * commits under the key's lock, so a compare-and-swap cannot interleave with another writer.
 *
 * In one process, striped semaphores queue writers without polling. Across processes that
 * share the root, a lock file is created with O_EXCL and holds its owner's host, pid and a
 * nonce. A lock is stale when its owner process has gone (same host) or when it is older than
 * STALE_MS (a commit holds it for milliseconds); a stale lock is moved aside and removed.
 */
import { createHash, randomUUID } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Data, Effect, Schedule, Semaphore } from "effect"
import { type AccessDenied, TransportError } from "../../Errors.js"
import { errno, isMissing, quietly, storeError } from "./io.js"

const STRIPES = 64
const STALE_MS = 30_000
const MAX_WAIT = "30 seconds"

export interface KeyLocks {
  readonly withLock: <A, E, R>(
    key: string,
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | AccessDenied | TransportError, R>
}

class Busy extends Data.TaggedError("Busy")<{ readonly holder: string }> {}

interface Owner {
  readonly host: string
  readonly pid: number
  readonly nonce: string
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errno(error) === "EPERM"
  }
}

const parseOwner = (text: string): Partial<Owner> => {
  try {
    return JSON.parse(text) as Partial<Owner>
  } catch {
    return {} // still being written
  }
}

const isStale = (text: string, ageMs: number): boolean => {
  const owner = parseOwner(text)
  const goneHere = owner.host === os.hostname() && typeof owner.pid === "number" && !isAlive(owner.pid)
  return goneHere || ageMs > STALE_MS
}

/** Moves a stale lock aside; if a live lock slipped in meanwhile, puts that one back. */
const breakLock = async (file: string, staleText: string): Promise<void> => {
  const aside = `${file}.broken-${randomUUID()}`
  try {
    await fs.rename(file, aside)
  } catch (error) {
    if (isMissing(error)) return // someone else broke it
    throw error
  }
  const moved = await fs.readFile(aside, "utf8")
  if (moved !== staleText) await fs.link(aside, file).catch(() => undefined)
  await fs.unlink(aside)
}

/** One attempt: true when the lock was taken. */
const tryTake = async (file: string, owner: Owner): Promise<{ readonly taken: boolean; readonly holder: string }> => {
  try {
    await fs.writeFile(file, JSON.stringify(owner), { flag: "wx", mode: 0o600 })
    return { taken: true, holder: "" }
  } catch (error) {
    if (errno(error) !== "EEXIST") throw error
  }
  try {
    const [text, stat] = await Promise.all([fs.readFile(file, "utf8"), fs.stat(file)])
    if (isStale(text, Date.now() - stat.mtimeMs)) await breakLock(file, text)
    return { taken: false, holder: text }
  } catch (error) {
    if (isMissing(error)) return { taken: false, holder: "" } // released meanwhile
    throw error
  }
}

const retrySchedule = Schedule.min([Schedule.exponential("1 millis"), Schedule.spaced("50 millis")]).pipe(
  Schedule.upTo({ duration: MAX_WAIT })
)

export const make = (dir: string): KeyLocks => {
  const stripes = Array.from({ length: STRIPES }, () => Semaphore.makeUnsafe(1))

  const acquire = (file: string, key: string) => {
    const owner: Owner = { host: os.hostname(), pid: process.pid, nonce: randomUUID() }
    return Effect.tryPromise({ try: () => tryTake(file, owner), catch: storeError("lock", key) }).pipe(
      Effect.flatMap(({ taken, holder }) => (taken ? Effect.succeed(owner) : Effect.fail(new Busy({ holder })))),
      Effect.retry({ schedule: retrySchedule, while: (error) => error._tag === "Busy" }),
      Effect.catchTag("Busy", ({ holder }) =>
        Effect.fail(
          new TransportError({
            operation: "lock",
            detail: `"${key}" stayed locked for ${MAX_WAIT} by another writer (${holder || "unknown"}); if no other process is writing, remove ${file}`
          })
        )
      )
    )
  }

  // Removes the lock file only while it is still ours.
  const release = (file: string, owner: Owner) =>
    quietly(async () => {
      if (parseOwner(await fs.readFile(file, "utf8")).nonce === owner.nonce) await fs.unlink(file)
    })

  return {
    withLock: (key, effect) => {
      const digest = createHash("sha256").update(key, "utf8").digest()
      const stripe = stripes[digest[0]! % STRIPES]!
      const file = path.join(dir, digest.toString("hex").slice(0, 40))
      return stripe.withPermits(1)(
        Effect.acquireUseRelease(
          acquire(file, key),
          () => effect,
          (owner) => release(file, owner)
        )
      )
    }
  }
}
