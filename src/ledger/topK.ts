/**
 * The best `k` entries of a table of ranking keys (see decay.ts: rankKey),
 * kept incrementally, over item slots (itemSlots.ts).
 *
 * Order: key descending, then id ascending. A key that grows can only move
 * its own item up, so `offer` is O(1) for the common case (an item outside
 * the top whose key stays below the k-th) and O(k) otherwise. A key that
 * shrinks (negative weight) may let an unseen item in, so it invalidates.
 *
 * Each entry's key is kept beside it, as it was when last offered: the
 * owner offers every slot whose mass changed, so the kept keys are the
 * current ones, and the common case costs one key computation (the
 * offered slot's) and no lookup by id.
 */
export class TopK {
  private readonly slots: number[] = [];
  private readonly keys: number[] = [];
  private readonly members = new Set<number>();

  constructor(
    readonly k: number,
    private readonly keyOf: (slot: number) => number,
    private readonly idOf: (slot: number) => string,
  ) {}

  /** Builds from scratch: O(n log k). */
  static build(k: number, slots: Iterable<number>, keyOf: (slot: number) => number, idOf: (slot: number) => string): TopK {
    const top = new TopK(k, keyOf, idOf);
    for (const slot of slots) top.offer(slot);
    return top;
  }

  /** Slots best first. */
  get entries(): readonly number[] {
    return this.slots;
  }

  /** `slot`'s key has grown (or it is new): move it into place. */
  offer(slot: number): void {
    const key = this.keyOf(slot);
    if (this.members.has(slot)) {
      const i = this.slots.indexOf(slot);
      this.slots.splice(i, 1);
      this.keys.splice(i, 1);
      this.insert(slot, key);
      return;
    }
    const last = this.slots.length - 1;
    if (last + 1 >= this.k) {
      if (!this.ranksBefore(key, slot, this.keys[last]!, this.slots[last]!)) return;
      this.members.delete(this.slots[last]!);
      this.slots.pop();
      this.keys.pop();
    }
    this.insert(slot, key);
    this.members.add(slot);
  }

  has(slot: number): boolean {
    return this.members.has(slot);
  }

  private insert(slot: number, key: number): void {
    let lo = 0;
    let hi = this.slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ranksBefore(this.keys[mid]!, this.slots[mid]!, key, slot)) lo = mid + 1;
      else hi = mid;
    }
    this.slots.splice(lo, 0, slot);
    this.keys.splice(lo, 0, key);
  }

  /** `before` on slots: the ids are looked up only on a tie of keys. */
  private ranksBefore(a: number, slotA: number, b: number, slotB: number): boolean {
    return a > b || (a === b && this.idOf(slotA) < this.idOf(slotB));
  }
}

/** True when (a, idA) ranks before (b, idB): higher value (a key or a score), then lower id. */
export function before(a: number, idA: string, b: number, idB: string): boolean {
  return a > b || (a === b && idA < idB);
}
