/**
 * The signal ledger: per signal type, each item's decayed mass (see
 * decay.ts) and an incrementally kept top-k for `retrieve` (typeLedger.ts).
 * Item ids are interned once (itemSlots.ts) into slots every type shares.
 */
import { ItemSlots } from './itemSlots.js';
import { type Scored, TypeLedger, type TypeLedgerSnapshot } from './typeLedger.js';

export type { Scored, TypeLedgerSnapshot } from './typeLedger.js';

/** Adds `weight` at `atMs` to the batch's item `itemIndex` under its type `typeIndex` (SignalLedger.batchAdder). */
export type BatchAdder = (itemIndex: number, typeIndex: number, weight: number, atMs: number) => void;

/** Every type's ledger, by type name (a Map key: any string is a type). */
export class SignalLedger {
  private readonly types = new Map<string, TypeLedger>();
  private items = new ItemSlots();

  constructor(private readonly halfLifeOf: (type: string) => number) {}

  add(itemId: string, type: string, weight: number, atMs: number): void {
    this.typeLedger(type).add(this.items.intern(itemId), weight, atMs);
  }

  /**
   * `add` for the signals of one decoded batch, by dictionary index: each
   * of `itemIds` is interned, and each of `types` has its ledger found, once
   * at its first use rather than per signal. Why: a replayed id is a fresh
   * string, so its Map lookup hashes it; interning was 20% of replay
   * (profiled, 148 ms per 1M events), and a batch names each id ~2 times.
   * Use the adder only while this ledger is not restored.
   */
  batchAdder(itemIds: readonly string[], types: readonly string[]): BatchAdder {
    const slots = new Int32Array(itemIds.length).fill(-1);
    const ledgers = new Array<TypeLedger | undefined>(types.length);
    return (itemIndex, typeIndex, weight, atMs) => {
      const ledger = ledgers[typeIndex] ?? (ledgers[typeIndex] = this.typeLedger(types[typeIndex]!));
      let slot = slots[itemIndex]!;
      if (slot < 0) slot = slots[itemIndex] = this.items.intern(itemIds[itemIndex]!);
      ledger.add(slot, weight, atMs);
    };
  }

  private typeLedger(type: string): TypeLedger {
    let t = this.types.get(type);
    if (!t) {
      t = new TypeLedger(this.halfLifeOf(type), this.items);
      this.types.set(type, t);
    }
    return t;
  }

  score(itemId: string, type: string, tMs: number): number {
    return this.types.get(type)?.score(this.items.find(itemId), tMs) ?? 0;
  }

  best(type: string, limit: number, tMs: number): Scored[] {
    return this.types.get(type)?.best(limit, tMs) ?? [];
  }

  /** Item ids interned (each has a slot): every id a signal was added for. */
  get itemCount(): number {
    return this.items.size;
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
