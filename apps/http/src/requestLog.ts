/**
 * One structured line per request on stdout, written when its response is done or its
 * connection closes:
 *
 *   {"time":"…","level":"info","msg":"request","method":"GET","route":"/v1/files/*","status":200,
 *    "outcome":"ok","durationMs":1.9,"bytesIn":143,"bytesOut":511}
 *
 * `route` is the route template (never the path: it holds object keys; never the query or
 * headers: they hold signatures and API keys). `outcome` is `ok` (< 400), `rejected` (4xx),
 * `failed` (5xx, with `cause`), or `aborted` when the client went away before the response was
 * complete (a disconnect mid-upload is that, not a server failure). `bytesIn`/`bytesOut` are the
 * bytes of this request and its response on the connection, headers included.
 *
 * The route and the cause of a 5xx come from the Effect side, noted on the Node request.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Socket } from "node:net"

export type Outcome = "ok" | "rejected" | "failed" | "aborted"

export interface RequestRecord {
  readonly method: string
  readonly route: string
  /** The status sent, or "aborted". */
  readonly status: number | "aborted"
  readonly outcome: Outcome
}

interface Note {
  readonly route?: string
  readonly cause?: string
}

const notes = new WeakMap<object, Note>()

/** Notes the route template or a failure's cause for the log line of `source` (the Node request). */
export const noteRequest = (source: unknown, note: Note): void => {
  if (typeof source !== "object" || source === null) return
  notes.set(source, { ...notes.get(source), ...note })
}

/** The connection's byte counts when its previous request ended (keep-alive connections carry several). */
const counted = new WeakMap<Socket, { readonly read: number; readonly written: number }>()

const outcomeOf = (finished: boolean, status: number): Outcome =>
  !finished ? "aborted" : status >= 500 ? "failed" : status >= 400 ? "rejected" : "ok"

/**
 * Writes lines to stdout, those of one turn of the event loop in one write: stdout on a pipe or
 * a file is written synchronously, a system call per write, which under load cost more than
 * the line. Lines still waiting when the process exits are written then.
 */
const makeStdoutLines = (): ((line: string) => void) => {
  let pending = ""
  const flush = () => {
    if (pending === "") return
    const text = pending
    pending = ""
    process.stdout.write(text)
  }
  process.once("exit", flush)
  return (line) => {
    if (pending === "") setImmediate(flush)
    pending += `${line}\n`
  }
}

/** One writer for the process: every server's log shares it (and its one exit listener). */
let sharedStdoutLines: ((line: string) => void) | undefined
const stdoutLines = () => {
  sharedStdoutLines ??= makeStdoutLines()
  return sharedStdoutLines
}

/** Logs (and passes to `onDone`) the outcome of one request when its response is done or its connection closes. */
export const requestLogger =
  (onDone: (record: RequestRecord) => void = () => {}, write: (line: string) => void = stdoutLines()) =>
  (request: IncomingMessage, response: ServerResponse): void => {
    const start = performance.now()
    response.once("close", () => {
      const socket = request.socket
      const before = counted.get(socket) ?? { read: 0, written: 0 }
      const after = { read: socket.bytesRead, written: socket.bytesWritten }
      counted.set(socket, after)
      const note = notes.get(request) ?? {}
      const outcome = outcomeOf(response.writableFinished, response.statusCode)
      const record: RequestRecord = {
        method: request.method ?? "",
        route: note.route ?? "unmatched",
        status: outcome === "aborted" ? "aborted" : response.statusCode,
        outcome
      }
      onDone(record)
      write(
        JSON.stringify({
          time: new Date().toISOString(),
          level: outcome === "failed" ? "error" : outcome === "aborted" ? "warn" : "info",
          msg: "request",
          ...record,
          durationMs: Math.round((performance.now() - start) * 10) / 10,
          bytesIn: after.read - before.read,
          bytesOut: after.written - before.written,
          ...(outcome === "failed" && note.cause !== undefined ? { cause: note.cause } : {})
        })
      )
    })
  }
