/**
 * Bounded tallies for the access-log analysis: memory stays flat whatever the log's size.
 */
import { ByteMap } from "./byteMap.js"

/** Counts (and sums bytes) per name for at most `capacity` names; later new names go to `untracked`. */
export class BoundedTally {
  readonly entries = new Map<string, { count: number; bytes: number }>()
  untracked = 0

  constructor(private readonly capacity: number) {}

  add(name: string, bytes = 0): void {
    const entry = this.entry(name)
    if (entry === null) this.untracked++
    else {
      entry.count++
      entry.bytes += bytes
    }
  }

  /** The (mutable) entry of `name`, created at zero while there is room; null when untracked. */
  entry(name: string): { count: number; bytes: number } | null {
    let entry = this.entries.get(name)
    if (entry === undefined) {
      if (this.entries.size >= this.capacity) return null
      entry = { count: 0, bytes: 0 }
      this.entries.set(name, entry)
    }
    return entry
  }

  /** The `n` largest by `by` (ties in name order, so reports are stable). */
  top(n: number, by: "count" | "bytes" = "count"): Array<{ name: string; count: number; bytes: number }> {
    return [...this.entries]
      .map(([name, { count, bytes }]) => ({ name, count, bytes }))
      .sort((a, b) => b[by] - a[by] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .slice(0, n)
  }

  get truncated(): boolean {
    return this.untracked > 0
  }
}

/**
 * A BoundedTally fed with a line's bytes: each distinct byte string is decoded once (`decode`:
 * utf8, URL-decoding for keys) and its entry remembered, so a repeated name costs a hash of its
 * bytes, not a string. Names the cache has no room for take the string path.
 */
export class ByteTally extends BoundedTally {
  private readonly cache: ByteMap<{ count: number; bytes: number } | null>

  constructor(
    capacity: number,
    private readonly decode: (bytes: Buffer, start: number, end: number) => string
  ) {
    super(capacity)
    this.cache = new ByteMap(capacity)
  }

  addBytes(bytes: Buffer, start: number, end: number, sent = 0): void {
    let entry = this.cache.get(bytes, start, end)
    if (entry === undefined) {
      entry = this.entry(this.decode(bytes, start, end))
      this.cache.set(bytes, start, end, entry)
    }
    if (entry === null) this.untracked++
    else {
      entry.count++
      entry.bytes += sent
    }
  }
}

/** Whole milliseconds tracked exactly up to this value; above it, only the count and the maximum. */
const EXACT_MS = 300_000

export interface Percentiles {
  readonly count: number
  readonly p50: number | null
  readonly p90: number | null
  readonly p95: number | null
  readonly p99: number | null
  readonly max: number | null
  readonly mean: number | null
}

/** Exact nearest-rank percentiles of whole-millisecond durations (S3 logs milliseconds). */
export class MillisHistogram {
  private readonly counts = new Uint32Array(EXACT_MS + 1)
  private total = 0
  private sum = 0
  private max = -1

  add(ms: number): void {
    if (ms <= EXACT_MS) this.counts[ms]!++
    this.total++
    this.sum += ms
    if (ms > this.max) this.max = ms
  }

  private rank(q: number): number {
    const target = Math.max(1, Math.ceil(q * this.total))
    let seen = 0
    for (let ms = 0; ms <= EXACT_MS; ms++) {
      seen += this.counts[ms]!
      if (seen >= target) return ms
    }
    return this.max // the rank falls among the durations above EXACT_MS: the maximum bounds it
  }

  summary(): Percentiles {
    if (this.total === 0) return { count: 0, p50: null, p90: null, p95: null, p99: null, max: null, mean: null }
    return {
      count: this.total,
      p50: this.rank(0.5),
      p90: this.rank(0.9),
      p95: this.rank(0.95),
      p99: this.rank(0.99),
      max: this.max,
      mean: Math.round((this.sum / this.total) * 100) / 100
    }
  }
}
