/**
 * The checkpoint of a snapshot run, kept in the destination under `_localex/backup/checkpoints/`:
 * the key up to which every object is done (the run's results are taken in key order), and the
 * deletions found so far. An unfinished checkpoint makes the next run resume after that key.
 * Every write is conditional on the last one seen, so two runs between the same locations cannot
 * both go on (the second fails with `SnapshotConflict`). Each write carries a random token, so a
 * write retried after its answer was lost (412 on the retry) is recognised as our own (ownWrite.ts).
 */
import { createHash, randomUUID } from "node:crypto"
import { type DeletionPlan, type ObjectStore, readText } from "@localex/storage-core"
import { Effect } from "effect"
import { SnapshotConflict } from "../Errors.js"
import { writeOwn } from "./ownWrite.js"

type Store = ObjectStore["Service"]

export interface Checkpoint {
  readonly source: string
  readonly destination: string
  readonly startedAt: string
  readonly updatedAt: string
  readonly finished: boolean
  /** Every key up to and including this one (relative to the prefixes) is done. */
  readonly watermark: string | null
  /** Destination objects missing from the source, found before the watermark (with --delete). */
  readonly pendingDeletes: ReadonlyArray<DeletionPlan.DeletionCandidate>
  /** Unique per write: tells our own write from another run's. */
  readonly token?: string
}

export const CHECKPOINTS_PREFIX = "_localex/backup/checkpoints/"

export const checkpointKey = (source: string, destination: string) =>
  `${CHECKPOINTS_PREFIX}${createHash("sha256").update(`${source}\n${destination}`).digest("hex").slice(0, 32)}.json`

const encoder = new TextEncoder()

/** The checkpoint and its ETag, or undefined when there is none (or it cannot be read as one). */
export const load = (store: Store, key: string) =>
  store.head(key).pipe(
    Effect.flatMap((info) =>
      readText(store, key).pipe(
        Effect.map((text) => ({ checkpoint: JSON.parse(text) as Checkpoint, etag: info.etag })),
        Effect.catchTag("ObjectNotFound", () => Effect.succeed(undefined))
      )
    ),
    Effect.catchTag("ObjectNotFound", () => Effect.succeed(undefined)),
    Effect.catchDefect(() => Effect.succeed(undefined))
  )

/** Writes the checkpoint over exactly the version last seen (`etag`), or creates it; returns the new ETag. */
export const save = (store: Store, key: string, checkpoint: Checkpoint, etag: string | undefined) =>
  writeOwn(store, key, encoder.encode(`${JSON.stringify({ ...checkpoint, token: randomUUID() })}\n`), {
    contentType: "application/json",
    ...(etag === undefined ? { ifNoneMatch: "*" as const } : { ifMatch: etag })
  }).pipe(
    Effect.map((info) => info.etag),
    Effect.catchTag("PreconditionFailed", () => Effect.fail(new SnapshotConflict({ checkpointKey: key })))
  )
