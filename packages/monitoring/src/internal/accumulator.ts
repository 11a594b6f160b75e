/**
 * The running totals behind StorageStats. One `add` per object, constant work and bounded
 * memory (the prefix table keeps at most `maxPrefixes` entries, the largest list `largest`).
 * Every figure is independent of the order objects arrive in, so a parallel listing gives the
 * numbers of a sequential one.
 */
import { Keys, Listing, type Units } from "@localex/storage-core"
import type { AgeBucket, ObjectRef, PrefixUsage, SizeBucket, StorageClassUsage, StorageStats } from "../StatsModel.js"
import { TopN } from "./heap.js"

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB
const DAY = 24 * 60 * 60 * 1000

const SIZE_BOUNDS = [KiB, 10 * KiB, 100 * KiB, MiB, 10 * MiB, 100 * MiB, GiB] as const
const SIZE_LABELS = [
  "< 1 KiB",
  "1–10 KiB",
  "10–100 KiB",
  "100 KiB–1 MiB",
  "1–10 MiB",
  "10–100 MiB",
  "100 MiB–1 GiB",
  "≥ 1 GiB"
]
const AGE_BOUNDS = [1, 7, 30, 90, 365] as const
const AGE_LABELS = ["< 1 day", "1–7 days", "7–30 days", "30–90 days", "90–365 days", "≥ 365 days"]

/** Defaults of StatsOptions. */
export const DEFAULTS = {
  depth: 1,
  maxPrefixes: 10_000,
  largest: 10,
  concurrency: Listing.DEFAULT_CONCURRENCY
} as const

/** What a storage class is called when the store does not say (S3 omits STANDARD). */
export const DEFAULT_STORAGE_CLASS = "STANDARD"

export interface AccumulatorOptions {
  /** The prefix the statistics cover; `byPrefix` groups below it. */
  readonly scope: string
  readonly depth: number
  readonly maxPrefixes: number
  readonly largest: number
  readonly track: ReadonlyArray<string>
  readonly now: number
}

interface Tally {
  objects: number
  bytes: number
}

interface Sized {
  readonly key: string
  readonly size: number
  readonly lastModified: number
  readonly storageClass: string
}

const tally = (): Tally => ({ objects: 0, bytes: 0 })
const usage = (t: Tally): Units.Usage => ({ objects: t.objects, bytes: t.bytes })
const bucketIndex = (bounds: ReadonlyArray<number>, value: number): number => {
  let i = 0
  while (i < bounds.length && value >= (bounds[i] as number)) i++
  return i
}

export class StatsAccumulator {
  private readonly total = tally()
  private readonly classes = new Map<string, Tally>()
  private readonly prefixes = new Map<string, Tally>()
  private readonly otherPrefixes = tally()
  /** Prefixes above this (in key order) go to `otherPrefixes`; set once the table overflows. */
  private prefixCeiling: string | undefined = undefined
  private readonly tracked: Array<{ readonly prefix: string; readonly tally: Tally }>
  private readonly sizes = SIZE_LABELS.map(tally)
  private readonly ages = AGE_LABELS.map(tally)
  private readonly top: TopN<Sized>
  private oldest: Sized | undefined = undefined
  private newest: Sized | undefined = undefined

  constructor(private readonly options: AccumulatorOptions) {
    this.tracked = options.track.map((prefix) => ({ prefix, tally: tally() }))
    this.top = new TopN<Sized>(options.largest, (a, b) => a.size - b.size || Keys.compare(b.key, a.key))
  }

  add(key: string, size: number, lastModified: number, storageClass: string | undefined): void {
    const cls = storageClass ?? DEFAULT_STORAGE_CLASS
    this.total.objects++
    this.total.bytes += size
    const byClass = this.classes.get(cls) ?? this.newTally(this.classes, cls)
    byClass.objects++
    byClass.bytes += size
    this.addPrefix(Keys.prefixAtDepth(key, this.options.scope, this.options.depth), size)
    for (const t of this.tracked) {
      if (key.startsWith(t.prefix)) {
        t.tally.objects++
        t.tally.bytes += size
      }
    }
    const sizeBucket = this.sizes[bucketIndex(SIZE_BOUNDS, size)] as Tally
    sizeBucket.objects++
    sizeBucket.bytes += size
    const ageDays = Math.max(0, this.options.now - lastModified) / DAY
    const ageBucket = this.ages[bucketIndex(AGE_BOUNDS, ageDays)] as Tally
    ageBucket.objects++
    ageBucket.bytes += size
    const sized: Sized = { key, size, lastModified, storageClass: cls }
    this.top.offer(sized)
    if (this.oldest === undefined || earlier(sized, this.oldest)) this.oldest = sized
    if (this.newest === undefined || earlier(this.newest, sized)) this.newest = sized
  }

  private newTally(map: Map<string, Tally>, name: string): Tally {
    const t = tally()
    map.set(name, t)
    return t
  }

  // Keeps the `maxPrefixes` smallest prefixes in key order — the same set whatever order
  // objects arrive in. The table may grow to twice the cap before it is trimmed (amortised).
  private addPrefix(prefix: string, size: number): void {
    let t = this.prefixes.get(prefix)
    if (t === undefined) {
      if (this.prefixCeiling !== undefined && Keys.compare(prefix, this.prefixCeiling) > 0) {
        this.otherPrefixes.objects++
        this.otherPrefixes.bytes += size
        return
      }
      t = this.newTally(this.prefixes, prefix)
      t.objects++
      t.bytes += size
      // Trimmed after counting: the new prefix itself may be one that moves to `otherPrefixes`.
      if (this.prefixes.size >= 2 * this.options.maxPrefixes) this.trimPrefixes()
      return
    }
    t.objects++
    t.bytes += size
  }

  private trimPrefixes(): void {
    const keys = [...this.prefixes.keys()].sort(Keys.compare)
    for (const key of keys.slice(this.options.maxPrefixes)) {
      const t = this.prefixes.get(key) as Tally
      this.otherPrefixes.objects += t.objects
      this.otherPrefixes.bytes += t.bytes
      this.prefixes.delete(key)
    }
    this.prefixCeiling = keys[this.options.maxPrefixes - 1]
  }

  result(): Pick<
    StorageStats,
    | "totals"
    | "byStorageClass"
    | "byPrefix"
    | "tracked"
    | "sizeHistogram"
    | "ageHistogram"
    | "largest"
    | "oldest"
    | "newest"
  > {
    if (this.prefixes.size > this.options.maxPrefixes) this.trimPrefixes()
    const byStorageClass: Array<StorageClassUsage> = [...this.classes]
      .map(([storageClass, t]) => ({ storageClass, ...usage(t) }))
      .sort((a, b) => b.bytes - a.bytes || Keys.compare(a.storageClass, b.storageClass))
    const entries: Array<PrefixUsage> = [...this.prefixes]
      .map(([prefix, t]) => ({ prefix, ...usage(t) }))
      .sort((a, b) => Keys.compare(a.prefix, b.prefix))
    const sizeHistogram: Array<SizeBucket> = this.sizes.map((t, i) => ({
      label: SIZE_LABELS[i] as string,
      minBytes: i === 0 ? 0 : (SIZE_BOUNDS[i - 1] as number),
      maxBytes: i < SIZE_BOUNDS.length ? (SIZE_BOUNDS[i] as number) : null,
      ...usage(t)
    }))
    const ageHistogram: Array<AgeBucket> = this.ages.map((t, i) => ({
      label: AGE_LABELS[i] as string,
      minDays: i === 0 ? 0 : (AGE_BOUNDS[i - 1] as number),
      maxDays: i < AGE_BOUNDS.length ? (AGE_BOUNDS[i] as number) : null,
      ...usage(t)
    }))
    return {
      totals: usage(this.total),
      byStorageClass,
      byPrefix: {
        depth: this.options.depth,
        entries,
        truncated: this.otherPrefixes.objects > 0,
        other: usage(this.otherPrefixes)
      },
      tracked: this.tracked.map((t) => ({ prefix: t.prefix, ...usage(t.tally) })),
      sizeHistogram,
      ageHistogram,
      largest: this.top.sorted().map(ref),
      oldest: this.oldest === undefined ? null : ref(this.oldest),
      newest: this.newest === undefined ? null : ref(this.newest)
    }
  }
}

const earlier = (a: Sized, b: Sized): boolean =>
  a.lastModified < b.lastModified || (a.lastModified === b.lastModified && Keys.compare(a.key, b.key) < 0)

const ref = (s: Sized): ObjectRef => ({
  key: s.key,
  size: s.size,
  lastModified: new Date(s.lastModified).toISOString(),
  storageClass: s.storageClass
})

/** Noncurrent versions and delete markers of a versioned bucket. */
export class VersionTally {
  noncurrentVersions = 0
  noncurrentBytes = 0
  deleteMarkers = 0

  add(entry: { readonly isLatest: boolean; readonly isDeleteMarker: boolean; readonly size: number }): void {
    if (entry.isDeleteMarker) this.deleteMarkers++
    else if (!entry.isLatest) {
      this.noncurrentVersions++
      this.noncurrentBytes += entry.size
    }
  }
}
