/**
 * A bounded memo for pure functions of a string: a hit returns exactly what a miss computes, so a
 * memo changes how fast an answer comes, never the answer. Beyond `maxEntries` the least recently
 * used entry goes.
 */
export class BoundedMemo<V> {
  private readonly entries = new Map<string, V>();
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a whole number >= 1');
  }

  /** The value remembered for `key`, or `compute()` remembered. */
  get(key: string, compute: () => V): V {
    const known = this.entries.get(key);
    if (known !== undefined || this.entries.has(key)) {
      this.hits += 1;
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, known as V);
      return known as V;
    }
    this.misses += 1;
    const value = compute();
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.hits = 0;
    this.misses = 0;
  }
}
