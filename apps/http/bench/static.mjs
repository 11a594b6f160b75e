// The peer of the HTTP bench: a minimal node:http static file server (what a hand-written file
// server does and no more): GET /<file> streams the file from the folder in argv[2]; anything
// else is 404. Prints its URL on stdout. Its response head is the size of the app's: the
// validators and cache headers a static file server sends (ETag and Last-Modified from the
// file's stat, as `send` makes them), and the safe-serving headers the app sends with the same
// values, so the comparison is of serving a file, not of header bytes.
import { createReadStream, statSync } from "node:fs"
import { createServer } from "node:http"
import { join } from "node:path"

const CSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"

const root = process.argv[2]
const server = createServer((request, response) => {
  const name = decodeURIComponent((request.url ?? "/").split("?", 1)[0].slice(1))
  let stat
  try {
    stat = statSync(join(root, name))
  } catch {
    response.writeHead(404).end()
    return
  }
  response.writeHead(200, {
    etag: `W/"${stat.size.toString(16)}-${stat.mtime.getTime().toString(16)}"`,
    "last-modified": stat.mtime.toUTCString(),
    "cache-control": "public, max-age=300",
    "accept-ranges": "bytes",
    "x-content-type-options": "nosniff",
    "content-security-policy": CSP,
    "content-type": "application/octet-stream",
    "content-length": stat.size
  })
  createReadStream(join(root, name)).pipe(response)
})
server.listen(0, "127.0.0.1", () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`))
