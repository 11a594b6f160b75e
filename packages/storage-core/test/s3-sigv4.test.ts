/**
 * The put signer (drivers/s3/sigv4.ts) signs as @smithy/signature-v4 does: for the same request,
 * time and credentials, the same headers and Authorization. (That RGW accepts its signatures is
 * shown by every single-part put in s3-put-rgw.test.ts and s3-put-pool.test.ts.)
 */
import { SignatureV4 } from "@smithy/signature-v4"
import { assert, describe, test } from "vitest"
import { bucketAddress, NodeSha256 } from "../src/drivers/s3/presign.js"
import { makePutSigner } from "../src/drivers/s3/sigv4.js"
import { type Credentials, CredentialsCache } from "../src/internal/credentials.js"

const AT = Date.UTC(2026, 11, 3, 10, 15, 42, 123)
const HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

const smithy = async (
  target: Parameters<typeof bucketAddress>[0],
  credentials: Credentials,
  path: string,
  headers: Record<string, string>
) => {
  const { protocol, hostname, port, host, bucketPath } = bucketAddress(target)
  const signer = new SignatureV4({
    service: "s3",
    region: target.region,
    credentials,
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false
  })
  const signed = await signer.sign(
    {
      method: "PUT",
      protocol,
      hostname,
      ...(port === undefined ? {} : { port }),
      path: `${bucketPath}${path}`,
      query: {},
      headers: { ...headers, host, "x-amz-content-sha256": HASH }
    },
    { signingDate: new Date(AT) }
  )
  return signed.headers
}

describe("put signer", () => {
  const cases: ReadonlyArray<{
    name: string
    endpoint?: string
    forcePathStyle: boolean
    token?: string
    headers: Record<string, string>
  }> = [
    {
      name: "path style, plain headers",
      endpoint: "http://127.0.0.1:7480",
      forcePathStyle: true,
      headers: { "content-length": "4", "content-type": "text/plain" }
    },
    {
      name: "virtual host, all the write headers, a session token",
      forcePathStyle: false,
      token: "FwoGZXIvYXdzE//token==",
      headers: {
        "content-length": "4096",
        "content-type": "image/jpeg",
        "cache-control": "public, max-age=60",
        "content-disposition": 'attachment;  filename="a  b.jpg" ',
        "x-amz-tagging": "kind=photo&owner%20id=a%20b%2Bc",
        "if-none-match": "*",
        "x-amz-meta-camera": "X100",
        "x-amz-checksum-crc32": "AAAAAA=="
      }
    }
  ]
  for (const c of cases) {
    test(c.name, async () => {
      const target = { bucket: "photos", region: "eu-west-3", endpoint: c.endpoint, forcePathStyle: c.forcePathStyle }
      const credentials: Credentials = {
        accessKeyId: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ...(c.token === undefined ? {} : { sessionToken: c.token })
      }
      const ours = await makePutSigner(
        target,
        new CredentialsCache(async () => credentials),
        () => AT
      )({
        method: "PUT",
        path: "/dir/na%C3%AFve%20file.jpg",
        headers: c.headers,
        payloadHash: HASH
      })
      const theirs = await smithy(target, credentials, "/dir/na%C3%AFve%20file.jpg", c.headers)
      assert.deepStrictEqual(ours.headers, theirs)
      assert.match(
        ours.headers.authorization ?? "",
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261203\/eu-west-3\/s3\/aws4_request, /
      )
    })
  }
})
