// The peer of the HTTP bench: a minimal node:http static file server (what a hand-written file
// server does and no more): GET /<file> streams the file from the folder in argv[2] with its
// length and a type; anything else is 404. Prints its URL on stdout.
import { createReadStream, statSync } from "node:fs"
import { createServer } from "node:http"
import { join } from "node:path"

const root = process.argv[2]
const server = createServer((request, response) => {
  const name = decodeURIComponent((request.url ?? "/").split("?", 1)[0].slice(1))
  let size
  try {
    size = statSync(join(root, name)).size
  } catch {
    response.writeHead(404).end()
    return
  }
  response.writeHead(200, { "content-type": "application/octet-stream", "content-length": size })
  createReadStream(join(root, name)).pipe(response)
})
server.listen(0, "127.0.0.1", () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`))
