// The guide's snippets on the Promise APIs, against the fs driver and the local Ceph RGW.
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client
} from "@aws-sdk/client-s3"
import { CorruptImage } from "@localex/image-processing/promise"
import { photoJpeg } from "@localex/image-processing/testing"
import { testS3 } from "@localex/local-s3"
import { createStorageService, InvalidKey, ObjectNotFound, type StorageOverrides } from "@localex/storage-core/promise"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { deleteOrphans, optimize, processAll, services, totalSize, uploadFile } from "../src/guide.js"

const s3 = testS3()

const drivers: Array<{
  name: string
  skip: boolean
  settings: () => Promise<StorageOverrides>
  done: () => Promise<void>
}> = [
  {
    name: "fs",
    skip: false,
    settings: async () => ({ driver: "fs", root: await fs.mkdtemp(path.join(os.tmpdir(), "localex-examples-")) }),
    done: async () => {}
  }
]

let raw: S3Client | undefined
const buckets: Array<string> = []
if (s3) {
  raw = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    forcePathStyle: true
  })
  drivers.push({
    name: "s3 (local Ceph RGW)",
    skip: false,
    settings: async () => {
      // The Promise API reads credentials like the AWS SDK: from the environment here.
      process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId
      process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey
      process.env.LOCALEX_STORAGE_S3_CHECKSUMS = "when_required"
      const bucket = `examples-${Date.now().toString(36)}-${buckets.length}`
      await raw!.send(new CreateBucketCommand({ Bucket: bucket }))
      buckets.push(bucket)
      return { driver: "s3", bucket, endpoint: s3.endpoint, region: s3.region }
    },
    done: async () => {}
  })
}

afterAll(async () => {
  for (const bucket of buckets) {
    const listed = await raw!.send(new ListObjectsV2Command({ Bucket: bucket }))
    const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }))
    if (keys.length > 0) await raw!.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }))
    await raw!.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined)
  }
})

let photo: Buffer
beforeAll(async () => {
  photo = await photoJpeg({ width: 1600, height: 1200, quality: 92, seed: 7 })
})

for (const driver of drivers) {
  describe(`the guide on ${driver.name}`, () => {
    it("uploads, reads back, lists, sums and deletes files", async () => {
      const guide = services(await driver.settings())
      try {
        const info = await uploadFile(guide, "items/1/notes.txt", new TextEncoder().encode("hello"))
        expect(info.size).toBe(5)
        await uploadFile(guide, "items/2/big.bin", new Uint8Array(10_000).fill(7))
        expect(await totalSize(guide)).toBe(10_005)

        const { storageService } = guide
        expect(new TextDecoder().decode(await storageService.readFile("items/1/notes.txt"))).toBe("hello")
        const download = await storageService.downloadFile("items/2/big.bin", { range: { start: 10, end: 19 } })
        const chunks: Array<Buffer> = []
        for await (const chunk of download.body) chunks.push(chunk as Buffer)
        expect(Buffer.concat(chunks)).toEqual(Buffer.alloc(10, 7))
        expect(download.range).toEqual({ start: 10, end: 19, size: 10_000 })

        const listed: Array<string> = []
        for await (const entry of storageService.listFiles("items/"))
          if (entry._tag === "Object") listed.push(entry.key)
        expect(listed).toEqual(["items/1/notes.txt", "items/2/big.bin"])

        const copy = await storageService.copyFile("items/1/notes.txt", "items/1/copy.txt")
        expect(copy.size).toBe(5)
        const url = await storageService.getSignedUrl("items/1/copy.txt", { method: "GET", expiresIn: 60 })
        expect(url.expiresAt.getTime()).toBeGreaterThan(Date.now())

        const outcomes = await storageService.deleteFiles(["items/1/notes.txt", "items/1/copy.txt", "items/2/big.bin"])
        expect(outcomes.every((o) => o.deleted)).toBe(true)
        expect(await totalSize(guide)).toBe(0)
      } finally {
        await guide.close()
      }
    })

    it("rejects with the packages' own error classes", async () => {
      await using storageService = createStorageService(await driver.settings())
      const missing = await storageService.getFileInfo("items/none").catch((error: unknown) => error)
      expect(missing).toBeInstanceOf(ObjectNotFound)
      const refused = await storageService.uploadFile("items/../etc", new Uint8Array(1)).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(InvalidKey)
      expect((refused as InvalidKey).message).toMatch(/\.\./)
    })

    it("optimises one photo and processes several in parallel; a corrupt one is refused with CorruptImage", async () => {
      const guide = services(await driver.settings())
      try {
        const optimized = await optimize(guide, photo)
        expect(optimized.outputBytes).toBeLessThan(photo.length)
        const manifests = await processAll(guide, [
          { itemId: "10", buffer: photo },
          { itemId: "11", buffer: await photoJpeg({ width: 800, height: 600, quality: 90, seed: 8 }) }
        ])
        expect(manifests.map((m) => m.variants.length)).toEqual([6, 6])
        for (const manifest of manifests)
          for (const variant of manifest.variants)
            expect((await guide.storageService.getFileInfo(variant.key)).size).toBeGreaterThan(0)

        const corrupt = Buffer.from(photo.subarray(0, 2000))
        const refused = await guide.imageService.processAndUpload(corrupt, { kind: "item", id: "12" }).catch((e) => e)
        expect(refused).toBeInstanceOf(CorruptImage)
        const left: Array<string> = []
        for await (const entry of guide.storageService.listFiles("items/12/")) left.push(String(entry))
        expect(left).toEqual([])
      } finally {
        await guide.close()
      }
    })

    it("finds orphaned files and deletes them, keeping what the application references", async () => {
      const guide = services(await driver.settings())
      try {
        for (const key of ["items/1/photos/a/large.jpg", "items/2/photos/b/large.jpg", "profiles/9/photos/c/large.jpg"])
          await uploadFile(guide, key, new Uint8Array(100))
        const deleted = await deleteOrphans(guide, ["items/1/photos/a/large.jpg"])
        expect(deleted.sort()).toEqual(["items/2/photos/b/large.jpg", "profiles/9/photos/c/large.jpg"])
        const left: Array<string> = []
        for await (const entry of guide.storageService.listFiles()) if (entry._tag === "Object") left.push(entry.key)
        expect(left).toEqual(["items/1/photos/a/large.jpg"])
      } finally {
        await guide.close()
      }
    })

    it("an upload aborted mid-way leaves nothing: no object, no multipart upload", async () => {
      const settings = await driver.settings()
      await using storageService = createStorageService(settings)
      const controller = new AbortController()
      let sent = 0
      async function* slowBody() {
        for (let i = 0; i < 64; i++) {
          yield new Uint8Array(1024 * 1024).fill(i)
          sent += 1024 * 1024
          if (sent === 24 * 1024 * 1024) controller.abort(new Error("the user cancelled"))
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      }
      const failure = await storageService
        .uploadFile("items/big/video.bin", slowBody(), { signal: controller.signal })
        .catch((e: unknown) => e)
      expect((failure as Error).message).toBe("the user cancelled")
      expect(sent).toBeLessThan(64 * 1024 * 1024)
      expect(await storageService.fileExists("items/big/video.bin")).toBe(false)
      if (settings.driver === "s3") {
        const uploads = await raw!.send(new ListMultipartUploadsCommand({ Bucket: settings.bucket! }))
        expect(uploads.Uploads ?? []).toEqual([])
      } else {
        const leftovers = await fs.readdir(path.join(settings.root!, ".localex", "tmp"))
        expect(leftovers).toEqual([])
      }
    })
  })
}
