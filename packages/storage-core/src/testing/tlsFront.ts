/**
 * An https front for a plain-http S3 engine (the local Ceph RGW speaks http only): a TLS server on
 * loopback that passes each connection's bytes to the engine unchanged, so the driver's https
 * paths (node:https, the SDK's TLS handler, TLS sockets of its own) run against a real engine.
 * The certificate below is a self-signed one for 127.0.0.1 and localhost, made for these tests
 * only (valid until 2126); starting a front adds it to this process's trusted certificates
 * (`tls.setDefaultCACertificates`), so nothing needs switching off TLS verification.
 */
import { type AddressInfo, connect, type Socket } from "node:net"
import * as tls from "node:tls"

/** Where the front answers, and the credentials the engine behind it accepts. */
export interface TlsFrontEngine {
  readonly endpoint: string
  readonly region: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
}

export interface TlsFront {
  /** The engine as seen through the front: `https://127.0.0.1:<port>`. */
  readonly engine: TlsFrontEngine
  readonly close: () => Promise<void>
}

export const TEST_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUI7wB0wbMSSgCf/CB5eDHM9IBDY0wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwMzEzMTQxNloYDzIxMjYxMTA5
MTMxNDE2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASkWEdLb54dDBKh0O5MORuu0HV3QQosFjBVYFvs2Y9/d0FOP1RfXhdJ
n06vWV7rErZWONErCPmbn9464oWI/yaVo28wbTAdBgNVHQ4EFgQUKlVdhwzspAdM
vPsO5czgqAm6VnUwHwYDVR0jBBgwFoAUKlVdhwzspAdMvPsO5czgqAm6VnUwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIhAP7SiOBDDfAGptneqpXGAZW1juFwD1reQ5VpyGaFO+yvAiBa
VUv72OSz4heADpPvt+JLv6UovzJyTPvnxIySqwsqsA==
-----END CERTIFICATE-----`

const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghc0ifxn0kLMsTDYx
MzZEawU1w2ixxWJLX1ZbdAtyWU+hRANCAASkWEdLb54dDBKh0O5MORuu0HV3QQos
FjBVYFvs2Y9/d0FOP1RfXhdJn06vWV7rErZWONErCPmbn9464oWI/yaV
-----END PRIVATE KEY-----`

let trusted = false
/** Adds TEST_CERTIFICATE to this process's trusted certificates (startTlsFront does it for its own process). */
export const trustTestCertificate = (): void => {
  if (trusted) return
  if (typeof tls.setDefaultCACertificates !== "function")
    throw new Error("startTlsFront needs tls.setDefaultCACertificates (Node 22.19 or later)")
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), TEST_CERTIFICATE])
  trusted = true
}

/** Starts an https front for `engine` (an `http:` endpoint); `close` ends it and its connections. */
export const startTlsFront = async (engine: TlsFrontEngine): Promise<TlsFront> => {
  const target = new URL(engine.endpoint)
  if (target.protocol !== "http:") throw new Error(`startTlsFront fronts an http engine, not ${engine.endpoint}`)
  trustTestCertificate()
  const open = new Set<Socket>()
  const server = tls.createServer({ key: TEST_KEY, cert: TEST_CERTIFICATE }, (client) => {
    const upstream = connect(Number(target.port || 80), target.hostname)
    open.add(client).add(upstream)
    const end = () => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
    }
    client.pipe(upstream).pipe(client)
    for (const socket of [client, upstream]) socket.on("error", end).on("close", end)
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    engine: { ...engine, endpoint: `https://127.0.0.1:${port}` },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy()
        server.close(() => resolve())
      })
  }
}
