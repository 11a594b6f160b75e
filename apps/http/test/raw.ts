/** Requests exactly as written (fetch would resolve `.` segments and re-encode the path), and what is left in the data folder. */
import { readdir } from "node:fs/promises"
import { request } from "node:http"
import { join, relative } from "node:path"

export interface RawResponse {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

/** One request with `target` sent verbatim (origin-form `/a;b//c?x` or absolute-form `http://host/…`). */
export const raw = (
  base: string,
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body?: Uint8Array | string
): Promise<RawResponse> =>
  new Promise((done, fail) => {
    const { hostname, port } = new URL(base)
    const req = request({ hostname, port, method, path: target, headers }, (res) => {
      let text = ""
      res.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")))
      res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
      res.on("error", fail)
    })
    req.on("error", fail)
    req.setTimeout(20_000, () => req.destroy(new Error(`no answer to ${method} ${target} in 20 s`)))
    req.end(body)
  })

/** Every file under `folder`, relative to it (temp files included). */
export const filesUnder = async (folder: string): Promise<Array<string>> => {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .sort()
}
