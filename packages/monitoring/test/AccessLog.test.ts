import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as AccessLog from "../src/AccessLog.js"
import { logLine } from "../src/testing.js"

// The example log of AWS's "Amazon S3 server access log format" page (27 fields: through
// aclRequired and the source region).
const docLines = readFileSync(join(import.meta.dirname, "fixtures/aws-doc.log"), "utf8")
  .trim()
  .split("\n")

const record = (line: string) => {
  const parsed = AccessLog.parseLine(line)
  if (parsed._tag !== "Record") throw new Error(`malformed: ${parsed.reason}`)
  return parsed.record
}

describe("AccessLog.parseLine", () => {
  it("reads every field of AWS's documented example", () => {
    const first = record(docLines[0]!)
    assert.deepStrictEqual(first, {
      bucketOwner: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
      bucket: "amzn-s3-demo-bucket1",
      time: Date.UTC(2019, 1, 6, 0, 0, 38),
      remoteIp: "192.0.2.3",
      requester: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
      requestId: "3E57427F3EXAMPLE",
      operation: "REST.GET.VERSIONING",
      key: null,
      rawKey: null,
      requestUri: "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1",
      httpStatus: 200,
      errorCode: null,
      bytesSent: 113,
      objectSize: null,
      totalTimeMs: 7,
      turnAroundTimeMs: null,
      referer: null,
      userAgent: "S3Console/0.4",
      versionId: null,
      hostId: "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=",
      signatureVersion: "SigV4",
      cipherSuite: "ECDHE-RSA-AES128-GCM-SHA256",
      authenticationType: "AuthHeader",
      hostHeader: "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com",
      tlsVersion: "TLSV1.2",
      accessPointArn: "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP",
      aclRequired: "Yes",
      sourceRegion: "us-east-1",
      extra: []
    })
  })

  it("reads the example's error and upload records", () => {
    const policy = record(docLines[2]!)
    assert.strictEqual(policy.httpStatus, 404)
    assert.strictEqual(policy.errorCode, "NoSuchBucketPolicy")
    const put = record(docLines[4]!)
    assert.deepStrictEqual(
      [put.operation, put.key, put.bytesSent, put.objectSize, put.totalTimeMs, put.turnAroundTimeMs, put.cipherSuite],
      ["REST.PUT.OBJECT", "s3-dg.pdf", 0, 4406583, 41754, 28, "ECDHE-RSA-AES128-SHA"]
    )
  })

  it("reads older records that stop after the user agent, and keeps fields S3 adds later", () => {
    const old = record(docLines[0]!.split(" ").slice(0, 20).join(" "))
    assert.strictEqual(old.userAgent, "S3Console/0.4")
    assert.strictEqual(old.versionId, null)
    assert.strictEqual(old.sourceRegion, null)
    const newer = record(`${docLines[0]} FutureField "quoted future"`)
    assert.deepStrictEqual(newer.extra, ["FutureField", "quoted future"])
  })

  it("quoted fields keep their spaces and escaped quotes; keys are URL-decoded", () => {
    const line = logLine({
      time: Date.UTC(2026, 11, 1, 23, 59, 59),
      operation: "REST.GET.OBJECT",
      key: "items/42/caf%C3%A9%20photo.jpg",
      requestUri: "GET /localex-storage/items/42/caf%C3%A9%20photo.jpg?x=1 HTTP/2.0",
      status: 206,
      referer: 'https://localex.example/search?q="bike lock"',
      userAgent: 'Mozilla/5.0 (X11; Linux) "quoted" [brackets]'
    })
    const parsed = record(line)
    assert.strictEqual(parsed.key, "items/42/café photo.jpg")
    assert.strictEqual(parsed.rawKey, "items/42/caf%C3%A9%20photo.jpg")
    assert.strictEqual(parsed.referer, 'https://localex.example/search?q="bike lock"')
    assert.strictEqual(parsed.userAgent, 'Mozilla/5.0 (X11; Linux) "quoted" [brackets]')
    assert.strictEqual(parsed.httpStatus, 206)
    assert.strictEqual(parsed.time, Date.UTC(2026, 11, 1, 23, 59, 59))
  })

  it("'-' is null everywhere, 0 for bytes sent; a bare '-' request line is one field", () => {
    const parsed = record(
      logLine({
        time: Date.UTC(2026, 0, 1),
        remoteIp: "-",
        requester: "-",
        operation: "REST.GET.OBJECT",
        key: "-",
        requestUri: "-",
        status: "-",
        bytesSent: "-",
        objectSize: "-",
        totalTimeMs: "-",
        turnAroundTimeMs: "-"
      })
    )
    assert.deepStrictEqual(
      [
        parsed.remoteIp,
        parsed.requester,
        parsed.key,
        parsed.requestUri,
        parsed.httpStatus,
        parsed.bytesSent,
        parsed.objectSize
      ],
      [null, null, null, null, null, 0, null]
    )
    assert.strictEqual(parsed.userAgent, "aws-sdk-js/3.0 ua/2.1 os/linux lang/js")
  })

  it("applies the time's zone offset", () => {
    const line = docLines[0]!.replace("[06/Feb/2019:00:00:38 +0000]", "[06/Feb/2019:01:30:38 +0130]")
    assert.strictEqual(record(line).time, Date.UTC(2019, 1, 6, 0, 0, 38))
  })

  it("names what is wrong with malformed lines", () => {
    const reason = (line: string) => {
      const parsed = AccessLog.parseLine(line)
      return parsed._tag === "Malformed" ? parsed.reason : "Record"
    }
    assert.strictEqual(reason("not a log line"), "too few fields")
    assert.strictEqual(reason(docLines[0]!.replace('"S3Console/0.4"', '"S3Console/0.4')), "unterminated quote")
    assert.strictEqual(reason(docLines[0]!.replace("+0000]", "+0000")), "unterminated bracket")
    assert.strictEqual(reason(docLines[0]!.replace("06/Feb/2019", "06/Foo/2019")), "bad time")
    assert.strictEqual(reason(docLines[0]!.replace('HTTP/1.1" 200', 'HTTP/1.1" 2x0')), "bad status")
    assert.strictEqual(reason(docLines[0]!.replace('HTTP/1.1" 200', 'HTTP/1.1" 999')), "bad status")
    assert.strictEqual(reason(docLines[0]!.replace("200 - 113", "200 - 11a")), "bad number")
    assert.strictEqual(reason(`${docLines[0]!} ${"x ".repeat(40)}`), "too many fields")
  })
})

describe("AccessLog.dayPrefixes", () => {
  it("lists both key layouts per day, and the day after the window for late deliveries", () => {
    assert.deepStrictEqual(AccessLog.dayPrefixes("logs", Date.UTC(2026, 11, 1), Date.UTC(2026, 11, 2)), [
      "logs/2026/12/01/",
      "logs/2026-12-01-",
      "logs/2026/12/02/",
      "logs/2026-12-02-"
    ])
  })
})
