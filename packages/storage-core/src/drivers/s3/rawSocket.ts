/**
 * A connection whose reads land in the caller's buffer (`onread`): plain, or TLS for an https
 * endpoint, verified as node:https would (the server name sent for a host name). TLS decrypts
 * into that buffer too, so neither kind allocates or copies per read. Used by the raw pool
 * (httpPool.ts) and the ranged GETs of downloads (rangeGet.ts).
 */
import { connect, isIP, type Socket } from "node:net"

export interface RawSocketOptions {
  readonly tls: boolean
  /** Bare (an IPv6 address without brackets). */
  readonly host: string
  readonly port: number
  readonly onread: { readonly buffer: Buffer | (() => Buffer); readonly callback: (n: number) => boolean }
}

export const rawSocket = ({ tls, host, port, onread }: RawSocketOptions): Socket => {
  if (!tls) return connect({ host, port, onread })
  // tls.connect passes `onread` to its socket as net.connect does; @types/node does not list it.
  const options = { host, port, onread, ...(isIP(host) === 0 ? { servername: host } : {}) }
  // Loaded here: a process that never speaks TLS does not load it (the CLI's start-up test).
  return process.getBuiltinModule("node:tls").connect(options)
}
