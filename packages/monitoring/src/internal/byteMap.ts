/**
 * A bounded map from byte strings to values, looked up straight from a line's bytes: the
 * analysis counts a few distinct names (operations, keys, error codes) over millions of lines,
 * and making a string per line and hashing it in a Map costs more than reading the line.
 *
 * Open addressing over a power-of-two table of entry numbers; the keys' bytes are copied into
 * one growing slab. At most `capacity` entries and `maxKeyBytes` per key: `set` past either is
 * ignored and the caller keeps taking its slow path for that name, so memory stays bounded.
 */
export class ByteMap<V> {
  private slots = new Int32Array(1024) // entry number + 1; 0 is an empty slot
  /** Per entry: its hash, its offset in the slab, its length (one typed array: no boxing, one load each). */
  private entries = new Int32Array(3 * 256)
  private readonly values: Array<V> = []
  private slab = Buffer.allocUnsafe(16 * 1024)
  private used = 0

  constructor(
    private readonly capacity: number,
    private readonly maxKeyBytes = 1024
  ) {}

  get size(): number {
    return this.values.length
  }

  get(bytes: Uint8Array, start: number, end: number): V | undefined {
    const hash = hashOf(bytes, start, end)
    const { slots, entries, slab } = this
    const mask = slots.length - 1
    const length = end - start
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot]! - 1
      if (entry < 0) return undefined
      if (entries[3 * entry] === hash && entries[3 * entry + 2] === length) {
        const shift = entries[3 * entry + 1]! - start
        let i = start
        while (i < end && slab[shift + i] === bytes[i]) i++
        if (i === end) return this.values[entry]
      }
    }
  }

  /** Remembers `value` for a key `get` did not find (ignored when the map is full or the key too long). */
  set(bytes: Uint8Array, start: number, end: number, value: V): void {
    const length = end - start
    if (this.values.length >= this.capacity || length > this.maxKeyBytes) return
    if (this.used + length > this.slab.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.slab.length, this.used + length))
      this.slab.copy(grown, 0, 0, this.used)
      this.slab = grown
    }
    const entry = this.values.length
    if (3 * entry + 3 > this.entries.length) {
      const grown = new Int32Array(2 * this.entries.length)
      grown.set(this.entries)
      this.entries = grown
    }
    this.slab.set(bytes.subarray(start, end), this.used)
    this.entries[3 * entry] = hashOf(bytes, start, end)
    this.entries[3 * entry + 1] = this.used
    this.entries[3 * entry + 2] = length
    this.values.push(value)
    this.used += length
    if (2 * (entry + 1) > this.slots.length) this.rehash(2 * this.slots.length)
    else this.place(entry)
  }

  private place(entry: number): void {
    const mask = this.slots.length - 1
    let slot = this.entries[3 * entry]! & mask
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask
    this.slots[slot] = entry + 1
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size)
    for (let entry = 0; entry < this.values.length; entry++) this.place(entry)
  }
}

/** FNV-1a over the bytes, as a 32-bit integer. */
const hashOf = (bytes: Uint8Array, start: number, end: number): number => {
  let hash = 0x811c9dc5 | 0
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193)
  return hash
}
