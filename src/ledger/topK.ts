/**
 * The best `k` items of one signal type by ranking key (decay.ts: rankKeyAt),
 * kept incrementally over item slots (itemSlots.ts) and read from the
 * type's mass columns (massColumns.ts).
 *
 * Order: key descending, then id ascending. A key that grows can only move
 * its own item up, so `offer` is O(1) for the common case (an item outside
 * the top whose key stays below the k-th) and O(k) otherwise. A key that
 * shrinks (negative weight) may let an unseen item in, so it invalidates.
 *
 * Slots and keys sit in typed arrays of exactly k entries, shifted in place:
 * an offer allocates nothing (the Array splices this replaced made two
 * arrays and boxed the key each time an item moved). Each entry's key is
 * kept as it was when last offered: the owner offers every slot whose mass
 * changed, so the kept keys are the current ones, and the common case
 * costs one key computation (the offered slot's) and no lookup by id.
 */
import { rankKeyAt } from './decay.js';
import type { MassColumns } from './massColumns.js';

export class TopK {
  private readonly slots: Int32Array;
  private readonly keys: Float64Array;
  private size = 0;
  private readonly members = new Set<number>();

  /**
   * @param k entries kept (at most 2 * MAX_LIMIT, as the ledger asks: 240 KB)
   * @param idOf the id of a slot, for ties of keys
   */
  constructor(
    readonly k: number,
    private readonly masses: MassColumns,
    private readonly halfLifeMs: number,
    private readonly idOf: (slot: number) => string,
  ) {
    this.slots = new Int32Array(k);
    this.keys = new Float64Array(k);
  }

  /** Built from every slot holding a mass: O(n log k). */
  static build(k: number, masses: MassColumns, halfLifeMs: number, idOf: (slot: number) => string): TopK {
    const top = new TopK(k, masses, halfLifeMs, idOf);
    for (let i = 0; i < masses.count; i++) top.offer(masses.slotAt(i));
    return top;
  }

  /** Entries held: min(k, slots holding a mass). */
  get length(): number {
    return this.size;
  }

  /** The `i`-th best slot, 0 <= i < length. */
  slotAt(i: number): number {
    return this.slots[i]!;
  }

  /**
   * `slot`'s key has grown (or it is new): move it into place. The common
   * case, a slot that stays below a full top, returns before `key` meets a
   * call: V8 boxes a double passed to a call at the earliest block that
   * dominates every such call, and with calls on two paths that was every
   * offer (16 bytes of garbage a signal, measured with profileReplay.ts).
   */
  offer(slot: number): void {
    const key = rankKeyAt(this.masses.values, this.masses.times, slot, this.halfLifeMs);
    const isMember = this.members.has(slot);
    if (!isMember && this.size === this.k) {
      const last = this.size - 1;
      const lastKey = this.keys[last]!;
      if (key < lastKey || (key === lastKey && !(this.idOf(slot) < this.idOf(this.slots[last]!)))) return;
    }
    this.place(slot, key, isMember);
  }

  has(slot: number): boolean {
    return this.members.has(slot);
  }

  /** Moves a member to `key`'s place, or admits a newcomer (the last one out when full). */
  private place(slot: number, key: number, isMember: boolean): void {
    if (isMember) {
      this.removeAt(this.indexOf(slot));
    } else if (this.size === this.k) {
      this.members.delete(this.slots[this.size - 1]!);
      this.size--;
    }
    this.insert(slot, key);
    if (!isMember) this.members.add(slot);
  }

  private indexOf(slot: number): number {
    let i = 0;
    while (this.slots[i] !== slot) i++;
    return i;
  }

  private removeAt(i: number): void {
    this.slots.copyWithin(i, i + 1, this.size);
    this.keys.copyWithin(i, i + 1, this.size);
    this.size--;
  }

  /** Places `slot` (not held) by binary search; there is room for it. */
  private insert(slot: number, key: number): void {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const midKey = this.keys[mid]!;
      if (midKey > key || (midKey === key && this.idOf(this.slots[mid]!) < this.idOf(slot))) lo = mid + 1;
      else hi = mid;
    }
    this.slots.copyWithin(lo + 1, lo, this.size);
    this.keys.copyWithin(lo + 1, lo, this.size);
    this.slots[lo] = slot;
    this.keys[lo] = key;
    this.size++;
  }
}

/** True when (a, idA) ranks before (b, idB): higher value (a key or a score), then lower id. */
export function before(a: number, idA: string, b: number, idB: string): boolean {
  return a > b || (a === b && idA < idB);
}
