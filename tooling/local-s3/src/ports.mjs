import { createServer } from "node:net"

/**
 * Ports that are free on 127.0.0.1 right now. All sockets stay open until every port is
 * known, so the ports differ from each other; the daemons bind them a moment later.
 * @param {number} count
 * @returns {Promise<number[]>}
 */
export async function freePorts(count) {
  const servers = []
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer()
      servers.push(server)
      await new Promise((resolve, reject) => {
        server.once("error", reject)
        server.listen(0, "127.0.0.1", resolve)
      })
    }
    return servers.map((server) => server.address().port)
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(() => resolve()))))
  }
}
