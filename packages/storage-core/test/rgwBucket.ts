/**
 * A bucket of its own on the test RGW for one describe block: created before its tests, emptied
 * and removed after them. `s3` stands in with an unreachable endpoint when no engine runs (the
 * block is skipped then).
 */
import { CreateBucketCommand, GetObjectCommand } from "@aws-sdk/client-s3"
import { afterAll, beforeAll } from "vitest"
import { bucketName, dropBucket, rawClient, type S3Engine } from "../src/testing.js"

export const rgwBucket = (engine: S3Engine | undefined, label: string) => {
  const s3 = engine ?? { endpoint: "http://127.0.0.1:9", region: "us-east-1", accessKeyId: "-", secretAccessKey: "-" }
  const raw = rawClient(engine)
  const bucket = bucketName(label)
  beforeAll(async () => {
    await raw.send(new CreateBucketCommand({ Bucket: bucket }))
  })
  afterAll(async () => {
    await dropBucket(raw, bucket)
    raw.destroy()
  })
  /** The object's bytes (rejects when there is none). */
  const storedBytes = (key: string) =>
    raw
      .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      .then(async (out) => Buffer.from(await out.Body!.transformToByteArray()))
  /** The object's bytes as text, or undefined when there is none. */
  const stored = (key: string) => storedBytes(key).then(String, () => undefined)
  return { s3, raw, bucket, stored, storedBytes }
}
