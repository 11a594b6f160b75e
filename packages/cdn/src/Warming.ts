/**
 * Cache warming: GET the CDN URLs of keys, a bounded number at a time, each with a deadline,
 * and only on the configured CDN domains (a target on another host is refused before anything
 * is requested: warming is never a way to make this service fetch an arbitrary URL). Each
 * result says hit or miss (`X-Cache`, else `Age`), the status and the latency; a second pass
 * shows the hit ratio the first one reached.
 */
import { Effect } from "effect"
import { WarmTargetRefused } from "./Errors.js"

export interface WarmOptions {
  /** Requests in flight at once (default 16). */
  readonly concurrency?: number
  /** Deadline of each request, headers and body (default 10 s). */
  readonly timeoutMs?: number
  /** 1: warm; 2 (default): warm, then measure what the first pass left in the cache. */
  readonly passes?: number
}

export type CacheOutcome = "hit" | "miss" | "unknown"

export interface WarmResult {
  readonly target: string
  readonly url: string
  /** Undefined when no answer came (timeout, connection refused). */
  readonly status?: number
  readonly cache: CacheOutcome
  readonly age?: number
  readonly latencyMs: number
  readonly bytes: number
  readonly error?: string
}

export interface PassSummary {
  readonly pass: number
  readonly requests: number
  readonly hits: number
  readonly misses: number
  readonly errors: number
  /** hits / (hits + misses); 0 when nothing was classified. */
  readonly hitRatio: number
  readonly p50Ms: number
  readonly p95Ms: number
  readonly elapsedMs: number
  readonly requestsPerSecond: number
}

export interface WarmPass {
  readonly summary: PassSummary
  readonly results: ReadonlyArray<WarmResult>
}

export interface WarmReport {
  readonly domains: ReadonlyArray<string>
  readonly passes: ReadonlyArray<WarmPass>
}

export interface WarmTarget {
  /** What the caller gave: a key or a URL. */
  readonly target: string
  readonly url: string
}

/** `items/1/a b.jpg` under `https://cdn.example` → `https://cdn.example/items/1/a%20b.jpg`. */
export const urlOfKey = (baseUrl: string, key: string) =>
  `${baseUrl.replace(/\/+$/, "")}/${key.replace(/^\/+/, "").split("/").map(encodeURIComponent).join("/")}`

/**
 * Keys become URLs under the base URL; full URLs are kept. Every URL must be http(s) on one of
 * the domains, else the whole run is refused.
 */
export const resolveTargets = (
  targets: ReadonlyArray<string>,
  baseUrl: string,
  domains: ReadonlyArray<string>
): ReadonlyArray<WarmTarget> | WarmTargetRefused => {
  const allowed = new Set(domains.map((domain) => domain.toLowerCase()))
  const resolved: Array<WarmTarget> = []
  for (const target of targets) {
    const url = /^[a-z][a-z0-9+.-]*:/i.test(target) ? target : urlOfKey(baseUrl, target)
    const parsed = URL.canParse(url) ? new URL(url) : undefined
    if (
      parsed === undefined ||
      (parsed.protocol !== "http:" && parsed.protocol !== "https:") ||
      parsed.username !== "" ||
      parsed.password !== "" ||
      !allowed.has(parsed.hostname.toLowerCase())
    )
      return new WarmTargetRefused({ target, allowed: [...allowed] })
    resolved.push({ target, url: parsed.href })
  }
  return resolved
}

/** `X-Cache: Hit from cloudfront` / `HIT` / `RefreshHit …` → hit; `Miss …` → miss; else by `Age`. */
export const classify = (xCache: string | null, age: string | null): CacheOutcome => {
  const text = xCache?.toLowerCase() ?? ""
  if (text.includes("hit")) return "hit"
  if (text.includes("miss")) return "miss"
  if (age !== null && /^\d+$/.test(age.trim())) return Number(age) > 0 ? "hit" : "miss"
  return "unknown"
}

const fetchOne = (target: WarmTarget, timeoutMs: number): Effect.Effect<WarmResult> =>
  Effect.promise(async () => {
    const started = performance.now()
    try {
      // Redirects are not followed: a redirect to another host would leave the CDN domains.
      const response = await fetch(target.url, {
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
        headers: { "user-agent": "localex-cdn-warmer" }
      })
      const body = await response.arrayBuffer()
      const age = response.headers.get("age")
      return {
        ...target,
        status: response.status,
        cache: classify(response.headers.get("x-cache"), age),
        ...(age !== null && /^\d+$/.test(age) ? { age: Number(age) } : {}),
        latencyMs: performance.now() - started,
        bytes: body.byteLength
      }
    } catch (error) {
      const reason =
        error instanceof Error && error.name === "TimeoutError"
          ? `no answer within ${timeoutMs} ms`
          : String((error as Error)?.cause ?? error)
      return { ...target, cache: "unknown" as const, latencyMs: performance.now() - started, bytes: 0, error: reason }
    }
  })

/** The q-quantile (0–1) of sorted values, nearest rank. */
export const quantile = (sorted: ReadonlyArray<number>, q: number): number =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number)

export const summarize = (pass: number, results: ReadonlyArray<WarmResult>, elapsedMs: number): PassSummary => {
  const hits = results.filter((result) => result.cache === "hit").length
  const misses = results.filter((result) => result.cache === "miss").length
  const errors = results.filter((result) => result.status === undefined || result.status >= 400).length
  const latencies = results.map((result) => result.latencyMs).sort((a, b) => a - b)
  const round = (ms: number) => Math.round(ms * 10) / 10
  return {
    pass,
    requests: results.length,
    hits,
    misses,
    errors,
    hitRatio: hits + misses === 0 ? 0 : hits / (hits + misses),
    p50Ms: round(quantile(latencies, 0.5)),
    p95Ms: round(quantile(latencies, 0.95)),
    elapsedMs: round(elapsedMs),
    requestsPerSecond: elapsedMs === 0 ? 0 : Math.round((results.length / elapsedMs) * 1000 * 10) / 10
  }
}

/** Requests every target once per pass (passes run one after the other). */
export const warm = (
  targets: ReadonlyArray<WarmTarget>,
  domains: ReadonlyArray<string>,
  options: WarmOptions = {}
): Effect.Effect<WarmReport> =>
  Effect.gen(function* () {
    const concurrency = Math.max(1, options.concurrency ?? 16)
    const timeoutMs = options.timeoutMs ?? 10_000
    const passes: Array<WarmPass> = []
    for (let pass = 1; pass <= Math.max(1, options.passes ?? 2); pass++) {
      const started = performance.now()
      const results = yield* Effect.forEach(targets, (target) => fetchOne(target, timeoutMs), { concurrency })
      passes.push({ summary: summarize(pass, results, performance.now() - started), results })
    }
    return { domains, passes }
  })
