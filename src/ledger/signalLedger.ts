/**
 * The signal ledger: per signal type, each item's decayed mass (see
 * decay.ts) and an incrementally kept top-k for `retrieve`.
 */
import { DECAY_REBASE_HALF_LIVES } from '../limits.js';
import { decayFactor, massOf } from './decay.js';
import { before, TopK } from './topK.js';

/** Smallest top-k kept per type: retrieve's default limit with room to spare. */
const MIN_TOP_K = 32;

export interface TypeLedgerSnapshot {
  readonly halfLifeMs: number;
  readonly refMs: number;
  readonly masses: ReadonlyArray<readonly [string, number]>;
}

/** One signal type's masses. */
export class TypeLedger {
  readonly masses = new Map<string, number>();
  private top: TopK | null = null;

  constructor(readonly halfLifeMs: number, public refMs: number) {}

  add(itemId: string, weight: number, atMs: number): void {
    if ((atMs - this.refMs) / this.halfLifeMs > DECAY_REBASE_HALF_LIVES) this.rebase(atMs);
    const mass = (this.masses.get(itemId) ?? 0) + massOf(weight, atMs, this.refMs, this.halfLifeMs);
    this.masses.set(itemId, mass);
    if (!this.top) return;
    if (weight >= 0) this.top.offer(itemId);
    else if (this.top.has(itemId)) this.top = null;
  }

  score(itemId: string, tMs: number): number {
    const mass = this.masses.get(itemId);
    return mass === undefined ? 0 : mass * decayFactor(tMs, this.refMs, this.halfLifeMs);
  }

  /** The best `limit` items by score at `tMs`, ties by id ascending. */
  best(limit: number, tMs: number): Array<{ id: string; score: number }> {
    const factor = decayFactor(tMs, this.refMs, this.halfLifeMs);
    if (factor === 0 || !Number.isFinite(factor)) return this.bestByScan(limit, factor);
    if (!this.top || this.top.k < limit) this.top = TopK.build(Math.max(limit, MIN_TOP_K), this.masses);
    return this.top.entries.slice(0, limit).map((id) => ({ id, score: this.masses.get(id)! * factor }));
  }

  snapshot(): TypeLedgerSnapshot {
    return { halfLifeMs: this.halfLifeMs, refMs: this.refMs, masses: [...this.masses] };
  }

  static restore(s: TypeLedgerSnapshot): TypeLedger {
    const t = new TypeLedger(s.halfLifeMs, s.refMs);
    for (const [id, mass] of s.masses) t.masses.set(id, mass);
    return t;
  }

  /** Moves the reference time forward so masses stay far from overflow; order is unchanged. */
  private rebase(newRefMs: number): void {
    const factor = decayFactor(newRefMs, this.refMs, this.halfLifeMs);
    for (const [id, mass] of this.masses) this.masses.set(id, mass * factor);
    this.refMs = newRefMs;
    this.top = null; // masses that underflowed to 0 now tie and order by id
  }

  /** Degenerate factor (scores all underflow or overflow): rank the scores themselves. */
  private bestByScan(limit: number, factor: number): Array<{ id: string; score: number }> {
    const scored = [...this.masses].map(([id, mass]) => ({ id, score: mass * factor }));
    scored.sort((a, b) => (before(a.score, a.id, b.score, b.id) ? -1 : before(b.score, b.id, a.score, a.id) ? 1 : 0));
    return scored.slice(0, limit);
  }
}

/** Every type's ledger. */
export class SignalLedger {
  private readonly types = new Map<string, TypeLedger>();

  constructor(private readonly halfLifeOf: (type: string) => number) {}

  add(itemId: string, type: string, weight: number, atMs: number): void {
    let t = this.types.get(type);
    if (!t) {
      t = new TypeLedger(this.halfLifeOf(type), atMs);
      this.types.set(type, t);
    }
    t.add(itemId, weight, atMs);
  }

  score(itemId: string, type: string, tMs: number): number {
    return this.types.get(type)?.score(itemId, tMs) ?? 0;
  }

  best(type: string, limit: number, tMs: number): Array<{ id: string; score: number }> {
    return this.types.get(type)?.best(limit, tMs) ?? [];
  }

  get signalTypes(): string[] {
    return [...this.types.keys()];
  }

  snapshot(): Record<string, TypeLedgerSnapshot> {
    const out: Record<string, TypeLedgerSnapshot> = {};
    for (const [type, t] of this.types) out[type] = t.snapshot();
    return out;
  }

  restore(s: Record<string, TypeLedgerSnapshot>): void {
    this.types.clear();
    for (const [type, snap] of Object.entries(s)) this.types.set(type, TypeLedger.restore(snap));
  }
}
