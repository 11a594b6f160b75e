/**
 * The s3 driver's listing below the SDK: ListObjectsV2 is signed and parsed by the driver
 * (internal/s3List.ts, internal/s3ListXml.ts), so its boundary is HTTP. The parser is tested on
 * documents; the request, paging, retries and error mapping against a local HTTP server
 * answering canned XML. RGW itself is in s3.test.ts (the contract's listings, awkward keys).
 */
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Stream } from "effect"
import { afterAll, beforeAll, beforeEach } from "vitest"
import * as S3 from "../src/drivers/S3.js"
import { parseUploadsPage, parseVersioning } from "../src/drivers/s3/bucketXml.js"
import { parseErrorXml, parseListPage } from "../src/drivers/s3/listXml.js"
import { RetryBaseDelay } from "../src/drivers/s3/retry.js"
import { MiB, type S3Options } from "../src/StorageConfig.js"

const result = (body: string, extra = "") =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>photos</Name>${extra}${body}</ListBucketResult>`
const contents = (key: string, size = 1, more = "") =>
  `<Contents><Key>${key}</Key><LastModified>2024-05-06T07:08:09.123Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>${size}</Size>${more}</Contents>`

describe("parseListPage", () => {
  it("reads every field of a page, skipping elements it does not use", () => {
    const page = parseListPage(
      result(
        `${contents("a", 5, "<Owner><ID>x</ID><DisplayName>y</DisplayName></Owner><StorageClass>STANDARD</StorageClass>")}` +
          `<Contents><Key>b</Key><LastModified>2024-05-06T07:08:09Z</LastModified><ETag>"e-2"</ETag><Size>0</Size><Type>Normal</Type></Contents>` +
          "<CommonPrefixes><Prefix>c/</Prefix></CommonPrefixes><!-- a comment -->",
        "<Prefix></Prefix><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><NextContinuationToken>t+/=</NextContinuationToken>"
      )
    )
    assert.deepStrictEqual(page, {
      objects: [
        {
          key: "a",
          size: 5,
          etag: '"abc"',
          lastModified: new Date("2024-05-06T07:08:09.123Z"),
          storageClass: "STANDARD"
        },
        { key: "b", size: 0, etag: '"e-2"', lastModified: new Date("2024-05-06T07:08:09Z"), storageClass: undefined }
      ],
      prefixes: ["c/"],
      isTruncated: true,
      nextContinuationToken: "t+/=",
      keyCount: 3
    })
  })

  it("URL-decodes keys and prefixes when the response is URL-encoded, and only then", () => {
    const body = `${contents("a%01b+c%2Bd%20%E6%97%A5%F0%9F%98%80")}<CommonPrefixes><Prefix>p%26q%2F</Prefix></CommonPrefixes>`
    const encoded = parseListPage(result(body, "<EncodingType>url</EncodingType>"))
    assert.deepStrictEqual(
      encoded.objects.map((o) => o.key),
      ["a\u0001b c+d \u65e5\u{1F600}"]
    )
    assert.deepStrictEqual(encoded.prefixes, ["p&q/"])
    // EncodingType may follow the keys: decoding does not depend on the order.
    assert.strictEqual(
      parseListPage(result(`${contents("x%20y")}<EncodingType>url</EncodingType>`)).objects[0]?.key,
      "x y"
    )
    assert.strictEqual(parseListPage(result(contents("a+b%20"))).objects[0]?.key, "a+b%20")
  })

  it("decodes XML entities, self-closing and empty elements", () => {
    const page = parseListPage(
      result(
        `${contents("&lt;a&gt; &amp; &apos;&#65;&#x1F600;")}<NextContinuationToken/>`,
        "<IsTruncated>false</IsTruncated>"
      )
    )
    assert.strictEqual(page.objects[0]?.key, "<a> & 'A\u{1F600}")
    assert.isUndefined(page.nextContinuationToken)
    assert.isFalse(page.isTruncated)
    assert.deepStrictEqual(parseListPage(result("", "<KeyCount>0</KeyCount>")).objects, [])
    assert.deepStrictEqual(parseListPage('<ListBucketResult xmlns="x"/>').objects, [])
  })

  it("throws on anything but a well-formed ListBucketResult of the expected shape", () => {
    const bad = [
      "",
      "not xml",
      "<Error><Code>x</Code></Error>",
      result(contents("a")).replace("</ListBucketResult>", ""),
      result("<Contents><Key>a</Key></Contents>"),
      result(contents("a").replace("</Key>", "</Ke>")),
      result(contents("a", 1).replace("<Size>1</Size>", "<Size>-1</Size>")),
      result(contents("a", 1).replace("<Size>1</Size>", "<Size>1.5</Size>")),
      result(contents("a").replace("2024-05-06T07:08:09.123Z", "yesterday")),
      result(contents("a&nbsp;")),
      result(contents("a & b")),
      result(contents("<![CDATA[a]]>")),
      result("<CommonPrefixes></CommonPrefixes>"),
      `${result("")}<ListBucketResult/>`,
      result(contents("%E6%97"), "<EncodingType>url</EncodingType>"),
      result(contents("a < b")),
      result(contents("a&amp")),
      result(contents("&#x110000;")),
      result("<!-- not closed"),
      '<?xml version="1.0"<ListBucketResult/>',
      result(contents("a").replace("<Size>", "<Size")),
      result("</Contents>")
    ]
    for (const xml of bad) assert.throws(() => parseListPage(xml), undefined, undefined, xml)
  })
})

describe("parseErrorXml", () => {
  it("reads Code and Message; anything else is undefined", () => {
    assert.deepStrictEqual(
      parseErrorXml(
        '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please &amp; reduce</Message><RequestId>r</RequestId></Error>'
      ),
      { code: "SlowDown", message: "Please & reduce" }
    )
    for (const body of ["", "<html>busy</html>", "<Error><Message>m</Message></Error>", "<Error><Code>x</Code>"])
      assert.isUndefined(parseErrorXml(body), body)
  })
})

const versioning = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body}</VersioningConfiguration>`
const uploadsResult = (body: string, extra = "") =>
  `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>photos</Bucket>${extra}${body}</ListMultipartUploadsResult>`
const upload = (key: string, id: string) =>
  `<Upload><Key>${key}</Key><UploadId>${id}</UploadId><Initiator><ID>x</ID></Initiator><StorageClass>STANDARD</StorageClass><Initiated>2024-05-06T07:08:09.000Z</Initiated></Upload>`

describe("parseVersioning", () => {
  it("reads Status and MfaDelete; a bucket never versioned is Disabled", () => {
    assert.deepStrictEqual(parseVersioning(versioning("")), { status: "Disabled", mfaDelete: "Disabled" })
    assert.deepStrictEqual(parseVersioning('<VersioningConfiguration xmlns="x"/>'), {
      status: "Disabled",
      mfaDelete: "Disabled"
    })
    assert.deepStrictEqual(parseVersioning(versioning("<Status>Enabled</Status><MfaDelete>Enabled</MfaDelete>")), {
      status: "Enabled",
      mfaDelete: "Enabled"
    })
    assert.deepStrictEqual(parseVersioning(versioning("<Status>Suspended</Status>")), {
      status: "Suspended",
      mfaDelete: "Disabled"
    })
  })

  it("takes moto's <GetBucketVersioningResponse> and <ListMultipartUploadsResponse> wrappers as S3's documents", () => {
    assert.deepStrictEqual(
      parseVersioning(
        '<?xml version="1.0"?><GetBucketVersioningResponse xmlns="x"><Status>Enabled</Status><requestId>r</requestId></GetBucketVersioningResponse>'
      ),
      { status: "Enabled", mfaDelete: "Disabled" }
    )
    const page = parseUploadsPage(
      `<ListMultipartUploadsResponse><Bucket>b</Bucket><IsTruncated>true</IsTruncated><NextKeyMarker>k</NextKeyMarker><NextUploadIdMarker>u1</NextUploadIdMarker>${upload("k", "u1")}</ListMultipartUploadsResponse>`
    )
    assert.deepStrictEqual(
      [page.uploads.map((u) => u.key), page.next],
      [["k"], { keyMarker: "k", uploadIdMarker: "u1" }]
    )
  })

  it("throws on another document, a malformed one or an unknown status", () => {
    for (const body of [
      "",
      "<ListBucketResult></ListBucketResult>",
      versioning("<Status>Enabled</Status").slice(0, -5),
      versioning("<Status>enabled</Status>"),
      versioning("<Status>Enabled</Status><MfaDelete>maybe</MfaDelete>"),
      `${versioning("")}<VersioningConfiguration/>`
    ])
      assert.throws(() => parseVersioning(body), /./, body)
  })
})

describe("parseUploadsPage", () => {
  it("reads uploads and the markers of the next page, URL-decoding keys when the answer is encoded", () => {
    const page = parseUploadsPage(
      uploadsResult(
        `${upload("a%20b+c%2B%E6%97%A5", "u1")}${upload("z", "u2")}`,
        "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextKeyMarker>z%26</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>"
      )
    )
    const initiated = new Date("2024-05-06T07:08:09.000Z")
    assert.deepStrictEqual(page, {
      uploads: [
        { key: "a b c+\u65e5", uploadId: "u1", initiated },
        { key: "z", uploadId: "u2", initiated }
      ],
      next: { keyMarker: "z&", uploadIdMarker: "u2" }
    })
    assert.deepStrictEqual(parseUploadsPage(uploadsResult(upload("a%20b", "u"), "<IsTruncated>false</IsTruncated>")), {
      uploads: [{ key: "a%20b", uploadId: "u", initiated }],
      next: undefined
    })
  })

  it("throws on a malformed page, an upload missing a field or a truncated page without markers", () => {
    for (const body of [
      "<VersioningConfiguration/>",
      uploadsResult("<Upload><Key>a</Key><UploadId>u</UploadId></Upload>"),
      uploadsResult("<Upload><UploadId>u</UploadId><Initiated>2024-05-06T07:08:09Z</Initiated></Upload>"),
      uploadsResult("<Upload><Key>a</Key><UploadId>u</UploadId><Initiated>yesterday</Initiated></Upload>"),
      uploadsResult(upload("a", "u"), "<IsTruncated>true</IsTruncated>"),
      uploadsResult("<Upload><Key>a</Key>"),
      uploadsResult(upload("%E6%97", "u"), "<EncodingType>url</EncodingType>")
    ])
      assert.throws(() => parseUploadsPage(body), /./, body)
  })
})

// --- against a local HTTP server ----------------------------------------------------------

type Answer = { readonly status: number; readonly body: string } | "reset"
const answers: Array<Answer> = []
const requests: Array<{ readonly url: URL; readonly headers: IncomingMessage["headers"] }> = []
let server: Server
let endpoint = ""

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push({ url: new URL(request.url ?? "/", "http://localhost"), headers: request.headers })
    const answer = answers.shift() ?? { status: 500, body: "<Error><Code>NoAnswer</Code></Error>" }
    if (answer === "reset") {
      request.socket.destroy()
      return
    }
    response.writeHead(answer.status, { "content-type": "application/xml" }).end(answer.body)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
beforeEach(() => {
  answers.length = 0
  requests.length = 0
})

const options = (): S3Options => ({
  bucket: "photos",
  region: "eu-west-1",
  endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  checksums: "when_required",
  multipartThreshold: 5 * MiB,
  partSize: 5 * MiB,
  concurrency: 4,
  maxAttempts: 3
})

const connections = () =>
  Effect.promise(() => new Promise<number>((resolve) => server.getConnections((_, count) => resolve(count))))
const noDelay = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provideService(effect, RetryBaseDelay, Duration.zero)
const errorXml = (code: string) =>
  `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${code} here</Message></Error>`
const keys = (entries: ReadonlyArray<{ _tag: string; key?: string; prefix?: string }>) =>
  entries.map((entry) => entry.key ?? entry.prefix)

describe("list over HTTP", () => {
  it.effect("signs each request, follows continuation tokens and merges objects and prefixes in byte order", () =>
    Effect.gen(function* () {
      answers.push(
        {
          status: 200,
          body: result(
            `${contents("p/a")}${contents("p/c")}<CommonPrefixes><Prefix>p/b/</Prefix></CommonPrefixes>`,
            "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextContinuationToken>t/2+=</NextContinuationToken>"
          )
        },
        {
          status: 200,
          body: result(
            `${contents("p/%EF%BD%9A")}${contents("p/%F0%9F%98%80")}`,
            "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
          )
        }
      )
      const store = yield* S3.make(options())
      const entries = yield* Stream.runCollect(
        store.list({ prefix: "p/", delimiter: "/", pageSize: 3, startAfter: "p/0" })
      )
      assert.deepStrictEqual(keys(entries), ["p/a", "p/b/", "p/c", "p/\uFF5A", "p/\u{1F600}"])
      assert.deepStrictEqual(
        requests.map(({ url }) => [url.pathname, Object.fromEntries(url.searchParams)]),
        [
          [
            "/photos",
            {
              "list-type": "2",
              "encoding-type": "url",
              "max-keys": "3",
              prefix: "p/",
              delimiter: "/",
              "start-after": "p/0"
            }
          ],
          [
            "/photos",
            {
              "list-type": "2",
              "encoding-type": "url",
              "max-keys": "3",
              prefix: "p/",
              delimiter: "/",
              "continuation-token": "t/2+="
            }
          ]
        ]
      )
      for (const { headers } of requests) {
        assert.match(
          headers.authorization ?? "",
          /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/
        )
        assert.strictEqual(headers.host, endpoint.slice("http://".length))
      }
    }).pipe(noDelay)
  )

  it.effect("a store whose endpoint is a loopback address says so (its listings do not fan out)", () =>
    Effect.gen(function* () {
      for (const [endpoint, loopback] of [
        ["http://127.0.0.1:7480", true],
        ["http://localhost:9000", true],
        ["http://[::1]:9000", true],
        ["http://10.1.2.3:7480", false],
        ["https://s3.eu-west-1.amazonaws.com", false]
      ] as const) {
        const store = yield* S3.make({ ...options(), endpoint })
        assert.strictEqual(store.loopback, loopback, endpoint)
      }
      const { endpoint: _, ...aws } = options()
      assert.isFalse((yield* S3.make(aws)).loopback)
    })
  )

  it.effect("reads ahead one page from the second on, and never past what a one-page reader takes", () =>
    Effect.gen(function* () {
      const page = (keys: ReadonlyArray<string>, token?: string) => ({
        status: 200,
        body: result(
          keys.map((key) => contents(key)).join(""),
          token === undefined
            ? "<IsTruncated>false</IsTruncated>"
            : `<IsTruncated>true</IsTruncated><NextContinuationToken>${token}</NextContinuationToken>`
        )
      })
      const store = yield* S3.make(options())
      answers.push(page(["a", "b"], "t1"), page(["c", "d"], "t2"))
      assert.deepStrictEqual(keys(yield* Stream.runCollect(Stream.take(store.list({ pageSize: 2 }), 2))), ["a", "b"])
      assert.strictEqual(requests.length, 1)

      answers.length = 0
      requests.length = 0
      answers.push(page(["a", "b"], "t1"), page(["c", "d"], "t2&amp;"), page(["e"]))
      assert.deepStrictEqual(keys(yield* Stream.runCollect(store.list({ pageSize: 2 }))), ["a", "b", "c", "d", "e"])
      assert.deepStrictEqual(
        requests.map(({ url }) => url.searchParams.get("continuation-token")),
        [null, "t1", "t2&"]
      )
    }).pipe(noDelay)
  )

  it.effect("a page whose token the read-ahead finds elsewhere than the parser fails, skipping nothing", () =>
    Effect.gen(function* () {
      const store = yield* S3.make(options())
      const misleading = result(
        contents("c"),
        "<IsTruncated>true</IsTruncated><!-- <NextContinuationToken>wrong</NextContinuationToken> --><NextContinuationToken>right</NextContinuationToken>"
      )
      answers.push(
        {
          status: 200,
          body: result(
            contents("a"),
            "<IsTruncated>true</IsTruncated><NextContinuationToken>t1</NextContinuationToken>"
          )
        },
        { status: 200, body: misleading },
        { status: 200, body: result(contents("z")) }
      )
      const error = yield* Effect.flip(Stream.runCollect(store.list()))
      assert.strictEqual(error._tag, "TransportError")
      assert.match(error.message, /MalformedXml/)
    }).pipe(noDelay)
  )

  it.effect("503 SlowDown and a reset connection are retried by the one policy", () =>
    Effect.gen(function* () {
      answers.push({ status: 503, body: errorXml("SlowDown") }, "reset", { status: 200, body: result(contents("k")) })
      const store = yield* S3.make(options())
      assert.deepStrictEqual(keys(yield* Stream.runCollect(store.list())), ["k"])
      assert.strictEqual(requests.length, 3)
    }).pipe(noDelay)
  )

  it.effect("service errors become the typed errors of every other operation", () =>
    Effect.gen(function* () {
      const cases = [
        { answer: { status: 503, body: errorXml("SlowDown") }, tag: "Throttled", calls: 3 },
        { answer: { status: 500, body: "" }, tag: "TransportError", calls: 3 },
        { answer: { status: 404, body: errorXml("NoSuchBucket") }, tag: "BucketNotFound", calls: 1 },
        { answer: { status: 403, body: errorXml("AccessDenied") }, tag: "AccessDenied", calls: 1 },
        { answer: { status: 403, body: errorXml("SignatureDoesNotMatch") }, tag: "AccessDenied", calls: 1 },
        { answer: { status: 200, body: "<ListBucketResult><Contents>" }, tag: "TransportError", calls: 1 }
      ]
      for (const { answer, tag, calls } of cases) {
        answers.length = 0
        requests.length = 0
        answers.push(answer, answer, answer)
        const store = yield* S3.make(options())
        const error = yield* Effect.flip(Stream.runCollect(store.list()))
        assert.strictEqual(error._tag, tag, answer.body)
        assert.strictEqual(requests.length, calls, answer.body)
      }
    }).pipe(noDelay)
  )
})

describe("bucket reads over HTTP (versioning, incomplete uploads)", () => {
  it.live("the store's scope closes the keep-alive connection of its signed requests (no SDK client made)", () =>
    Effect.gen(function* () {
      answers.push({ status: 200, body: versioning("<Status>Enabled</Status>") })
      yield* Effect.scoped(
        Effect.gen(function* () {
          const { admin } = yield* S3.makeServices(options())
          assert.strictEqual(yield* admin.getVersioning(), "Enabled")
          assert.strictEqual(yield* connections(), 1) // kept alive while the store lives
        })
      )
      // The server sees the client's FIN a moment after the close.
      for (let i = 0; i < 50 && (yield* connections()) > 0; i++) yield* Effect.sleep("10 millis")
      assert.strictEqual(yield* connections(), 0)
    }).pipe(noDelay)
  )

  it.effect("GetBucketVersioning is one signed GET ?versioning", () =>
    Effect.gen(function* () {
      answers.push({ status: 200, body: versioning("<Status>Suspended</Status>") })
      const { admin } = yield* S3.makeServices(options())
      assert.strictEqual(yield* admin.getVersioning(), "Suspended")
      assert.strictEqual(requests.length, 1)
      assert.strictEqual(requests[0]?.url.search, "?versioning=")
      assert.match(String(requests[0]?.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//)
    }).pipe(Effect.scoped, noDelay)
  )

  it.effect("ListMultipartUploads pages with key and upload-id markers, under the prefix", () =>
    Effect.gen(function* () {
      answers.push(
        {
          status: 200,
          body: uploadsResult(
            upload("p/a%20b", "u1"),
            "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextKeyMarker>p/a%20b</NextKeyMarker><NextUploadIdMarker>u1</NextUploadIdMarker>"
          )
        },
        { status: 200, body: uploadsResult("", "<IsTruncated>false</IsTruncated>") },
        // ListParts of p/a b: completed meanwhile, no parts to count.
        { status: 404, body: errorXml("NoSuchUpload") }
      )
      const { admin } = yield* S3.makeServices(options())
      const uploads = yield* Stream.runCollect(admin.listIncompleteUploads({ prefix: "p/" }))
      assert.deepStrictEqual(uploads, [
        { key: "p/a b", uploadId: "u1", initiated: new Date("2024-05-06T07:08:09.000Z"), bytes: 0, parts: 0 }
      ])
      assert.deepStrictEqual(
        requests.slice(0, 2).map(({ url }) => Object.fromEntries(url.searchParams)),
        [
          { uploads: "", prefix: "p/" },
          { uploads: "", prefix: "p/", "key-marker": "p/a b", "upload-id-marker": "u1" }
        ]
      )
    }).pipe(Effect.scoped, noDelay)
  )

  it.effect("a malformed answer is a typed error, not retried; service errors are retried as any other", () =>
    Effect.gen(function* () {
      const { admin } = yield* S3.makeServices(options())
      answers.push({ status: 200, body: versioning("<Status>On</Status>") })
      const bad = yield* Effect.flip(admin.getVersioning())
      assert.strictEqual(bad._tag, "TransportError")
      assert.match(bad.message, /MalformedXml/)
      assert.strictEqual(requests.length, 1)

      requests.length = 0
      answers.push({ status: 200, body: uploadsResult("<Upload><Key>a</Key></Upload>") })
      const page = yield* Effect.flip(Stream.runCollect(admin.listIncompleteUploads()))
      assert.strictEqual(page._tag, "TransportError")
      assert.match(page.message, /MalformedXml/)
      assert.strictEqual(requests.length, 1)

      requests.length = 0
      answers.push({ status: 503, body: errorXml("SlowDown") }, "reset", {
        status: 200,
        body: versioning("<Status>Enabled</Status>")
      })
      assert.strictEqual(yield* admin.getVersioning(), "Enabled")
      assert.strictEqual(requests.length, 3)

      requests.length = 0
      answers.push({ status: 403, body: errorXml("AccessDenied") })
      assert.strictEqual((yield* Effect.flip(admin.getVersioning()))._tag, "AccessDenied")
      assert.strictEqual(requests.length, 1)
    }).pipe(Effect.scoped, noDelay)
  )
})
