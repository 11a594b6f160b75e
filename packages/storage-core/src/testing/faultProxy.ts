/**
 * A TCP proxy on loopback that sits between a client and an S3 engine and can break the
 * connection the ways networks do, switched at run time:
 *
 * - `freeze`: connections stay open and nothing is read or written (a gateway stopped with
 *   SIGSTOP: the kernel keeps the sockets, buffers fill, writes stall). `afterSentBytes` lets that
 *   many request bytes through first, in all (the freeze starts in the middle of a transfer, e.g.
 *   after CreateMultipartUpload); `afterBytes` then lets that many more bytes of each answer
 *   through (a stall in the middle of a body). Lifting it lets the held bytes through, as a gateway
 *   that wakes up reads what its kernel kept: nothing was lost.
 * - `blackhole`: everything sent is read and dropped, nothing is answered (a half-open connection
 *   after a network change). Connections that lost bytes are closed when it is lifted.
 * - `reset`: every open connection, and every new one, is reset (RST).
 *
 * Started with `{ chaos }`, requests also go through an HTTP stage (`chaos.ts`) that adds seeded,
 * per-request faults at set rates: latency, `503 SlowDown`, resets in the middle of a request
 * body or of an answer; `setChaos` changes them at run time, `chaosCounts` says what was done.
 *
 * Tests start it with `startFaultProxy(engine.endpoint)` (or the scoped `faultProxy`) and point
 * the driver at `proxy.endpoint`.
 */
import * as net from "node:net"
import { Effect } from "effect"
import { type Chaos, type ChaosCounts, startChaosStage } from "./chaos.js"

export type { Chaos, ChaosCounts, RequestKind } from "./chaos.js"
export { requestKind, seededRandom } from "./chaos.js"

export type Fault =
  | { readonly kind: "none" }
  | { readonly kind: "freeze"; readonly afterBytes?: number; readonly afterSentBytes?: number }
  | { readonly kind: "blackhole" }
  | { readonly kind: "reset" }

export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: where the client connects. */
  readonly endpoint: string
  readonly fault: () => Fault
  /** Applies to open connections and to new ones. */
  readonly setFault: (fault: Fault) => void
  /** Connections accepted so far. */
  readonly accepted: () => number
  /** Per-request faults from now on (`undefined`: none). Only for a proxy started with `{ chaos }`. */
  readonly setChaos: (chaos: Chaos | undefined) => void
  /** What the per-request faults did so far (all 0 without `{ chaos }`). */
  readonly chaosCounts: () => ChaosCounts
  readonly close: () => Promise<void>
}

interface Link {
  readonly client: net.Socket
  readonly upstream: net.Socket
  /** Bytes held while frozen, in each direction. */
  readonly toUpstream: Array<Buffer>
  readonly toClient: Array<Buffer>
  /** Answer bytes still let through under a freeze with `afterBytes`. */
  allowance: number
  /** Bytes were dropped (black hole): the connection cannot carry HTTP any more. */
  lost: boolean
}

const destroyLink = (link: Link) => {
  if (!link.client.destroyed) link.client.resetAndDestroy()
  link.upstream.destroy()
}

export interface FaultProxyOptions {
  /** Per-request faults from the start (rates may be 0): adds the HTTP stage that injects them. */
  readonly chaos?: Chaos
}

const NO_COUNTS: ChaosCounts = { requests: 0, delayed: 0, slowDown: 0, resetRequest: 0, resetResponse: 0 }

export const startFaultProxy = async (target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> => {
  const stage = options.chaos === undefined ? undefined : await startChaosStage(target)
  stage?.setChaos(options.chaos)
  const url = new URL(stage?.endpoint ?? target)
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80))
  const links = new Set<Link>()
  let fault: Fault = { kind: "none" }
  let accepted = 0
  /** Request bytes a freeze still lets through before it takes hold. */
  let sentBudget = 0
  /** The fault in force now: a freeze with request bytes left to let through is not one yet. */
  const current = (): Fault["kind"] => (fault.kind === "freeze" && sentBudget > 0 ? "none" : fault.kind)

  /** Forwards what `from` delivers to `to`, as the current fault allows. */
  const forward = (link: Link, from: net.Socket, to: net.Socket, held: Array<Buffer>, answer: boolean) => {
    from.on("data", (data: Buffer) => {
      let chunk = data
      if (!answer && fault.kind === "freeze" && sentBudget > 0) {
        const through = Math.min(sentBudget, chunk.length)
        sentBudget -= through
        to.write(chunk.subarray(0, through))
        if (through === chunk.length) return
        chunk = chunk.subarray(through)
        // The budget is spent: the freeze takes hold everywhere.
        for (const each of [...links]) apply(each)
      }
      switch (current()) {
        case "blackhole":
          link.lost = true
          return
        case "reset":
          destroyLink(link)
          return
        case "freeze": {
          const through = answer ? Math.min(link.allowance, chunk.length) : 0
          if (through > 0) {
            link.allowance -= through
            to.write(chunk.subarray(0, through))
          }
          if (through < chunk.length) held.push(chunk.subarray(through))
          if (!answer || link.allowance === 0) from.pause()
          return
        }
        case "none":
          if (!to.write(chunk)) {
            from.pause()
            to.once("drain", () => current() === "none" && from.resume())
          }
      }
    })
    from.on("end", () => current() === "none" && held.length === 0 && to.end())
    from.on("error", () => destroyLink(link))
    from.on("close", () => {
      if (current() === "none" && held.length === 0) to.destroy()
    })
  }

  const apply = (link: Link) => {
    switch (current()) {
      case "reset":
        destroyLink(link)
        return
      case "freeze":
        link.allowance = fault.kind === "freeze" ? (fault.afterBytes ?? 0) : 0
        link.client.pause()
        if (link.allowance === 0) link.upstream.pause()
        return
      case "blackhole":
        link.client.resume()
        link.upstream.resume()
        return
      case "none":
        if (link.lost || link.upstream.destroyed) return destroyLink(link)
        for (const chunk of link.toUpstream.splice(0)) link.upstream.write(chunk)
        for (const chunk of link.toClient.splice(0)) link.client.write(chunk)
        link.client.resume()
        link.upstream.resume()
    }
  }

  const server = net.createServer((client) => {
    accepted++
    if (current() === "reset") {
      client.resetAndDestroy()
      return
    }
    const upstream = net.connect({ host: url.hostname, port })
    const link: Link = { client, upstream, toUpstream: [], toClient: [], allowance: 0, lost: false }
    links.add(link)
    client.on("close", () => {
      links.delete(link)
      upstream.destroy()
    })
    upstream.on("close", () => {
      if (current() === "none") client.destroy()
    })
    forward(link, client, upstream, link.toUpstream, false)
    forward(link, upstream, client, link.toClient, true)
    apply(link)
  })

  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo
      resolve({
        endpoint: `http://127.0.0.1:${address.port}`,
        fault: () => fault,
        setFault: (next) => {
          fault = next
          sentBudget = next.kind === "freeze" ? (next.afterSentBytes ?? 0) : 0
          for (const link of [...links]) apply(link)
        },
        accepted: () => accepted,
        setChaos: (chaos) => {
          if (stage === undefined) throw new Error("per-request faults need a proxy started with { chaos }")
          stage.setChaos(chaos)
        },
        chaosCounts: () => stage?.counts() ?? NO_COUNTS,
        close: () =>
          new Promise<void>((done) => {
            for (const link of [...links]) destroyLink(link)
            server.close(() => done())
          }).then(() => stage?.close())
      })
    })
  })
}

/** A fault proxy in front of `target` for the length of the scope. */
export const faultProxy = (target: string, options: FaultProxyOptions = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => startFaultProxy(target, options)),
    (proxy) => Effect.promise(() => proxy.close())
  )
