/**
 * The signal ledger: per signal type, each item's decayed mass (see
 * decay.ts) and an incrementally kept top-k for `retrieve`.
 */
import { addToMass, type DecayedMass, keySlack, rankKey, scoreAt } from './decay.js';
import { before, TopK } from './topK.js';

/** Smallest top-k kept per type: retrieve's default limit with room to spare. */
const MIN_TOP_K = 32;

/** One type's masses: [item id, value, value's time in ms] each. */
export interface TypeLedgerSnapshot {
  readonly halfLifeMs: number;
  readonly masses: ReadonlyArray<readonly [string, number, number]>;
}

interface Scored {
  readonly id: string;
  readonly score: number;
}

/** One signal type's masses. */
export class TypeLedger {
  private readonly slots = new Map<string, DecayedMass>();
  private readonly keyOfId = (id: string): number => {
    const slot = this.slots.get(id);
    return slot ? rankKey(slot, this.halfLifeMs) : -Infinity;
  };
  private top: TopK | null = null;

  constructor(readonly halfLifeMs: number) {}

  add(itemId: string, weight: number, atMs: number): void {
    const slot = this.slots.get(itemId);
    if (slot) addToMass(slot, weight, atMs, this.halfLifeMs);
    else this.slots.set(itemId, { value: weight, atMs });
    if (!this.top) return;
    // A member that shrank may fall below a non-member: rebuild when next asked.
    // Anything else (grown, new, or a non-member that shrank) `offer` places.
    if (weight < 0 && this.top.has(itemId)) this.top = null;
    else this.top.offer(itemId);
  }

  score(itemId: string, tMs: number): number {
    const slot = this.slots.get(itemId);
    return slot ? scoreAt(slot, tMs, this.halfLifeMs) : 0;
  }

  /**
   * The best `limit` items by score at `tMs`, ties by id ascending: exactly a
   * sort of every item's `score(id, tMs)`. The cached top (by key) gives the
   * candidates: every cached item whose key is within rounding of the
   * limit-th's, scored and sorted. That is the answer when the next key
   * down is clearly below the cut score; otherwise (scores tied or
   * underflowed across the cut, non-positive scores) every item is scored.
   */
  best(limit: number, tMs: number): Scored[] {
    if (!this.top || this.top.k < 2 * limit) this.top = TopK.build(Math.max(2 * limit, MIN_TOP_K), this.slots.keys(), this.keyOfId);
    const entries = this.top.entries;
    if (entries.length === 0) return [];
    const tInHalfLives = tMs / this.halfLifeMs;
    const cutKey = this.keyOfId(entries[Math.min(limit, entries.length) - 1]!);
    const slack = keySlack(Math.max(Math.abs(cutKey === -Infinity ? 0 : cutKey), Math.abs(tInHalfLives)));
    let n = Math.min(limit, entries.length);
    while (n < entries.length && this.keyOfId(entries[n]!) >= cutKey - slack) n++;
    const ranked = entries.slice(0, n).map((id) => ({ id, score: this.score(id, tMs) })).sort(byScoreThenId).slice(0, limit);
    if (n === entries.length && entries.length === this.slots.size) return ranked;
    // Every item not scored has a key at most nextKey: its score is below the cut unless rounding says otherwise.
    const nextKey = this.keyOfId(entries[Math.min(n, entries.length - 1)]!);
    const cut = ranked[ranked.length - 1]!.score;
    if (ranked.length === limit && cut > 0 && nextKey + slack < Math.log2(cut) + tInHalfLives) return ranked;
    return this.bestByScan(limit, tMs);
  }

  snapshot(): TypeLedgerSnapshot {
    return { halfLifeMs: this.halfLifeMs, masses: [...this.slots].map(([id, m]) => [id, m.value, m.atMs] as const) };
  }

  static restore(s: TypeLedgerSnapshot): TypeLedger {
    const t = new TypeLedger(s.halfLifeMs);
    for (const [id, value, atMs] of s.masses) t.slots.set(id, { value, atMs });
    return t;
  }

  /** Every item scored and sorted: the definition, for cuts the cache cannot decide. */
  private bestByScan(limit: number, tMs: number): Scored[] {
    const scored = [...this.slots].map(([id, m]) => ({ id, score: scoreAt(m, tMs, this.halfLifeMs) }));
    return scored.sort(byScoreThenId).slice(0, limit);
  }
}

function byScoreThenId(a: Scored, b: Scored): number {
  return before(a.score, a.id, b.score, b.id) ? -1 : before(b.score, b.id, a.score, a.id) ? 1 : 0;
}

/** Every type's ledger, by type name (a Map key: any string is a type). */
export class SignalLedger {
  private readonly types = new Map<string, TypeLedger>();

  constructor(private readonly halfLifeOf: (type: string) => number) {}

  add(itemId: string, type: string, weight: number, atMs: number): void {
    let t = this.types.get(type);
    if (!t) {
      t = new TypeLedger(this.halfLifeOf(type));
      this.types.set(type, t);
    }
    t.add(itemId, weight, atMs);
  }

  score(itemId: string, type: string, tMs: number): number {
    return this.types.get(type)?.score(itemId, tMs) ?? 0;
  }

  best(type: string, limit: number, tMs: number): Scored[] {
    return this.types.get(type)?.best(limit, tMs) ?? [];
  }

  get signalTypes(): string[] {
    return [...this.types.keys()];
  }

  /** [type, its masses] pairs: types are data, never object keys. */
  snapshot(): Array<readonly [string, TypeLedgerSnapshot]> {
    return [...this.types].map(([type, t]) => [type, t.snapshot()] as const);
  }

  restore(s: Iterable<readonly [string, TypeLedgerSnapshot]>): void {
    this.types.clear();
    for (const [type, snap] of s) this.types.set(type, TypeLedger.restore(snap));
  }
}
