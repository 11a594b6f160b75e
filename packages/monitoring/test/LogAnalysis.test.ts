/**
 * Access-log analysis: exact numbers on a hand-made corpus, the same numbers whatever the chunking,
 * gzip, a directory, a store prefix (fs store), and a generated corpus checked record by record
 * against the line parser.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { assert, describe, it, layer } from "@effect/vitest"
import { ObjectStore } from "@localex/storage-core"
import * as Testing from "@localex/storage-core/testing"
import { Effect, Stream } from "effect"
import * as AccessLog from "../src/AccessLog.js"
import { lendChunks } from "../src/internal/lentChunks.js"
import * as LogAnalysis from "../src/LogAnalysis.js"
import { generatedLine, logLine, SAMPLE_T0, sampleCorpus, seeded } from "../src/testing.js"

const T0 = SAMPLE_T0
const min = (n: number) => T0 + n * 60_000
const corpus = sampleCorpus()

const checkCorpusReport = (report: LogAnalysis.LogReport) => {
  assert.strictEqual(report.lines, 15)
  assert.strictEqual(report.blankLines, 1)
  assert.strictEqual(report.records, 12)
  assert.strictEqual(report.malformed.count, 2)
  assert.deepStrictEqual(report.malformed.byReason, { "too few fields": 1, "bad status": 1 })
  assert.deepStrictEqual(report.byStatusClass, { "2xx": 5, "3xx": 1, "4xx": 4, "5xx": 2, other: 0 })
  assert.deepStrictEqual(report.errorRates, { "4xx": 33.3333, "5xx": 16.6667 })
  assert.deepStrictEqual(report.byOperation[0], {
    operation: "REST.GET.OBJECT",
    requests: 6,
    "2xx": 3,
    "3xx": 1,
    "4xx": 2,
    "5xx": 0,
    other: 0
  })
  assert.deepStrictEqual(
    report.byErrorCode.map((c) => [c.name, c.count]),
    [
      ["AccessDenied", 3],
      ["InternalError", 1],
      ["NoSuchKey", 1],
      ["SlowDown", 1]
    ]
  )
  assert.strictEqual(report.forbidden.count, 3)
  assert.deepStrictEqual(
    report.forbidden.byRequester.map((c) => [c.name, c.count]),
    [
      ["arn:aws:iam::1:user/mallory", 2],
      ["(none)", 1]
    ]
  )
  assert.deepStrictEqual(
    report.forbidden.byIp.map((c) => [c.name, c.count]),
    [
      ["203.0.113.9", 2],
      ["203.0.113.10", 1]
    ]
  )
  assert.strictEqual(report.failedDeletes.count, 2)
  assert.deepStrictEqual(
    report.failedDeletes.byKey.map((c) => c.name),
    ["items/4/y.jpg", "items/6/w.jpg"]
  )
  assert.deepStrictEqual(
    report.topKeys.map((c) => [c.name, c.count, c.bytes]),
    [
      ["items/1/a.jpg", 3, 2000],
      ["items/2/b c.jpg", 2, 5000]
    ]
  )
  assert.deepStrictEqual(
    report.topKeysByBytes.map((c) => c.name),
    ["items/2/b c.jpg", "items/1/a.jpg"]
  )
  assert.strictEqual(report.bytesSent, 1000 + 1000 + 5000 + 243)
  assert.deepStrictEqual(report.latency.totalTimeMs, {
    count: 12,
    p50: 60,
    p90: 110,
    p95: 400_000,
    p99: 400_000,
    max: 400_000,
    mean: 33388.33
  })
  assert.deepStrictEqual(report.latency.turnAroundTimeMs, {
    count: 2,
    p50: 2,
    p90: 3,
    p95: 3,
    p99: 3,
    max: 3,
    mean: 2.5
  })
  assert.deepStrictEqual(report.byHour, [
    { hour: "2026-12-01T10:00:00.000Z", requests: 10, "4xx": 4, "5xx": 0 },
    { hour: "2026-12-01T11:00:00.000Z", requests: 2, "4xx": 0, "5xx": 2 }
  ])
  assert.strictEqual(report.firstTime, new Date(min(0)).toISOString())
  assert.strictEqual(report.lastTime, new Date(min(71)).toISOString())
  assert.strictEqual(report.truncated, false)
}

const run = (chunks: ReadonlyArray<Buffer>, options: LogAnalysis.AnalysisOptions = {}) => {
  const analyzer = new LogAnalysis.LogAnalyzer(options)
  analyzer.file("corpus")
  for (const chunk of chunks) analyzer.push(chunk)
  analyzer.endFile()
  return analyzer.report()
}

const text = `${corpus.join("\n")}\n`

describe("LogAnalysis", () => {
  it("counts a known corpus exactly", () => {
    checkCorpusReport(run([Buffer.from(text)]))
  })

  it("gives the same report whatever the chunk boundaries (CRLF too, no final newline)", () => {
    const bytes = Buffer.from(text.replace(/\n/g, "\r\n").replace(/\r\n$/, ""))
    for (const size of [1, 7, 64, 4096]) {
      const chunks: Array<Buffer> = []
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size))
      checkCorpusReport(run(chunks))
    }
  })

  it("quotes malformed lines with their source and line number", () => {
    const report = run([Buffer.from(text)])
    assert.deepStrictEqual(
      report.malformed.samples.map((s) => [s.source, s.line, s.reason]),
      [
        ["corpus", 13, "too few fields"],
        ["corpus", 15, "bad status"]
      ]
    )
  })

  it("keeps only records inside the window", () => {
    const report = run([Buffer.from(text)], { since: min(5), until: min(70) })
    assert.strictEqual(report.records, 5)
    assert.strictEqual(report.outsideWindow, 7)
    assert.deepStrictEqual(report.byStatusClass, { "2xx": 1, "3xx": 0, "4xx": 4, "5xx": 0, other: 0 })
  })

  it("bounds its tables: beyond maxTrackedKeys names are untracked and the report says so", () => {
    const report = run([Buffer.from(text)], { maxTrackedKeys: 1 })
    assert.deepStrictEqual(
      report.topKeys.map((c) => c.name),
      ["items/1/a.jpg"]
    )
    assert.strictEqual(report.truncated, true)
  })

  it("reads fields from bytes: quoted request lines with spaces and quotes, `-` fields, keys decoded once", () => {
    const lines = [
      // A request line with spaces and an escaped quote: a field split on spaces puts the status elsewhere.
      logLine({
        time: min(0),
        operation: "REST.GET.OBJECT",
        key: "items/5/my%20file.jpg",
        requestUri: 'GET /localex-storage/items/5/my file.jpg?x="a b" HTTP/1.1',
        status: 404,
        errorCode: "NoSuchKey",
        bytesSent: 243,
        totalTimeMs: 5
      }),
      // Every optional field `-`: no status class but "other", no bytes, no latency.
      logLine({
        time: min(1),
        operation: "REST.GET.OBJECT",
        key: "-",
        requestUri: "-",
        status: "-",
        errorCode: "-",
        bytesSent: "-",
        objectSize: "-",
        totalTimeMs: "-",
        turnAroundTimeMs: "-",
        remoteIp: "-",
        requester: "-"
      }),
      // One key, two spellings (S3 encodes; a proxy may not): one row of the popular keys.
      logLine({
        time: min(2),
        operation: "REST.GET.OBJECT",
        key: "items/6/caf%C3%A9.jpg",
        status: 200,
        bytesSent: 7,
        totalTimeMs: 6
      }),
      logLine({
        time: min(3),
        operation: "REST.GET.OBJECT",
        key: "items/6/café.jpg",
        status: 200,
        bytesSent: 8,
        totalTimeMs: 7
      }),
      // Malformed: a quote that never closes, a bracket that never closes.
      logLine({ time: min(4), operation: "REST.GET.OBJECT", status: 200, userAgent: "x" }).replace(/"x".*$/, '"x'),
      'owner bucket [01/Dec/2026:10:05:00 +0000 1.2.3.4 - id REST.GET.OBJECT k "GET / HTTP/1.1" 200'
    ]
    const report = run([Buffer.from(`${lines.join("\n")}\n`)])
    assert.strictEqual(report.records, 4)
    assert.deepStrictEqual(report.malformed.byReason, { "unterminated quote": 1, "unterminated bracket": 1 })
    assert.deepStrictEqual(report.byStatusClass, { "2xx": 2, "3xx": 0, "4xx": 1, "5xx": 0, other: 1 })
    assert.deepStrictEqual(report.byStatus, [
      { status: "-", count: 1 },
      { status: "200", count: 2 },
      { status: "404", count: 1 }
    ])
    assert.deepStrictEqual(
      report.byErrorCode.map((c) => [c.name, c.count]),
      [["NoSuchKey", 1]]
    )
    assert.deepStrictEqual(
      report.topKeys.map((c) => [c.name, c.count, c.bytes]),
      [["items/6/café.jpg", 2, 15]]
    )
    assert.strictEqual(report.bytesSent, 243 + 15)
    assert.deepStrictEqual([report.latency.totalTimeMs.count, report.latency.totalTimeMs.max], [3, 7])
  })

  it.effect("lends a plain file's bytes part by part (lines across parts, CRLF, no final newline); not a gzip", () =>
    Effect.gen(function* () {
      const dir = Testing.tempDir("lent")
      const plain = join(dir, "access.log")
      const bytes = Buffer.from(text.replace(/\n/g, "\r\n").replace(/\r\n$/, ""))
      writeFileSync(plain, bytes)
      for (const size of [16, 333, 1 << 20]) {
        const analyzer = new LogAnalysis.LogAnalyzer()
        analyzer.file("corpus")
        let parts = 0
        const lent = yield* Effect.promise(() =>
          lendChunks(
            plain,
            (chunk) => {
              parts++
              analyzer.push(chunk)
            },
            size
          )
        )
        analyzer.endFile()
        assert.isTrue(lent)
        assert.strictEqual(parts, Math.ceil(bytes.length / size))
        checkCorpusReport(analyzer.report())
      }
      const gzipped = join(dir, "access.log.gz")
      writeFileSync(gzipped, gzipSync(text))
      const lent = yield* Effect.promise(() => lendChunks(gzipped, () => assert.fail("lent a gzip file")))
      assert.isFalse(lent)
      // analyzePath streams it through gunzip instead.
      checkCorpusReport(yield* LogAnalysis.analyzePath(gzipped))
      checkCorpusReport(yield* LogAnalysis.analyzePath(plain))
    })
  )

  it.effect("reads a directory of plain and gzipped files, corrupt gzip is a typed error", () =>
    Effect.gen(function* () {
      const dir = Testing.tempDir("logs")
      mkdirSync(join(dir, "2026/12/01"), { recursive: true })
      const half = Math.floor(corpus.length / 2)
      writeFileSync(join(dir, "2026/12/01/a.log"), `${corpus.slice(0, half).join("\n")}\n`)
      writeFileSync(join(dir, "2026/12/01/b.log.gz"), gzipSync(`${corpus.slice(half).join("\n")}\n`))
      const report = yield* LogAnalysis.analyzePath(dir)
      assert.strictEqual(report.sources, 2)
      checkCorpusReport(report)

      writeFileSync(join(dir, "bad.gz"), Buffer.concat([gzipSync("x".repeat(1000)).subarray(0, 20)]))
      const error = yield* Effect.flip(LogAnalysis.analyzePath(join(dir, "bad.gz")))
      assert.strictEqual(error._tag, "AccessLogSourceError")
      const missing = yield* Effect.flip(LogAnalysis.analyzePath(join(dir, "nope")))
      assert.strictEqual(missing._tag, "AccessLogSourceError")
    })
  )

  it("matches the line parser record by record on a generated log; grep and a naive field split miscount", () => {
    const random = seeded(7)
    const lines: Array<string> = []
    for (let i = 0; i < 20_000; i++) lines.push(generatedLine(random, T0 + i * 1000).line)
    const expected = { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, other: 0 }
    for (const line of lines) {
      const parsed = AccessLog.parseLine(line)
      if (parsed._tag !== "Record") throw new Error(parsed.reason)
      const status = parsed.record.httpStatus!
      expected[`${Math.floor(status / 100)}xx` as "2xx"]++
    }
    const body = `${lines.join("\n")}\n`
    const report = run([Buffer.from(body)])
    assert.strictEqual(report.malformed.count, 0)
    assert.deepStrictEqual(report.byStatusClass, expected)

    const grep = Number(execFileSync("sh", ["-c", `grep -c 'HTTP/1.1" 4' || true`], { input: body }).toString())
    const awk = Number(execFileSync("awk", ["$13 ~ /^4/ { n++ } END { print n + 0 }"], { input: body }).toString())
    assert.notStrictEqual(grep, expected["4xx"]) // HTTP/2.0 and "-" request lines are missed
    assert.notStrictEqual(awk, expected["4xx"]) // a "-" request line is one field, not three
  })
})

layer(Testing.layerFs())("LogAnalysis on a store prefix", (it) => {
  it.effect("reads a window's day prefixes, gzipped objects too, and nothing else", () =>
    Effect.gen(function* () {
      const store = yield* ObjectStore
      const half = Math.floor(corpus.length / 2)
      yield* store.put("logs/2026/12/01/part-1", Buffer.from(`${corpus.slice(0, half).join("\n")}\n`))
      yield* store.put("logs/2026/12/01/part-2.gz", gzipSync(`${corpus.slice(half).join("\n")}\n`))
      // Another day: outside the window's prefixes, never read.
      yield* store.put("logs/2026/11/20/old", Buffer.from(`${corpus[0]}\n`))
      const report = yield* LogAnalysis.analyzeStore(store, "logs/", {
        since: Date.UTC(2026, 11, 1),
        until: Date.UTC(2026, 11, 2)
      })
      assert.strictEqual(report.sources, 2)
      checkCorpusReport(report)
      const everything = yield* LogAnalysis.analyzeStore(store, "logs/")
      assert.strictEqual(everything.sources, 3)
      assert.strictEqual(everything.records, 13)
      const files = yield* Stream.runCollect(AccessLog.storeFiles(store, "logs/2026/11/"))
      assert.deepStrictEqual(
        files.map((f) => f.name),
        ["logs/2026/11/20/old"]
      )
    })
  )
})
