/**
 * The best `k` entries of a table of ranking keys (see decay.ts: rankKey),
 * kept incrementally.
 *
 * Order: key descending, then id ascending. A key that grows can only move
 * its own item up, so `offer` is O(1) for the common case (an item outside
 * the top whose key stays below the k-th) and O(k) otherwise. A key that
 * shrinks (negative weight) may let an unseen item in, so it invalidates.
 */
export class TopK {
  private readonly ids: string[] = [];
  private readonly members = new Set<string>();

  constructor(readonly k: number, private readonly keyOf: (id: string) => number) {}

  /** Builds from scratch: O(n log k). */
  static build(k: number, ids: Iterable<string>, keyOf: (id: string) => number): TopK {
    const top = new TopK(k, keyOf);
    for (const id of ids) top.offer(id);
    return top;
  }

  /** Ids best first. */
  get entries(): readonly string[] {
    return this.ids;
  }

  /** `id`'s key has grown (or it is new): move it into place. */
  offer(id: string): void {
    const key = this.keyOf(id);
    if (this.members.has(id)) {
      const i = this.ids.indexOf(id);
      this.ids.splice(i, 1);
      this.insert(id, key);
      return;
    }
    if (this.ids.length >= this.k) {
      const last = this.ids[this.ids.length - 1]!;
      if (!before(key, id, this.keyOf(last), last)) return;
      this.ids.pop();
      this.members.delete(last);
    }
    this.insert(id, key);
    this.members.add(id);
  }

  has(id: string): boolean {
    return this.members.has(id);
  }

  private insert(id: string, key: number): void {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = this.ids[mid]!;
      if (before(this.keyOf(other), other, key, id)) lo = mid + 1;
      else hi = mid;
    }
    this.ids.splice(lo, 0, id);
  }
}

/** True when (a, idA) ranks before (b, idB): higher value (a key or a score), then lower id. */
export function before(a: number, idA: string, b: number, idB: string): boolean {
  return a > b || (a === b && idA < idB);
}
