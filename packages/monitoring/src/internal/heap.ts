/**
 * The `capacity` greatest items seen, in O(log capacity) per item and O(capacity) memory:
 * a min-heap whose root is the least of the kept items.
 */
export class TopN<A> {
  private readonly items: Array<A> = []

  /** `compare(a, b) > 0` when `a` ranks above `b`; ties must be broken so that the order is total. */
  constructor(
    private readonly capacity: number,
    private readonly compare: (a: A, b: A) => number
  ) {}

  offer(item: A): void {
    if (this.capacity <= 0) return
    const items = this.items
    if (items.length < this.capacity) {
      items.push(item)
      this.up(items.length - 1)
    } else if (this.compare(item, items[0] as A) > 0) {
      items[0] = item
      this.down(0)
    }
  }

  /** The kept items, greatest first. */
  sorted(): Array<A> {
    return [...this.items].sort((a, b) => this.compare(b, a))
  }

  private up(index: number): void {
    const items = this.items
    let i = index
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (this.compare(items[i] as A, items[parent] as A) >= 0) return
      ;[items[i], items[parent]] = [items[parent] as A, items[i] as A]
      i = parent
    }
  }

  private down(index: number): void {
    const items = this.items
    let i = index
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let least = i
      if (left < items.length && this.compare(items[left] as A, items[least] as A) < 0) least = left
      if (right < items.length && this.compare(items[right] as A, items[least] as A) < 0) least = right
      if (least === i) return
      ;[items[i], items[least]] = [items[least] as A, items[i] as A]
      i = least
    }
  }
}
