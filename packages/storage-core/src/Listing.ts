/**
 * Listing a whole bucket (or prefix) as one stream of objects, sequentially or in parallel.
 *
 * S3 lists 1,000 keys a request and each page needs the previous one's token, so one listing is
 * sequential. The parallel listing splits the key space into ranges listed concurrently:
 *
 * 1. a whole bucket is listed with delimiter "/": objects at its root are emitted and each
 *    top-level folder (`items/`, `profiles/`, …) is listed on its own; a narrower scope is one folder;
 * 2. a folder's first page is read: a small folder is done in that one request;
 * 3. the rest is cut into ranges at geometric distances from the first page — 1, 2, 4, 8, …
 *    times the key-space width that page covered — so that whatever the ids look like (random,
 *    or sequential and clustered) the first ranges hold real work and the far ones are cheap;
 * 4. a range that turns out to hold more than a page splits its remainder in two while fewer
 *    ranges than `concurrency` are being listed, so big ranges fan out where the keys are.
 *
 * A range is "after `startAfter`, up to and including `through`": listed with `startAfter` and
 * cut at `through`. S3 has no end key, so a request may read past it: each request asks for the
 * keys the range should still hold at the density last seen, which keeps that small. First pages and ranges partition the keys exactly,
 * whatever the boundaries, so the parallel listing yields the same objects as the sequential one
 * (in another order). Delimited listings to discover child folders were tried first: on Ceph RGW
 * they read every key under the children, costing as much as the listing itself.
 *
 * Which of the two pays depends on the store, not on its driver: fan-out only helps when a page's
 * time is mostly waiting (network round trips), not work on a busy server or in this process.
 * "auto" reads the scope's first two pages sequentially, times each end to end, and fans out only
 * when the faster took at least `PARALLEL_PAGE_MS` (see `chooseListingMode`). Not the first page
 * alone: it pays one-time costs (a new connection, a fresh process's JIT and lazy loading), which
 * took a loopback page from ~20 ms to 50–75 ms in a new process. A store on this machine
 * (`ObjectStore.loopback`: an s3 endpoint on a loopback address) is listed sequentially whatever
 * its pages take: there is no network wait to overlap, and on a busy machine its pages are slow
 * for want of CPU, which fan-out only makes scarcer (it doubled the listing's time on the 2-core
 * test machine under load).
 */
import { Clock, Effect, Stream } from "effect"
import * as Keys from "./Keys.js"
import type { ListEntry, ObjectStore, ObjectSummary } from "./ObjectStore.js"

type Store = ObjectStore["Service"]
type ListError = Stream.Error<ReturnType<Store["list"]>>

export interface ListAllOptions {
  readonly prefix: string
  /** true/false force the mode; "auto" chooses it from the first page's latency. */
  readonly parallel: boolean | "auto"
  /** Ranges listed at once. */
  readonly concurrency: number
  /** Keys per request. Default (and S3's most) 1,000; smaller only to exercise splitting in tests. */
  readonly pageSize?: number
}

export interface Listing {
  readonly objects: Stream.Stream<ObjectSummary, ListError>
  /** Key ranges listed (1 for a sequential listing); read it after the stream ends. */
  readonly shards: () => number
  /** The mode used ("auto" settles it after the first page); read it after the stream ends. */
  readonly mode: () => "sequential" | "parallel"
  /** "auto" only: end-to-end time of a page, the faster of the first two (undefined otherwise). */
  readonly pageMs: () => number | undefined
}

const PAGE = 1000

/**
 * The page time (end to end: request, response, parsing; the faster of the first two) from which
 * "auto" fans out.
 *
 * A 1,000-key page takes about 10–15 ms on a loopback Ceph RGW, nearly all of it CPU (the
 * gateway's and our parser's, about 3 ms): there the listing is CPU-bound and splitting it only
 * adds work (about 4 % of keys read twice) and contention. On AWS S3 the same page takes 60–150 ms,
 * mostly waiting on the network and the service, which concurrent ranges overlap. 40 ms sits
 * well above the loopback figure (about 20 ms warm on this project's loaded 2-core machine) and
 * below the fastest remote one, so a page of that length is mostly waiting.
 */
export const PARALLEL_PAGE_MS = 40

/** Key ranges listed at once by default. */
export const DEFAULT_CONCURRENCY = 16

/**
 * The listing mode for a scope whose measured page held `keys` of at most `pageSize` keys and took
 * `pageMs` end to end: a scope that ends in that page is done (sequential); otherwise fan out only
 * when the page took at least `thresholdMs`, i.e. the store mostly makes us wait.
 */
export const chooseListingMode = (
  pageMs: number,
  keys: number,
  pageSize: number,
  thresholdMs: number = PARALLEL_PAGE_MS
): "sequential" | "parallel" => (keys < pageSize ? "sequential" : pageMs >= thresholdMs ? "parallel" : "sequential")

const isObject = (entry: ListEntry): entry is ObjectSummary => entry._tag === "Object"

/** Where a folder's keys are placed on [0, 1) (see `position`). */
interface Folder {
  readonly prefix: string
  readonly alphabet: string
}

/** Keys after `startAfter` up to and including `through` (to the folder's end when undefined). */
export interface Range {
  readonly startAfter: string
  readonly through: string | undefined
  /** Keys per unit of position, as last seen (Infinity when unknown): sizes the next request. */
  readonly density: number
}

/** A request that should just cover what is left of the range, if the density holds. */
const requestSize = (folder: Folder, range: Range, page: number): number => {
  const from = position(range.startAfter, folder.prefix, folder.alphabet)
  const to = range.through === undefined ? 1 : position(range.through, folder.prefix, folder.alphabet)
  const expected = range.density * Math.max(0, to - from)
  return Number.isFinite(expected) ? Math.min(page, Math.max(Math.min(10, page), Math.ceil(expected * 1.2) + 5)) : page
}

/** Keys per unit of position in a page of objects. */
const densityOf = (folder: Folder, objects: ReadonlyArray<ObjectSummary>): number => {
  const width =
    position((objects[objects.length - 1] as ObjectSummary).key, folder.prefix, folder.alphabet) -
    position((objects[0] as ObjectSummary).key, folder.prefix, folder.alphabet)
  return width > 0 ? objects.length / width : Number.POSITIVE_INFINITY
}

/** One page of `prefix` after `startAfter`, as an array (at most `size` objects in memory). */
const pageOf = (store: Store, prefix: string, startAfter: string | undefined, size: number) =>
  Stream.runCollect(
    Stream.take(
      store.list(startAfter === undefined ? { prefix, pageSize: size } : { prefix, startAfter, pageSize: size }),
      size
    )
  ).pipe(Effect.map((entries) => entries.filter(isObject)))

export const listAll = (store: Store, options: ListAllOptions): Listing => {
  if (options.parallel === false) {
    return {
      objects: store.list({ prefix: options.prefix }).pipe(Stream.filter(isObject)),
      shards: () => 1,
      mode: () => "sequential",
      pageMs: () => undefined
    }
  }
  if (options.parallel === true) {
    const listing = listParallel(store, options, undefined)
    return { ...listing, mode: () => "parallel", pageMs: () => undefined }
  }
  // "auto": the first two pages, timed, then the rest in the mode they point to.
  const page = Math.min(PAGE, Math.max(1, options.pageSize ?? PAGE))
  let mode: "sequential" | "parallel" = "sequential"
  let pageMs: number | undefined
  let parallel: Omit<Listing, "mode" | "pageMs"> | undefined
  const objects = Stream.unwrap(
    Effect.gen(function* () {
      // Timed with the Clock, so a test can give a store its latency without real waiting.
      const now = Effect.map(Clock.currentTimeNanos, (nanos) => Number(nanos) / 1e6)
      const started = yield* now
      const first = yield* pageOf(store, options.prefix, undefined, page)
      const firstDone = yield* now
      pageMs = firstDone - started
      if (first.length < page) return Stream.fromIterable(first)
      const second = yield* pageOf(store, options.prefix, (first[first.length - 1] as ObjectSummary).key, page)
      pageMs = Math.min(pageMs, (yield* now) - firstDone)
      // A store on this machine is measured (pageMs) but never fanned out: its slow pages are
      // CPU, the server's or ours, that concurrency only adds to (ObjectStore.loopback).
      mode = store.loopback === true ? "sequential" : chooseListingMode(pageMs, second.length, page)
      const head = [...first, ...second]
      if (second.length < page) return Stream.fromIterable(head)
      if (mode === "sequential") {
        const startAfter = (second[second.length - 1] as ObjectSummary).key
        return Stream.concat(
          Stream.fromIterable(head),
          store.list({ prefix: options.prefix, startAfter }).pipe(Stream.filter(isObject))
        )
      }
      // A folder goes on from those pages. A whole bucket is split by top-level folder first, so
      // its listing starts over (two requests more, paid only where requests are slow anyway).
      parallel = listParallel(store, options, options.prefix === "" ? undefined : head)
      return parallel.objects
    })
  )
  return {
    objects,
    shards: () => parallel?.shards() ?? 1,
    mode: () => mode,
    pageMs: () => pageMs
  }
}

const listParallel = (
  store: Store,
  options: ListAllOptions,
  /** The scope's first pages, already read (a folder scope only). */
  firstPage: ReadonlyArray<ObjectSummary> | undefined
): Omit<Listing, "mode" | "pageMs"> => {
  const page = Math.min(PAGE, Math.max(1, options.pageSize ?? PAGE))
  let shards = options.prefix === "" ? 1 : 0
  let active = 0

  /** A range listed while it is being counted as active. */
  const started = (folder: Folder, range: Range) => {
    active++
    shards++
    return listRange(folder, range).pipe(Stream.ensuring(Effect.sync(() => active--)))
  }

  const listRange = (folder: Folder, range: Range): Stream.Stream<ObjectSummary, ListError> => {
    const size = requestSize(folder, range, page)
    return Stream.unwrap(
      Effect.map(pageOf(store, folder.prefix, range.startAfter, size), (objects) => {
        const through = range.through
        const inside = through === undefined ? objects : objects.filter((o) => Keys.compare(o.key, through) <= 0)
        if (objects.length < size || inside.length < objects.length || inside.length === 0)
          return Stream.fromIterable(inside)
        const rest: Range = {
          startAfter: (inside[inside.length - 1] as ObjectSummary).key,
          through,
          density: densityOf(folder, inside)
        }
        const middle = active < options.concurrency ? splitPoint(folder.prefix, inside, through) : undefined
        if (middle === undefined) return Stream.concat(Stream.fromIterable(inside), listRange(folder, rest))
        return Stream.concat(
          Stream.fromIterable(inside),
          Stream.merge(
            listRange(folder, { ...rest, through: middle }),
            started(folder, { ...rest, startAfter: middle })
          )
        )
      })
    )
  }

  const folder = (
    prefix: string,
    known: ReadonlyArray<ObjectSummary> | undefined = undefined
  ): Stream.Stream<ObjectSummary, ListError> => {
    shards++
    return Stream.unwrap(
      Effect.map(known === undefined ? pageOf(store, prefix, undefined, page) : Effect.succeed(known), (first) => {
        if (first.length < page) return Stream.fromIterable(first)
        const keys = first.map((o) => o.key)
        const where: Folder = { prefix, alphabet: alphabetOf(keys, prefix) }
        const density = densityOf(where, first)
        return Stream.concat(
          Stream.fromIterable(first),
          Stream.fromIterable(geometricRanges(where, keys, density)).pipe(
            Stream.flatMap((range) => started(where, range), { concurrency: options.concurrency })
          )
        )
      })
    )
  }

  // The bucket's top-level folders are separate clusters of keys: each is split on its own. A
  // narrower scope is one folder (a delimited listing of `items/` would name every item).
  const objects =
    options.prefix === ""
      ? store
          .list({ prefix: "", delimiter: "/" })
          .pipe(
            Stream.flatMap(
              (entry): Stream.Stream<ObjectSummary, ListError> =>
                isObject(entry) ? Stream.succeed(entry) : folder(entry.prefix),
              { concurrency: options.concurrency }
            )
          )
      : folder(options.prefix, firstPage)
  return { objects, shards: () => shards }
}

// --- positions in the key space ----------------------------------------------------------------
//
// A key is placed on [0, 1) by its first characters after a prefix, read as digits of an
// alphabet: the letters and digits seen in the keys at hand (or all 62). A character between two
// digits counts as the lower one, so the position never decreases along key order; boundaries are
// made of digits only, which keeps them valid keys.

const ALL_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const ALPHANUMERIC = /^[0-9A-Za-z]$/
const PLACES = 8

/** The sorted letters and digits in `keys` after `prefix` (all 62 when fewer than 2). */
export const alphabetOf = (keys: ReadonlyArray<string>, prefix: string): string => {
  const seen = new Set<string>()
  for (const key of keys) for (const char of key.slice(prefix.length)) if (ALPHANUMERIC.test(char)) seen.add(char)
  const digits = [...seen].sort().join("")
  return digits.length >= 2 ? digits : ALL_DIGITS
}

const digitOf = (alphabet: string, code: number): number => {
  let low = 0
  for (let i = 0; i < alphabet.length && alphabet.charCodeAt(i) <= code; i++) low = i
  return low
}

export const position = (key: string, prefix: string, alphabet: string): number => {
  let value = 0
  let scale = 1
  for (let i = 0; i < PLACES; i++) {
    scale /= alphabet.length
    const code = key.charCodeAt(prefix.length + i)
    if (Number.isNaN(code)) break
    value += digitOf(alphabet, code) * scale
  }
  return value
}

export const boundaryAt = (value: number, prefix: string, alphabet: string): string => {
  let rest = value
  let out = prefix
  for (let i = 0; i < PLACES; i++) {
    rest *= alphabet.length
    const digit = Math.min(alphabet.length - 1, Math.max(0, Math.floor(rest)))
    out += alphabet[digit]
    rest -= digit
  }
  return out
}

const commonPrefix = (a: string, b: string): string => {
  let i = 0
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++
  return a.slice(0, i)
}

/**
 * Ranges after a folder's first page at 1, 2, 4, 8, … times the width the page covered, then
 * one open range to the folder's end. Dense ids fill the first ones; clustered ids leave the far
 * ones empty, and those cost one small request each (they are sized by the same density).
 */
export const geometricRanges = (folder: Folder, firstPage: ReadonlyArray<string>, density: number): Array<Range> => {
  const last = firstPage[firstPage.length - 1] as string
  const from = position(last, folder.prefix, folder.alphabet)
  const width = Math.max(
    from - position(firstPage[0] as string, folder.prefix, folder.alphabet),
    1 / folder.alphabet.length ** PLACES
  )
  const ranges: Array<Range> = []
  let startAfter = last
  for (let step = 1; from + width * step < 1; step *= 2) {
    const through = boundaryAt(from + width * step, folder.prefix, folder.alphabet)
    if (Keys.compare(through, startAfter) <= 0) continue
    ranges.push({ startAfter, through, density })
    startAfter = through
  }
  ranges.push({ startAfter, through: undefined, density })
  return ranges
}

/**
 * A key strictly between the last listed key and the range's end, halfway by position (relative
 * to what the two share), or undefined when there is no room.
 */
export const splitPoint = (
  prefix: string,
  page: ReadonlyArray<ObjectSummary>,
  through: string | undefined
): string | undefined => {
  const cursor = (page[page.length - 1] as ObjectSummary).key
  const base = through === undefined ? prefix : commonPrefix(cursor, through)
  if (!base.startsWith(prefix)) return undefined
  const alphabet = alphabetOf(
    page.map((o) => o.key),
    base
  )
  const low = position(cursor, base, alphabet)
  const high = through === undefined ? 1 : position(through, base, alphabet)
  const middle = boundaryAt((low + high) / 2, base, alphabet)
  const fits = Keys.compare(cursor, middle) < 0 && (through === undefined || Keys.compare(middle, through) < 0)
  return fits ? middle : undefined
}
