/**
 * Bounded tallies for the access-log security report: counts per name, and sliding-window
 * bursts per name. Memory grows with the distinct names (capped) and the events inside one
 * window of one name — never with the number of log lines.
 */

/** Counts per name for at most `capacity` names; later new names are only counted as untracked. */
export class Tally {
  private readonly counts = new Map<string, number>()
  untracked = 0

  constructor(private readonly capacity: number) {}

  add(name: string): void {
    const count = this.counts.get(name)
    if (count !== undefined) this.counts.set(name, count + 1)
    else if (this.counts.size < this.capacity) this.counts.set(name, 1)
    else this.untracked++
  }

  has(name: string): boolean {
    return this.counts.has(name)
  }

  get(name: string): number {
    return this.counts.get(name) ?? 0
  }

  names(): IterableIterator<string> {
    return this.counts.keys()
  }

  /** The `n` largest (ties in name order, so reports are stable). */
  top(n: number): Array<{ readonly name: string; readonly count: number }> {
    return [...this.counts]
      .map(([name, count]) => ({ name, count }))
      .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .slice(0, n)
  }
}

export interface Burst {
  readonly name: string
  /** Separate bursts: runs of time during which the window held at least the threshold. */
  readonly bursts: number
  /** Most events inside one window. */
  readonly peak: number
  /** Time of the first event of the first burst, and of the last event of the last (ISO). */
  readonly first: string
  readonly last: string
  /** Every event of that name in the report's window (bursts or not). */
  readonly total: number
}

interface State {
  /** Event times inside the window that ends at the newest one, ascending. */
  readonly times: Array<number>
  inBurst: boolean
  bursts: number
  peak: number
  first: number
  last: number
  total: number
}

/**
 * A burst is `threshold` events of one name within `windowMs`. Log files arrive in any order and
 * their records are nearly sorted, so an event is inserted at its place among the window's times.
 */
export class SlidingBursts {
  private readonly states = new Map<string, State>()
  untracked = 0

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
    private readonly capacity: number
  ) {}

  add(name: string, time: number): void {
    let state = this.states.get(name)
    if (state === undefined) {
      if (this.states.size >= this.capacity) {
        this.untracked++
        return
      }
      state = { times: [], inBurst: false, bursts: 0, peak: 0, first: Number.NaN, last: Number.NaN, total: 0 }
      this.states.set(name, state)
    }
    state.total++
    const times = state.times
    let at = times.length
    while (at > 0 && times[at - 1]! > time) at--
    times.splice(at, 0, time)
    const newest = times[times.length - 1]!
    let drop = 0
    while (drop < times.length && times[drop]! <= newest - this.windowMs) drop++
    if (drop > 0) times.splice(0, drop)
    if (times.length >= this.threshold) {
      if (!state.inBurst) {
        state.inBurst = true
        state.bursts++
        if (Number.isNaN(state.first)) state.first = times[0]!
      }
      state.peak = Math.max(state.peak, times.length)
      state.last = Math.max(Number.isNaN(state.last) ? newest : state.last, newest)
    } else state.inBurst = false
  }

  /** The names that burst, the largest peak first. */
  report(): Array<Burst> {
    return [...this.states]
      .filter(([, state]) => state.bursts > 0)
      .map(([name, state]) => ({
        name,
        bursts: state.bursts,
        peak: state.peak,
        first: new Date(state.first).toISOString(),
        last: new Date(state.last).toISOString(),
        total: state.total
      }))
      .sort((a, b) => b.peak - a.peak || (a.name < b.name ? -1 : 1))
  }
}
