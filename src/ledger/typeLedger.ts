/**
 * One signal type's part of the ledger: each item's decayed mass (decay.ts)
 * in typed-array columns by item slot (massColumns.ts), and an
 * incrementally kept top-k over slots for `retrieve` (topK.ts).
 */
import assert from 'node:assert/strict';
import { keySlack, rankKeyAt, scoreAt } from './decay.js';
import type { ItemSlots } from './itemSlots.js';
import { MassColumns } from './massColumns.js';
import { before, TopK } from './topK.js';

/** Smallest top-k kept per type: retrieve's default limit with room to spare. */
const MIN_TOP_K = 32;

/** One type's masses: [item id, value, value's time in ms] each, in the order the type first saw each item. */
export interface TypeLedgerSnapshot {
  readonly halfLifeMs: number;
  readonly masses: ReadonlyArray<readonly [string, number, number]>;
}

/** One ranked result. */
export interface Scored {
  readonly id: string;
  readonly score: number;
}

export class TypeLedger {
  private readonly masses = new MassColumns();
  private top: TopK | null = null;
  private readonly keyOf = (slot: number): number => rankKeyAt(this.masses.values, this.masses.times, slot, this.halfLifeMs);
  private readonly idOf = (slot: number): string => this.items.idOf(slot);

  /** @param items the ledger's intern table, shared by every type */
  constructor(readonly halfLifeMs: number, private readonly items: ItemSlots) {}

  /** Adds `weight` at `atMs` to the item at `slot`. */
  add(slot: number, weight: number, atMs: number): void {
    this.masses.add(slot, weight, atMs, this.halfLifeMs);
    if (!this.top) return;
    // A member that shrank may fall below a non-member: rebuild when next asked.
    // Anything else (grown, new, or a non-member that shrank) `offer` places.
    if (weight < 0 && this.top.has(slot)) this.top = null;
    else this.top.offer(slot);
  }

  /** The score at `tMs` of the item at `slot` (-1: an id the ledger never saw): 0 without a mass of this type. */
  score(slot: number, tMs: number): number {
    return this.masses.has(slot) ? scoreAt(this.masses.valueOf(slot), this.masses.atMsOf(slot), tMs, this.halfLifeMs) : 0;
  }

  /**
   * The best `limit` items by score at `tMs`, ties by id ascending: exactly a
   * sort of every item's `score(slot, tMs)`. The cached top (by key) gives the
   * candidates: every cached item whose key is within rounding of the
   * limit-th's, scored and sorted. That is the answer when the next key
   * down is clearly below the cut score; otherwise (scores tied or
   * underflowed across the cut, non-positive scores) every item is scored.
   */
  best(limit: number, tMs: number): Scored[] {
    if (!this.top || this.top.k < 2 * limit) this.top = TopK.build(Math.max(2 * limit, MIN_TOP_K), this.masses, this.halfLifeMs, this.idOf);
    const top = this.top;
    const held = top.length;
    if (held === 0) return [];
    const tInHalfLives = tMs / this.halfLifeMs;
    const cutKey = this.keyOf(top.slotAt(Math.min(limit, held) - 1));
    const slack = keySlack(Math.max(Math.abs(cutKey === -Infinity ? 0 : cutKey), Math.abs(tInHalfLives)));
    let n = Math.min(limit, held);
    while (n < held && this.keyOf(top.slotAt(n)) >= cutKey - slack) n++;
    const ranked = this.scored(Array.from({ length: n }, (_, i) => top.slotAt(i)), tMs).sort(byScoreThenId).slice(0, limit);
    if (n === held && held === this.masses.count) return ranked;
    // Every item not scored has a key at most nextKey: its score is below the cut unless rounding says otherwise.
    const nextKey = this.keyOf(top.slotAt(Math.min(n, held - 1)));
    const cut = ranked[ranked.length - 1]!.score;
    if (ranked.length === limit && cut > 0 && nextKey + slack < Math.log2(cut) + tInHalfLives) return ranked;
    return this.bestByScan(limit, tMs);
  }

  snapshot(): TypeLedgerSnapshot {
    const masses = new Array<readonly [string, number, number]>(this.masses.count);
    for (let i = 0; i < masses.length; i++) {
      const slot = this.masses.slotAt(i);
      masses[i] = [this.items.idOf(slot), this.masses.valueOf(slot), this.masses.atMsOf(slot)];
    }
    return { halfLifeMs: this.halfLifeMs, masses };
  }

  /** A type ledger holding `s`'s masses, its item ids interned in `items`. */
  static restore(s: TypeLedgerSnapshot, items: ItemSlots): TypeLedger {
    const t = new TypeLedger(s.halfLifeMs, items);
    for (const [id, value, atMs] of s.masses) {
      const slot = items.intern(id);
      assert(!t.masses.has(slot) && Number.isFinite(atMs), `snapshot mass of ${JSON.stringify(id)}: listed twice or at a time that is not finite (${atMs})`);
      // A first add sets value and atMs as given: no arithmetic, bit for bit.
      t.masses.add(slot, value, atMs, s.halfLifeMs);
    }
    return t;
  }

  /** Every item scored and sorted: the definition, for cuts the cache cannot decide. */
  private bestByScan(limit: number, tMs: number): Scored[] {
    return this.scored(this.heldSlots(), tMs).sort(byScoreThenId).slice(0, limit);
  }

  private scored(slots: readonly number[], tMs: number): Scored[] {
    return slots.map((slot) => ({ id: this.items.idOf(slot), score: this.score(slot, tMs) }));
  }

  /** Every slot holding a mass of this type, in the order the type first saw them. */
  private heldSlots(): number[] {
    return Array.from({ length: this.masses.count }, (_, i) => this.masses.slotAt(i));
  }
}

function byScoreThenId(a: Scored, b: Scored): number {
  return before(a.score, a.id, b.score, b.id) ? -1 : before(b.score, b.id, a.score, a.id) ? 1 : 0;
}
