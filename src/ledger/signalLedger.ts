/**
 * The signal ledger: per signal type, each item's decayed mass (see
 * decay.ts) and an incrementally kept top-k for `retrieve` (typeLedger.ts).
 * Item ids are interned once (itemSlots.ts) into slots every type shares.
 */
import { ItemSlots } from './itemSlots.js';
import { type Scored, TypeLedger, type TypeLedgerSnapshot } from './typeLedger.js';

export type { Scored, TypeLedgerSnapshot } from './typeLedger.js';

/** Every type's ledger, by type name (a Map key: any string is a type). */
export class SignalLedger {
  private readonly types = new Map<string, TypeLedger>();
  private items = new ItemSlots();

  constructor(private readonly halfLifeOf: (type: string) => number) {}

  add(itemId: string, type: string, weight: number, atMs: number): void {
    let t = this.types.get(type);
    if (!t) {
      t = new TypeLedger(this.halfLifeOf(type), this.items);
      this.types.set(type, t);
    }
    t.add(this.items.intern(itemId), weight, atMs);
  }

  score(itemId: string, type: string, tMs: number): number {
    return this.types.get(type)?.score(this.items.find(itemId), tMs) ?? 0;
  }

  best(type: string, limit: number, tMs: number): Scored[] {
    return this.types.get(type)?.best(limit, tMs) ?? [];
  }

  /** The item id intern table (read-only use: the WAL encoder keeps the ids' order over it). */
  get itemIds(): Pick<ItemSlots, 'find' | 'idOf' | 'size'> {
    return this.items;
  }

  get signalTypes(): string[] {
    return [...this.types.keys()];
  }

  /** [type, its masses] pairs: types are data, never object keys. */
  snapshot(): Array<readonly [string, TypeLedgerSnapshot]> {
    return [...this.types].map(([type, t]) => [type, t.snapshot()] as const);
  }

  /** Replaces everything held with `s`'s masses; item slots are numbered afresh. */
  restore(s: Iterable<readonly [string, TypeLedgerSnapshot]>): void {
    this.types.clear();
    this.items = new ItemSlots();
    for (const [type, snap] of s) this.types.set(type, TypeLedger.restore(snap, this.items));
  }
}
