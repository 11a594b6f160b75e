/**
 * `localex-storage image …`, the built binary spawned as a user would, on the fs driver in a
 * temp folder: variants written as files and decoded with sharp, uploads seen through
 * `object ls`, refused images (exit 1, one line, nothing stored) and usage errors (exit 2).
 */
import { readdir, readFile, stat, truncate, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { assertOneLineError, type Run, run, tempDir } from "./helpers.js"
import { decoded, photoJpeg, smallPng } from "./images.js"

let dir: Awaited<ReturnType<typeof tempDir>>
let env: Record<string, string>
let photo: Buffer
const cli = (args: ReadonlyArray<string>, extra: Record<string, string> = {}): Promise<Run> =>
  run(args, { env: { ...env, ...extra }, cwd: dir.path })

/** The keys under `prefix`, as `object ls` shows them. */
const storedKeys = async (prefix: string): Promise<ReadonlyArray<string>> => {
  const ls = await cli(["--json", "object", "ls", "-r", "--prefix", prefix])
  assert.strictEqual(ls.code, 0, ls.stderr)
  return (JSON.parse(ls.text) as { entries: Array<{ key: string }> }).entries.map((entry) => entry.key)
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false
  )

interface Manifest {
  readonly photoId: string
  readonly prefix: string
  readonly source: { readonly format: string; readonly width: number; readonly height: number; readonly bytes: number }
  readonly variants: ReadonlyArray<{ readonly key: string; readonly size: string; readonly format: string }>
}

/** Upright 1500×2000 once oriented: WebP and JPEG at large (1200), medium (800), thumbnail (300). */
const VARIANTS = [
  ["large.webp", "webp", 900, 1200],
  ["large.jpg", "jpeg", 900, 1200],
  ["medium.webp", "webp", 600, 800],
  ["medium.jpg", "jpeg", 600, 800],
  ["thumbnail.webp", "webp", 225, 300],
  ["thumbnail.jpg", "jpeg", 225, 300]
] as const

beforeAll(async () => {
  dir = await tempDir()
  env = { LOCALEX_STORAGE_DRIVER: "fs", LOCALEX_STORAGE_FS_ROOT: join(dir.path, "data") }
  photo = await photoJpeg(2000, 1500)
  await writeFile(join(dir.path, "IMG_0001.jpg"), photo)
})
afterAll(() => dir[Symbol.asyncDispose]())

describe("localex-storage image", () => {
  it("process writes {out}/{size}.{ext} files that decode to the sizes it prints, and stores nothing", async () => {
    const result = await cli(["image", "process", "IMG_0001.jpg"])
    assert.strictEqual(result.code, 0, result.stderr)
    const out = join(dir.path, "IMG_0001-variants")
    assert.deepStrictEqual((await readdir(out)).sort(), VARIANTS.map(([name]) => name).sort())
    for (const [name, format, width, height] of VARIANTS) {
      const bytes = await readFile(join(out, name))
      assert.deepStrictEqual(await decoded(bytes), { format, width, height }, name)
      const size = name.split(".")[0]!
      assert.match(result.text, new RegExp(`^${size}\\s+${format}\\s+${width}×${height}\\s+.+\\s${out}/${name}$`, "m"))
    }
    assert.include(result.text, "jpeg 1500×2000")

    const json = await cli(["--json", "image", "process", "IMG_0001.jpg", "--out", "elsewhere"])
    assert.strictEqual(json.code, 0, json.stderr)
    const doc = JSON.parse(json.text) as {
      out: string
      variants: Array<{ size: string; format: string; width: number; height: number; bytes: number; path: string }>
    }
    assert.strictEqual(doc.out, join(dir.path, "elsewhere"))
    assert.deepStrictEqual(
      doc.variants.map((v) => [v.path.slice(doc.out.length + 1), v.format, v.width, v.height]),
      VARIANTS.map((v) => [...v])
    )
    for (const variant of doc.variants) assert.strictEqual((await stat(variant.path)).size, variant.bytes)
    assert.isFalse(await exists(join(dir.path, "data")), "no store was opened")
  })

  it("upload --item stores every variant and the manifest; object ls shows their keys", async () => {
    const upload = await cli(["--json", "image", "upload", "IMG_0001.jpg", "--item", "item-1"])
    assert.strictEqual(upload.code, 0, upload.stderr)
    const manifest = JSON.parse(upload.text) as Manifest
    assert.strictEqual(manifest.prefix, `items/item-1/photos/${manifest.photoId}`)
    assert.deepStrictEqual(manifest.source, { format: "jpeg", width: 1500, height: 2000, bytes: photo.length })
    assert.deepStrictEqual(
      [...(await storedKeys("items/item-1/"))],
      [...manifest.variants.map((v) => v.key), `${manifest.prefix}/manifest.json`].sort()
    )
    assert.deepStrictEqual(
      manifest.variants.map((v) => v.key.slice(manifest.prefix.length + 1)),
      VARIANTS.map(([name]) => name)
    )
    const stored = await cli(["object", "get", manifest.variants[1]!.key, "-"])
    assert.deepStrictEqual(await decoded(stored.stdout), { format: "jpeg", width: 900, height: 1200 })

    const shown = await cli(["--json", "image", "manifest", manifest.prefix])
    assert.deepStrictEqual(JSON.parse(shown.text), manifest)
    const text = await cli(["image", "manifest", `${manifest.prefix}/manifest.json`])
    assert.strictEqual(text.code, 0, text.stderr)
    assert.match(text.text, new RegExp(`^photo id\\s+${manifest.photoId}$`, "m"))
    assert.match(text.text, /^thumbnail\s+webp\s+225×300\s/m)
  })

  it("refuses a damaged or mislabelled image: exit 1, one line on stderr, nothing stored", async () => {
    await writeFile(join(dir.path, "cut.jpg"), photo.subarray(0, photo.length / 3))
    await writeFile(join(dir.path, "empty.jpg"), "")
    await writeFile(join(dir.path, "holiday.jpg"), await smallPng(64, 64))
    await writeFile(join(dir.path, "notes.txt.jpg"), "these are not pixels")
    const cases = [
      ["cut.jpg", "cannot be decoded"],
      ["empty.jpg", "empty"],
      ["holiday.jpg", "the bytes are png"],
      ["notes.txt.jpg", "Unsupported image format"]
    ] as const
    for (const [file, says] of cases) {
      assertOneLineError(await cli(["image", "upload", file, "--item", "item-bad"]), 1, says)
      assertOneLineError(await cli(["image", "process", file, "--out", "bad-out"]), 1, says)
    }
    assert.deepStrictEqual(await storedKeys("items/item-bad/"), [])
    assert.isFalse(await exists(join(dir.path, "bad-out")))
  })

  it("refuses a file over IMAGE_MAX_INPUT_BYTES without reading it", async () => {
    // 8 GiB that take no disk: reading it would fail otherwise, and slowly.
    const huge = join(dir.path, "huge.jpg")
    await writeFile(huge, "")
    await truncate(huge, 8 * 1024 ** 3)
    assertOneLineError(await cli(["image", "process", "huge.jpg"]), 1, "IMAGE_MAX_INPUT_BYTES")
    assertOneLineError(
      await cli(["image", "upload", "IMG_0001.jpg", "--item", "item-2"], { IMAGE_MAX_INPUT_BYTES: "1000" }),
      1,
      "over the limit of 1000 bytes"
    )
    assert.deepStrictEqual(await storedKeys("items/item-2/"), [])
    assert.isFalse(await exists(join(dir.path, "huge-variants")))
  })

  it("upload --user replaces the profile photo; delete --dry-run lists the keys, delete removes them", async () => {
    await writeFile(join(dir.path, "me.jpg"), await photoJpeg(640, 480, 2))
    const first = JSON.parse((await cli(["--json", "image", "upload", "IMG_0001.jpg", "--user", "user-7"])).text)
    const second = await cli(["--json", "image", "upload", "me.jpg", "--user", "user-7"])
    assert.strictEqual(second.code, 0, second.stderr)
    const current = JSON.parse(second.text) as Manifest
    assert.notStrictEqual(current.photoId, (first as Manifest).photoId)
    const keys = await storedKeys("profiles/user-7/photos/")
    assert.strictEqual(keys.length, 7, keys.join("\n"))
    assert.isTrue(keys.every((key) => key.startsWith(`${current.prefix}/`)))

    const dry = await cli(["image", "delete", "--dry-run", current.prefix])
    assert.strictEqual(dry.code, 0, dry.stderr)
    const planned = dry.text.trimEnd().split("\n")
    assert.strictEqual(planned.length, 7)
    assert.strictEqual(planned.at(-1), `would delete ${current.prefix}/manifest.json`, "the manifest goes last")
    assert.strictEqual((await storedKeys("profiles/user-7/photos/")).length, 7, "a dry run deletes nothing")

    const deleted = await cli(["--json", "image", "delete", current.prefix])
    assert.strictEqual(deleted.code, 0, deleted.stderr)
    assert.deepStrictEqual(
      [...(JSON.parse(deleted.text) as { deleted: Array<string> }).deleted].sort(),
      [...keys].sort()
    )
    assert.deepStrictEqual(await storedKeys("profiles/user-7/photos/"), [])
    assertOneLineError(await cli(["image", "delete", current.prefix]), 1, "No photo at")
  })

  it("10 image upload --user at once (separate processes) leave exactly one whole photo, the one the pointer names", async () => {
    const files = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const name = `racer-${i}.jpg`
        await writeFile(join(dir.path, name), await photoJpeg(320, 240, 200 + i))
        return name
      })
    )
    const runs = await Promise.all(files.map((file) => cli(["--json", "image", "upload", file, "--user", "racer-9"])))
    for (const result of runs) assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(new Set(runs.map((r) => (JSON.parse(r.text) as Manifest).photoId)).size, 10)

    const keys = await storedKeys("profiles/racer-9/photos/")
    assert.strictEqual(keys.length, 7, keys.join("\n"))
    const pointer = await cli(["object", "get", "profiles/racer-9/photo.json", "-"])
    const named = (JSON.parse(pointer.text) as { prefix: string }).prefix
    assert.isTrue(
      keys.every((key) => key.startsWith(`${named}/`)),
      `${named}\n${keys.join("\n")}`
    )
    const manifest = await cli(["--json", "image", "manifest", named])
    assert.strictEqual(manifest.code, 0, manifest.stderr)
    assert.deepStrictEqual(
      [...(JSON.parse(manifest.text) as Manifest).variants.map((v) => v.key), `${named}/manifest.json`].sort(),
      [...keys].sort()
    )
  })

  it("usage errors exit 2: no target or two, a bad photo reference, a bad item id, an image setting", async () => {
    assertOneLineError(await cli(["image", "upload", "IMG_0001.jpg"]), 2, "--item <id> or --user <userId>")
    assertOneLineError(
      await cli(["image", "upload", "IMG_0001.jpg", "--item", "a", "--user", "b"]),
      2,
      "--item <id> or --user <userId>"
    )
    assertOneLineError(await cli(["image", "manifest", "items/1/photo.jpg"]), 2, "Invalid photo reference")
    assertOneLineError(await cli(["image", "delete", "--dry-run", "items/"]), 2, "Invalid photo reference")
    assertOneLineError(await cli(["image", "upload", "IMG_0001.jpg", "--item", "no/slash"]), 2, "Invalid key")
    assertOneLineError(await cli(["image", "process", "IMG_0001.jpg"], { IMAGE_QUALITY: "0" }), 2, "IMAGE_QUALITY")
    const json = await cli(["--json", "image", "manifest", "nope"])
    assert.strictEqual(json.code, 2)
    assert.strictEqual(JSON.parse(json.text).error.tag, "InvalidPhotoRef")
  })

  it("--help shows usage and an example for every image command", async () => {
    for (const command of ["process", "upload", "manifest", "delete"]) {
      const help = await cli(["image", command, "--help"])
      assert.strictEqual(help.code, 0, help.stderr)
      assert.include(help.text, `localex-storage image ${command}`)
      assert.include(help.text, "EXAMPLES")
    }
  })
})
