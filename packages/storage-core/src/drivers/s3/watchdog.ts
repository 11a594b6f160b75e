/**
 * The stall watchdog of the s3 driver: every request that goes through the driver's HTTP agents
 * is watched from the moment the agent takes it until it closes. A timer (not a handler option)
 * checks that bytes move: the connection must be made within the connect timeout, and the request
 * body, the first byte of the answer and the answer's body must each make progress within the
 * idle timeout. When they do not, the socket is destroyed and the attempt fails with a `StallError`,
 * which the retry policy retries like a broken connection.
 *
 * Progress is read from the socket itself: bytes read, bytes written, and what is still queued in
 * Node and in libuv (the write queue shrinks as the kernel takes bytes, so a slow link that still
 * moves is not a stall). Time the caller spends not reading (a paused answer body) is not a stall.
 */
import type { AgentOptions, ClientRequest, Agent as HttpAgent, IncomingMessage } from "node:http"
import type { Agent as HttpsAgent, AgentOptions as HttpsAgentOptions } from "node:https"
import type { Socket } from "node:net"

/** What stalled: making the connection, sending the request, waiting for the first byte, or receiving. */
export type StallPhase = "connect" | "send" | "first-byte" | "receive"

/** An attempt the watchdog ended: nothing moved in `phase` for `afterMs`. */
export class StallError extends Error {
  override readonly name = "StallError"
  readonly code = "ESTALLED"
  constructor(
    readonly phase: StallPhase,
    readonly afterMs: number,
    readonly endpoint: string
  ) {
    super(`no progress ${PHASE_TEXT[phase]} ${endpoint} for ${(afterMs / 1000).toFixed(1)} s`)
  }
}

const PHASE_TEXT: Record<StallPhase, string> = {
  connect: "connecting to",
  send: "sending to",
  "first-byte": "waiting for the first byte from",
  receive: "receiving from"
}

/** The limits one watchdog enforces. */
export interface StallLimits {
  readonly connectTimeoutMs: number
  readonly idleTimeoutMs: number
}

/** How often progress is checked: a tenth of the shortest limit, between 20 ms and 1 s. */
export const tickFor = (limits: StallLimits) =>
  Math.min(1000, Math.max(20, Math.floor(Math.min(limits.connectTimeoutMs, limits.idleTimeoutMs) / 10)))

/** libuv's write queue (bytes the kernel has not taken yet); Node reads it for its own socket timeouts. */
const writeQueueSize = (socket: Socket): number =>
  (socket as unknown as { readonly _handle?: { readonly writeQueueSize?: number } })._handle?.writeQueueSize ?? 0

export const progressOf = (socket: Socket) =>
  `${socket.bytesRead}:${socket.bytesWritten}:${socket.writableLength}:${writeQueueSize(socket)}`

/** Watches one request until it closes; on a stall, destroys it (and its answer) with a `StallError`. */
export const watchRequest = (request: ClientRequest, limits: StallLimits): void => {
  let response: IncomingMessage | undefined
  let phase: StallPhase | "waiting" = "waiting"
  let progress = ""
  let since = performance.now()
  request.once("response", (res: IncomingMessage) => {
    response = res
  })

  const currentPhase = (socket: Socket | null): StallPhase | "waiting" => {
    // Queued in the agent behind other requests: not the endpoint's time yet.
    if (socket === null) return "waiting"
    if (socket.connecting) return "connect"
    if (response === undefined) return request.writableFinished ? "first-byte" : "send"
    // A paused or not yet consumed body waits for the caller, not for the endpoint.
    if (response.readableFlowing !== true || response.readableLength > 0) return "waiting"
    return "receive"
  }

  const check = () => {
    const socket = request.socket
    const now = performance.now()
    const next = currentPhase(socket)
    const moved = socket === null ? "" : progressOf(socket)
    if (next !== phase || moved !== progress || next === "waiting") {
      phase = next
      progress = moved
      since = now
      return
    }
    const limit = next === "connect" ? limits.connectTimeoutMs : limits.idleTimeoutMs
    if (now - since < limit) return
    stop()
    const error = new StallError(next, Math.round(now - since), endpointOf(request))
    response?.destroy(error)
    request.destroy(error)
  }

  const timer = setInterval(check, tickFor(limits))
  // The sockets keep the process alive while they are open; the watchdog alone never does.
  timer.unref()
  const stop = () => clearInterval(timer)
  request.once("close", stop)
}

/** `http://host:port`, as the request addressed it (its Host header carries the port). */
const endpointOf = (request: ClientRequest): string => {
  const host = request.getHeader("host")
  return `${request.protocol}//${typeof host === "string" ? host : request.host}`
}

/**
 * Agents whose every request is watched, made with node:http's and node:https's `Agent`. Those
 * modules load with the first agent of their kind: a driver that only sends on its raw
 * connections (httpPool.ts) never loads them, nor TLS, which is ~10 ms of a CLI's start.
 */
export const watchedHttpAgent = (options: AgentOptions, limits: StallLimits): HttpAgent =>
  watched(new (process.getBuiltinModule("node:http").Agent)(options), limits)

export const watchedHttpsAgent = (options: HttpsAgentOptions, limits: StallLimits): HttpsAgent =>
  watched(new (process.getBuiltinModule("node:https").Agent)(options), limits)

/** Watches every request the agent takes, from Node's own hook for it (the one agent-base and proxy agents use). */
const watched = <A extends HttpAgent>(agent: A, limits: StallLimits): A => {
  const internals = agent as unknown as AgentInternals
  const addRequest = internals.addRequest
  internals.addRequest = function watchedAddRequest(this: unknown, request: ClientRequest, options: unknown) {
    watchRequest(request, limits)
    addRequest.call(this, request, options)
  }
  return agent
}

interface AgentInternals {
  addRequest: (this: unknown, request: ClientRequest, options: unknown) => void
}

/** The stall behind a failure, if the watchdog ended it (the SDK may wrap the error once). */
export const stallOf = (error: unknown): StallError | undefined => {
  if (error instanceof StallError) return error
  const cause = typeof error === "object" && error !== null ? (error as { readonly cause?: unknown }).cause : undefined
  return cause instanceof StallError ? cause : undefined
}
