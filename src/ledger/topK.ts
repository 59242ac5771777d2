/**
 * The best `k` entries of a mass table, kept incrementally.
 *
 * Order: mass descending, then id ascending. A mass that grows can only move
 * its own item up, so `offer` is O(1) for the common case (an item outside
 * the top whose mass stays below the k-th) and O(k) otherwise. A mass that
 * shrinks (negative weight) may let an unseen item in, so it invalidates.
 */
export class TopK {
  private readonly ids: string[] = [];
  private readonly members = new Set<string>();

  constructor(readonly k: number, private readonly massOf: (id: string) => number) {}

  /** Builds from scratch: O(n log k). */
  static build(k: number, ids: Iterable<string>, massOf: (id: string) => number): TopK {
    const top = new TopK(k, massOf);
    for (const id of ids) top.offer(id);
    return top;
  }

  /** Ids best first. */
  get entries(): readonly string[] {
    return this.ids;
  }

  /** `id`'s mass has grown (or it is new): move it into place. */
  offer(id: string): void {
    const mass = this.massOf(id);
    if (this.members.has(id)) {
      const i = this.ids.indexOf(id);
      this.ids.splice(i, 1);
      this.insert(id, mass);
      return;
    }
    if (this.ids.length >= this.k) {
      const last = this.ids[this.ids.length - 1]!;
      if (!before(mass, id, this.massOf(last), last)) return;
      this.ids.pop();
      this.members.delete(last);
    }
    this.insert(id, mass);
    this.members.add(id);
  }

  has(id: string): boolean {
    return this.members.has(id);
  }

  private insert(id: string, mass: number): void {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = this.ids[mid]!;
      if (before(this.massOf(other), other, mass, id)) lo = mid + 1;
      else hi = mid;
    }
    this.ids.splice(lo, 0, id);
  }
}

/** True when (massA, idA) ranks before (massB, idB): higher mass, then lower id. */
export function before(massA: number, idA: string, massB: number, idB: string): boolean {
  return massA > massB || (massA === massB && idA < idB);
}
