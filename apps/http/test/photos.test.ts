/**
 * The photo routes of the built HTTP app, on an ephemeral port on the fs driver: multipart
 * uploads through fetch + FormData, variants downloaded through the URLs the API returns and
 * decoded with sharp, and what is left in the store (listed with storage-core's fs driver).
 */
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { ObjectStore } from "@localex/storage-core"
import * as Fs from "@localex/storage-core/fs"
import { Effect, Stream } from "effect"
import { decoded, photoJpeg, pngClaiming, pngSliver, randomBytes, svgImage, transparentPng } from "./images.js"
import { removeRoot, type Server, sha256, startServer, tempRoot } from "./server.js"

const KEYS = { read: "photo-read-key", write: "photo-write-key" }
const API_KEYS = `${sha256(KEYS.read)}:read,${sha256(KEYS.write)}:read+write`
const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

interface Variant {
  readonly size: string
  readonly format: string
  readonly key: string
  readonly contentType: string
  readonly width: number
  readonly height: number
  readonly bytes: number
  readonly url: string
}
interface Photo {
  readonly photoId: string
  readonly prefix: string
  readonly target: { readonly kind: string; readonly id: string }
  readonly source: { readonly format: string; readonly width: number; readonly height: number; readonly bytes: number }
  readonly variants: ReadonlyArray<Variant>
  readonly urlsExpireAt: string | null
}
interface Problem {
  readonly type: string
  readonly status: number
  readonly title: string
  readonly detail: string
}

/** A form with one file part, as a browser sends it. */
const form = (bytes: Uint8Array, filename: string, type?: string) => {
  const body = new FormData()
  body.append("file", new Blob([bytes], type === undefined ? {} : { type }), filename)
  return body
}

const problem = async (response: Response, status: number, type: string): Promise<Problem> => {
  const text = await response.text()
  assert.strictEqual(response.status, status, text)
  assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
  const body = JSON.parse(text) as Problem
  assert.strictEqual(body.type, `urn:localex:problem:${type}`)
  assert.strictEqual(body.status, status)
  return body
}

/** The keys under `prefix` in the server's data folder, as the store lists them. */
const storedKeys = (root: string, prefix: string) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const entries = yield* Stream.runCollect(store.list({ prefix }))
      return entries.flatMap((entry) => (entry._tag === "Object" ? [entry.key] : []))
    }).pipe(Effect.provide(Fs.layer({ root: join(root, "data"), publicUrl: "http://127.0.0.1:1" })))
  )

/** Upright 1500×2000 once oriented: large fits 1200, medium 800, thumbnail 300 (defaults), WebP and JPEG each. */
const UPRIGHT_VARIANTS = [
  ["large", "webp", 900, 1200],
  ["large", "jpeg", 900, 1200],
  ["medium", "webp", 600, 800],
  ["medium", "jpeg", 600, 800],
  ["thumbnail", "webp", 225, 300],
  ["thumbnail", "jpeg", 225, 300]
] as const

describe("photo routes", () => {
  let root: string
  let server: Server
  let photo: Buffer
  const at = (path: string) => `${server.url}${path}`
  const post = (path: string, body: FormData, key = KEYS.write) =>
    fetch(at(path), { method: "POST", body, headers: bearer(key) })
  const put = (path: string, body: FormData, key = KEYS.write) =>
    fetch(at(path), { method: "PUT", body, headers: bearer(key) })
  const get = (path: string, key = KEYS.read) => fetch(at(path), { headers: bearer(key) })
  const remove = (path: string, key = KEYS.write) => fetch(at(path), { method: "DELETE", headers: bearer(key) })

  beforeAll(async () => {
    root = await tempRoot()
    ;[server, photo] = await Promise.all([
      startServer(root, { LOCALEX_HTTP_API_KEYS: API_KEYS }),
      photoJpeg(2000, 1500)
    ])
  })
  afterAll(async () => {
    await server?.stop()
    await removeRoot(root)
  })

  let uploaded: Photo

  it("POST stores a photo: 201, Location, six variants whose URLs serve what the manifest says", async () => {
    const response = await post("/v1/items/item-1/photos", form(photo, "IMG_0001.JPG", "image/jpeg"))
    assert.strictEqual(response.status, 201, await response.clone().text())
    uploaded = (await response.json()) as Photo
    assert.match(uploaded.photoId, /^[0-9a-f]{64}$/)
    assert.strictEqual(response.headers.get("location"), `/v1/items/item-1/photos/${uploaded.photoId}`)
    assert.deepStrictEqual(uploaded.target, { kind: "item", id: "item-1" })
    // Stored 2000×1500 with EXIF orientation 6: the photo is upright, 1500×2000.
    assert.deepStrictEqual(uploaded.source, { format: "jpeg", width: 1500, height: 2000, bytes: photo.length })
    assert.deepStrictEqual(
      uploaded.variants.map((v) => [v.size, v.format, v.width, v.height]),
      UPRIGHT_VARIANTS.map((v) => [...v])
    )
    assert.isString(uploaded.urlsExpireAt)
    assert.isAbove(Date.parse(uploaded.urlsExpireAt!), Date.now())

    for (const variant of uploaded.variants) {
      assert.isTrue(variant.url.startsWith(`${server.url}/v1/signed/items/item-1/photos/${uploaded.photoId}/`))
      const download = await fetch(variant.url)
      assert.strictEqual(download.status, 200, variant.key)
      assert.strictEqual(download.headers.get("content-type"), variant.contentType)
      assert.strictEqual(download.headers.get("cache-control"), "public, max-age=31536000, immutable")
      const bytes = Buffer.from(await download.arrayBuffer())
      assert.strictEqual(bytes.length, variant.bytes, variant.key)
      assert.deepStrictEqual(
        await decoded(bytes),
        { format: variant.format, width: variant.width, height: variant.height, exif: false, orientation: undefined },
        variant.key
      )
    }
    const keys = await storedKeys(root, `items/item-1/photos/${uploaded.photoId}/`)
    assert.deepStrictEqual(keys, [...uploaded.variants.map((v) => v.key), `${uploaded.prefix}/manifest.json`].sort())
  })

  it("GET returns the photo's manifest; the item's list has each photo once; the same photo again is the same photo", async () => {
    const one = await get(`/v1/items/item-1/photos/${uploaded.photoId}`)
    assert.strictEqual(one.status, 200)
    const manifest = (await one.json()) as Photo
    assert.strictEqual(manifest.photoId, uploaded.photoId)
    assert.deepStrictEqual(
      manifest.variants.map(({ url: _, ...variant }) => variant),
      uploaded.variants.map(({ url: _, ...variant }) => variant)
    )
    assert.strictEqual((await fetch(manifest.variants[5]!.url)).status, 200)

    const again = await post("/v1/items/item-1/photos", form(photo, "copy.jpg", "image/jpeg"))
    assert.strictEqual(again.status, 201)
    assert.strictEqual(((await again.json()) as Photo).photoId, uploaded.photoId)
    const png = await post("/v1/items/item-1/photos", form(await transparentPng(640, 480), "logo.png", "image/png"))
    assert.strictEqual(png.status, 201, await png.clone().text())
    const second = (await png.json()) as Photo
    assert.deepStrictEqual(
      second.variants.map((v) => [v.size, v.format]),
      ["large", "medium", "thumbnail"].flatMap((size) => [
        [size, "webp"],
        [size, "png"]
      ])
    )

    const list = await get("/v1/items/item-1/photos")
    assert.strictEqual(list.status, 200)
    const { photos } = (await list.json()) as { photos: ReadonlyArray<Photo> }
    assert.deepStrictEqual(
      photos.map((p) => p.photoId),
      [uploaded.photoId, second.photoId].sort()
    )
    assert.isTrue(photos.every((p) => p.variants.length === 6 && p.variants.every((v) => v.url.includes("sig="))))

    const none = await get("/v1/items/item-without-photos/photos")
    assert.deepStrictEqual(await none.json(), { photos: [], skipped: [] })
    await problem(await get(`/v1/items/item-1/photos/${"0".repeat(64)}`), 404, "not-found")
    await problem(await get("/v1/items/item-1/photos/not-a-photo-id"), 400, "invalid-photo-ref")
  })

  it("DELETE removes every variant and the manifest: 204, then 404, nothing left in the store", async () => {
    assert.strictEqual((await remove(`/v1/items/item-1/photos/${uploaded.photoId}`)).status, 204)
    assert.deepStrictEqual(await storedKeys(root, `${uploaded.prefix}/`), [])
    await problem(await get(`/v1/items/item-1/photos/${uploaded.photoId}`), 404, "not-found")
    await problem(await remove(`/v1/items/item-1/photos/${uploaded.photoId}`), 404, "not-found")
    const { photos } = (await (await get("/v1/items/item-1/photos")).json()) as { photos: ReadonlyArray<Photo> }
    assert.strictEqual(photos.length, 1)
    assert.strictEqual((await remove(`/v1/items/item-1/photos/${photos[0]!.photoId}`)).status, 204)
    assert.deepStrictEqual(await storedKeys(root, "items/item-1/"), [])
  })

  it("PUT /v1/profiles/{userId}/photo replaces the user's photo: one photo left, then DELETE leaves none", async () => {
    await problem(await get("/v1/profiles/user-7/photo"), 404, "not-found")
    const first = await put("/v1/profiles/user-7/photo", form(photo, "me.jpg", "image/jpeg"))
    assert.strictEqual(first.status, 200, await first.clone().text())
    const firstPhoto = (await first.json()) as Photo
    assert.deepStrictEqual(firstPhoto.target, { kind: "profile", id: "user-7" })

    const second = await put("/v1/profiles/user-7/photo", form(await photoJpeg(640, 480, 2), "new me.jpg"))
    assert.strictEqual(second.status, 200, await second.clone().text())
    const secondPhoto = (await second.json()) as Photo
    assert.notStrictEqual(secondPhoto.photoId, firstPhoto.photoId)
    // 640×480 stored sideways: upright 480×640, smaller than large, so large keeps its size.
    assert.deepStrictEqual(
      secondPhoto.variants.filter((v) => v.format === "jpeg").map((v) => [v.size, v.width, v.height]),
      [
        ["large", 480, 640],
        ["medium", 480, 640],
        ["thumbnail", 225, 300]
      ]
    )

    const current = await get("/v1/profiles/user-7/photo")
    assert.strictEqual(current.status, 200)
    assert.strictEqual(((await current.json()) as Photo).photoId, secondPhoto.photoId)
    const keys = await storedKeys(root, "profiles/user-7/photos/")
    assert.strictEqual(keys.length, 7, keys.join("\n"))
    assert.isTrue(keys.every((key) => key.startsWith(`${secondPhoto.prefix}/`)))

    assert.strictEqual((await remove("/v1/profiles/user-7/photo")).status, 204)
    // Only the pointer is left, naming no photo.
    assert.deepStrictEqual(await storedKeys(root, "profiles/user-7/"), ["profiles/user-7/photo.json"])
    await problem(await get("/v1/profiles/user-7/photo"), 404, "not-found")
    await problem(await remove("/v1/profiles/user-7/photo"), 404, "not-found")
  })

  it("10 profile-photo replacements at once: all answer 200, exactly one whole photo is left, the one GET shows", async () => {
    const photos = await Promise.all(Array.from({ length: 10 }, (_, i) => photoJpeg(320, 240, 100 + i)))
    const answers = await Promise.all(photos.map((bytes) => put("/v1/profiles/racer-1/photo", form(bytes, "me.jpg"))))
    for (const answer of answers) assert.strictEqual(answer.status, 200, await answer.clone().text())
    const set = (await Promise.all(answers.map((a) => a.json()))) as ReadonlyArray<Photo>
    assert.strictEqual(new Set(set.map((p) => p.photoId)).size, 10)

    const current = await get("/v1/profiles/racer-1/photo")
    assert.strictEqual(current.status, 200)
    const shown = (await current.json()) as Photo
    const keys = await storedKeys(root, "profiles/racer-1/photos/")
    assert.deepStrictEqual(keys, [...shown.variants.map((v) => v.key), `${shown.prefix}/manifest.json`].sort())
    for (const variant of shown.variants) {
      const bytes = await fetch(variant.url)
      assert.strictEqual(bytes.status, 200, variant.key)
      assert.strictEqual((await bytes.arrayBuffer()).byteLength, variant.bytes)
    }
  })

  it("routes ids of up to 128 characters, and refuses longer ones as invalid keys", async () => {
    const longest = `i${"d".repeat(127)}`
    const added = await post(`/v1/items/${longest}/photos`, form(photo, "a.jpg"))
    assert.strictEqual(added.status, 201, await added.clone().text())
    const listed = await get(`/v1/items/${longest}/photos`)
    assert.strictEqual(listed.status, 200)
    assert.strictEqual(((await listed.json()) as { photos: Array<Photo> }).photos.length, 1)
    await problem(await get(`/v1/profiles/u${"x".repeat(127)}/photo`), 404, "not-found")
    await problem(await get(`/v1/items/i${"d".repeat(128)}/photos`), 400, "invalid-key")
    await problem(await get(`/v1/profiles/u${"x".repeat(128)}/photo`), 400, "invalid-key")
  })

  it("lists an item's photos when one manifest is damaged, and reports it in skipped", async () => {
    const added = await post("/v1/items/damaged-1/photos", form(photo, "a.jpg"))
    assert.strictEqual(added.status, 201)
    const damaged = `items/damaged-1/photos/${"0".repeat(64)}/manifest.json`
    await Effect.runPromise(
      Effect.flatMap(ObjectStore, (store) => store.put(damaged, Buffer.from("not a manifest"))).pipe(
        Effect.provide(Fs.layer({ root: join(root, "data"), publicUrl: "http://127.0.0.1:1" }))
      )
    )
    const listed = await get("/v1/items/damaged-1/photos")
    assert.strictEqual(listed.status, 200, await listed.clone().text())
    const body = (await listed.json()) as { photos: Array<Photo>; skipped: Array<{ key: string; reason: string }> }
    assert.strictEqual(body.photos.length, 1)
    assert.deepStrictEqual(
      body.skipped.map((s) => s.key),
      [damaged]
    )
  })

  it("refuses bad input with its status and stores nothing", async () => {
    const png = await transparentPng(64, 64)
    const corpus: ReadonlyArray<readonly [string, FormData, number, string]> = [
      ["an empty file", form(new Uint8Array(0), "empty.jpg", "image/jpeg"), 400, "empty-image"],
      ["random bytes", form(randomBytes(8192), "noise.bin"), 415, "unsupported-image-format"],
      ["a truncated JPEG", form(photo.subarray(0, photo.length / 2), "cut.jpg", "image/jpeg"), 422, "corrupt-image"],
      [
        "a PNG whose header claims 100,000×100,000",
        form(pngClaiming(100_000, 100_000), "bomb.png", "image/png"),
        422,
        "too-many-pixels"
      ],
      ["an SVG", form(svgImage(), "logo.svg", "image/svg+xml"), 415, "unsupported-image-format"],
      ["a .jpg name on PNG bytes", form(png, "holiday.jpg"), 415, "image-format-mismatch"],
      ["a JPEG named notes.txt", form(photo, "notes.txt"), 415, "image-format-mismatch"],
      ["a JPEG sent as text/html", form(photo, "photo.jpg", "text/html"), 415, "image-format-mismatch"],
      ["a 1 × 49,000,000 PNG", form(pngSliver(1, 49_000_000), "sliver.png"), 422, "extreme-aspect-ratio"],
      [
        "a form without a file",
        (() => {
          const body = new FormData()
          body.append("file", "just text")
          return body
        })(),
        400,
        "bad-request"
      ]
    ]
    for (const [name, body, status, type] of corpus) {
      const refused = await problem(await post("/v1/items/bad-1/photos", body), status, type)
      assert.isAbove(refused.detail.length, 10, name)
      const profile = await put("/v1/profiles/bad-2/photo", body)
      assert.strictEqual(profile.status, status, name)
    }
    await problem(await post("/v1/items/not%20valid/photos", form(photo, "a.jpg")), 400, "invalid-key")
    // Raw bytes instead of a form.
    const raw = await fetch(at("/v1/items/bad-1/photos"), {
      method: "POST",
      body: new Uint8Array(photo),
      headers: { ...bearer(KEYS.write), "content-type": "image/jpeg" }
    })
    const rawProblem = await problem(raw, 415, "unsupported-media-type")
    assert.include(rawProblem.detail, "multipart/form-data")
    assert.deepStrictEqual(await storedKeys(root, "items/bad-1/"), [])
    assert.deepStrictEqual(await storedKeys(root, "profiles/bad-2/"), [])
  })

  it("needs a key (401) with the write scope to upload (403), and the read scope to look", async () => {
    const none = await fetch(at("/v1/items/auth-1/photos"), { method: "POST", body: form(photo, "a.jpg") })
    await problem(none, 401, "unauthorized")
    assert.strictEqual(none.headers.get("www-authenticate"), "Bearer")
    await problem(await post("/v1/items/auth-1/photos", form(photo, "a.jpg"), KEYS.read), 403, "forbidden")
    await problem(await put("/v1/profiles/auth-1/photo", form(photo, "a.jpg"), KEYS.read), 403, "forbidden")
    await problem(await remove("/v1/profiles/auth-1/photo", KEYS.read), 403, "forbidden")
    await problem(await fetch(at("/v1/items/auth-1/photos")), 401, "unauthorized")
    assert.strictEqual((await get("/v1/items/auth-1/photos", KEYS.read)).status, 200)
    assert.deepStrictEqual(await storedKeys(root, "items/auth-1/"), [])
    assert.deepStrictEqual(await storedKeys(root, "profiles/auth-1/"), [])
  })

  it("lists the photo routes in the OpenAPI document", async () => {
    const spec = (await (await fetch(at("/openapi.json"))).json()) as { paths: Record<string, Record<string, unknown>> }
    assert.includeMembers(Object.keys(spec.paths), [
      "/v1/items/{itemId}/photos",
      "/v1/items/{itemId}/photos/{photoId}",
      "/v1/profiles/{userId}/photo"
    ])
    const upload = spec.paths["/v1/items/{itemId}/photos"]!.post as { requestBody: { content: object } }
    assert.deepStrictEqual(Object.keys(upload.requestBody.content), ["multipart/form-data"])
  })
})

describe("photo routes with small limits", () => {
  const LIMIT = 100_000
  let root: string
  let server: Server

  beforeAll(async () => {
    root = await tempRoot()
    server = await startServer(root, {
      LOCALEX_HTTP_API_KEYS: API_KEYS,
      IMAGE_MAX_INPUT_BYTES: String(LIMIT),
      LOCALEX_HTTP_CDN_BASE_URL: "https://cdn.localex.example/"
    })
  })
  afterAll(async () => {
    await server?.stop()
    await removeRoot(root)
  })

  it("refuses an upload over IMAGE_MAX_INPUT_BYTES with 413, from Content-Length or as it streams, and stores nothing", async () => {
    const big = randomBytes(LIMIT * 3)
    const declared = await fetch(`${server.url}/v1/items/big-1/photos`, {
      method: "POST",
      body: form(big, "big.jpg", "image/jpeg"),
      headers: bearer(KEYS.write)
    })
    const tooBig = await problem(declared, 413, "payload-too-large")
    assert.include(tooBig.detail, "IMAGE_MAX_INPUT_BYTES")

    // No Content-Length, and a body that never ends: the answer can only come from the cap.
    const boundary = "localex-test-boundary"
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`
    )
    let sent = 0
    const endless = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (sent === 0) controller.enqueue(head)
        else await new Promise((wait) => setTimeout(wait, 5))
        controller.enqueue(big.subarray(0, 16 * 1024))
        sent += 16 * 1024
      }
    })
    const streamed = await fetch(`${server.url}/v1/items/big-2/photos`, {
      method: "POST",
      body: endless,
      headers: { ...bearer(KEYS.write), "content-type": `multipart/form-data; boundary=${boundary}` },
      duplex: "half"
    } as RequestInit)
    await problem(streamed, 413, "payload-too-large")
    assert.isBelow(sent, LIMIT * 3, "reading stopped soon after the cap")
    await endless.cancel().catch(() => undefined)

    assert.deepStrictEqual(await storedKeys(root, "items/"), [])
  })

  it("links variants under the CDN base URL (here its alias LOCALEX_HTTP_CDN_BASE_URL) when it is set", async () => {
    const small = await photoJpeg(400, 300, 3)
    assert.isBelow(small.length, LIMIT)
    const response = await fetch(`${server.url}/v1/items/cdn-1/photos`, {
      method: "POST",
      body: form(small, "small.jpg", "image/jpeg"),
      headers: bearer(KEYS.write)
    })
    assert.strictEqual(response.status, 201, await response.clone().text())
    const photo = (await response.json()) as Photo
    assert.isNull(photo.urlsExpireAt)
    assert.deepStrictEqual(
      photo.variants.map((v) => v.url),
      photo.variants.map((v) => `https://cdn.localex.example/${v.key}`)
    )
  })
})

describe("photo processing that times out", () => {
  it("answers 503 with Retry-After and stores nothing", async () => {
    const root = await tempRoot()
    const server = await startServer(root, { LOCALEX_HTTP_API_KEYS: API_KEYS, IMAGE_TIMEOUT_MS: "1" })
    try {
      const response = await fetch(`${server.url}/v1/items/slow-1/photos`, {
        method: "POST",
        body: form(await photoJpeg(2000, 1500), "slow.jpg", "image/jpeg"),
        headers: bearer(KEYS.write)
      })
      const body = await problem(response, 503, "processing-timeout")
      assert.include(body.detail, "IMAGE_TIMEOUT_MS")
      assert.strictEqual(response.headers.get("retry-after"), "5")
      assert.deepStrictEqual(await storedKeys(root, "items/"), [])
    } finally {
      await server.stop()
      await removeRoot(root)
    }
  })
})

describe("image settings", () => {
  it("a setting that cannot work stops the start with its name and exit code 1", async () => {
    const root = await tempRoot()
    try {
      const refused = await startServer(root, { LOCALEX_HTTP_API_KEYS: API_KEYS, IMAGE_QUALITY: "0" }).then(
        async (server) => {
          await server.stop()
          return "started"
        },
        (error: Error) => error.message
      )
      assert.include(refused, "exited (1)")
      assert.include(refused, "cannot start: Invalid image setting IMAGE_QUALITY")
    } finally {
      await removeRoot(root)
    }
  })
})
