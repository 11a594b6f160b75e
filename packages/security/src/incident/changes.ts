/**
 * What changed under a prefix between two times, from the object versions (backup's version
 * listing: key order, newest first per key) and, when logs are given, the requests that did it.
 *
 * A key changed when it has a version or delete marker in `[since, until)`. Its state before is
 * its newest version before `since` (none, or a delete marker: it did not exist), its state
 * after the newest before `until`. Keys are streamed one at a time; only the changed ones are kept.
 */

import { VersioningRequired, Versions } from "@localex/backup"
import type { BucketAdmin, ObjectVersion } from "@localex/storage-core"
import { Keys } from "@localex/storage-core"
import { Effect, Stream } from "effect"
import { type LogSource, parsedLines } from "../AccessLogReport.js"

export interface VersionState {
  readonly versionId: string
  readonly size: number
  readonly etag: string | null
  readonly lastModified: string
}

export type EventKind = "created" | "overwritten" | "deleted" | "delete marker (already absent)"

export interface VersionEvent {
  readonly key: string
  readonly kind: EventKind
  readonly time: string
  readonly versionId: string
  /** 0 for a delete marker. */
  readonly size: number
}

/** A write request on a changed key, from the access logs. */
export interface RequestSeen {
  readonly key: string
  readonly time: string
  readonly operation: string
  readonly status: number | null
  readonly requester: string | null
  readonly remoteIp: string | null
  readonly requestId: string | null
  readonly userAgent: string | null
}

export type ChangeKind = "created" | "deleted" | "modified" | "created and deleted"

export interface KeyChange {
  readonly key: string
  readonly change: ChangeKind
  readonly before: VersionState | null
  readonly after: VersionState | null
  /** Oldest first. */
  readonly events: ReadonlyArray<VersionEvent>
  /** Write requests on the key in the window (logs given), oldest first, at most 100. */
  readonly requests: ReadonlyArray<RequestSeen>
}

export interface ChangeCounts {
  readonly keys: number
  readonly created: number
  readonly deleted: number
  readonly modified: number
  readonly createdAndDeleted: number
  /** Versions and delete markers in the window. */
  readonly versions: number
  /** Bytes of the versions written in the window. */
  readonly bytesWritten: number
}

export interface LogAttribution {
  readonly source: string
  /** Write requests in the window on changed keys. */
  readonly requests: number
  /** Changed keys no request was found for (logs arrive hours late, or the change bypassed them). */
  readonly unattributed: ReadonlyArray<string>
  readonly byRequester: ReadonlyArray<{ readonly name: string; readonly count: number }>
}

export interface Changes {
  readonly location: string
  readonly prefix: string
  readonly since: string
  readonly until: string
  readonly counts: ChangeCounts
  readonly changes: ReadonlyArray<KeyChange>
  readonly logs: LogAttribution | null
}

type Admin = BucketAdmin["Service"]

const stateOf = (version: ObjectVersion | undefined): VersionState | null =>
  version === undefined || version.isDeleteMarker
    ? null
    : {
        versionId: version.versionId,
        size: version.size,
        etag: version.etag ?? null,
        lastModified: version.lastModified.toISOString()
      }

const changeOf = (before: VersionState | null, after: VersionState | null): ChangeKind =>
  before === null ? (after === null ? "created and deleted" : "created") : after === null ? "deleted" : "modified"

/** The change of one key's history (newest first), or undefined when nothing happened in the window. */
export const keyChange = (
  history: ReadonlyArray<ObjectVersion>,
  since: number,
  until: number
): KeyChange | undefined => {
  const inWindow = history
    .filter((v) => v.lastModified.getTime() >= since && v.lastModified.getTime() < until)
    .reverse()
  if (inWindow.length === 0) return undefined
  const key = history[0]!.key
  const before = stateOf(history.find((v) => v.lastModified.getTime() < since))
  const after = stateOf(history.find((v) => v.lastModified.getTime() < until))
  let live = before !== null
  const events = inWindow.map((v): VersionEvent => {
    const kind: EventKind = v.isDeleteMarker
      ? live
        ? "deleted"
        : "delete marker (already absent)"
      : live
        ? "overwritten"
        : "created"
    live = !v.isDeleteMarker
    return { key, kind, time: v.lastModified.toISOString(), versionId: v.versionId, size: v.size }
  })
  return { key, change: changeOf(before, after), before, after, events, requests: [] }
}

const WRITE_OPERATIONS =
  /^(REST\.PUT\.OBJECT|REST\.COPY\.OBJECT|REST\.POST\.UPLOAD|REST\.POST\.OBJECT|REST\.DELETE\.OBJECT|BATCH\.DELETE\.OBJECT)/
const MAX_REQUESTS_PER_KEY = 100

const requireVersioning = (admin: Admin, operation: string) =>
  Effect.flatMap(admin.getVersioning(), (status) =>
    status === "Disabled"
      ? Effect.fail(new VersioningRequired({ location: admin.location, status, operation }))
      : Effect.void
  )

/** The changed keys under `prefix` in `[since, until)`, with the requests of `logs` when given. */
export const collect = Effect.fnUntraced(function* (
  admin: Admin,
  prefix: string,
  since: number,
  until: number,
  logs?: { readonly source: LogSource; readonly name: string }
) {
  yield* requireVersioning(admin, "Finding what changed")
  const changes: Array<KeyChange & { requests: Array<RequestSeen> }> = []
  yield* Versions.list(admin, prefix).pipe(
    Stream.filter((v) => !Keys.isReserved(v.key)),
    Stream.groupAdjacentBy((v) => v.key),
    Stream.runForEach(([, history]) =>
      Effect.sync(() => {
        const change = keyChange(history, since, until)
        if (change !== undefined) changes.push({ ...change, requests: [] })
      })
    )
  )
  let attribution: LogAttribution | null = null
  if (logs !== undefined) {
    const byKey = new Map(changes.map((c) => [c.key, c.requests]))
    const requesters = new Map<string, number>()
    let requests = 0
    yield* parsedLines(logs.source, since, until).pipe(
      Stream.runForEach((line) =>
        Effect.sync(() => {
          if (line._tag !== "Record") return
          const r = line.record
          if (r.time < since || r.time >= until || r.key === null || r.operation === null) return
          if (!WRITE_OPERATIONS.test(r.operation)) return
          const seen = byKey.get(r.key)
          if (seen === undefined) return
          requests++
          const requester = r.requester ?? "(anonymous)"
          requesters.set(requester, (requesters.get(requester) ?? 0) + 1)
          if (seen.length < MAX_REQUESTS_PER_KEY)
            seen.push({
              key: r.key,
              time: new Date(r.time).toISOString(),
              operation: r.operation,
              status: r.httpStatus,
              requester: r.requester,
              remoteIp: r.remoteIp,
              requestId: r.requestId,
              userAgent: r.userAgent
            })
        })
      )
    )
    for (const change of changes) change.requests.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))
    attribution = {
      source: logs.name,
      requests,
      unattributed: changes.filter((c) => c.requests.length === 0).map((c) => c.key),
      byRequester: [...requesters]
        .map(([name, count]) => ({ name, count }))
        .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1))
    }
  }
  const count = (kind: ChangeKind) => changes.filter((c) => c.change === kind).length
  const result: Changes = {
    location: admin.location,
    prefix,
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    counts: {
      keys: changes.length,
      created: count("created"),
      deleted: count("deleted"),
      modified: count("modified"),
      createdAndDeleted: count("created and deleted"),
      versions: changes.reduce((n, c) => n + c.events.length, 0),
      bytesWritten: changes.reduce((n, c) => n + c.events.reduce((m, e) => m + e.size, 0), 0)
    },
    changes,
    logs: attribution
  }
  return result
})
