/**
 * The signal ledger: per signal type, each item's decayed mass (see
 * decay.ts) and an incrementally kept top-k for `retrieve`.
 */
import { DECAY_REBASE_HALF_LIVES } from '../limits.js';
import { decayAt, massOf } from './decay.js';
import { before, TopK } from './topK.js';

/** Smallest top-k kept per type: retrieve's default limit with room to spare. */
const MIN_TOP_K = 32;

export interface TypeLedgerSnapshot {
  readonly halfLifeMs: number;
  readonly refMs: number;
  readonly masses: ReadonlyArray<readonly [string, number]>;
}

/** A mass held in an object, so adding to it costs one Map lookup, not two (get, then set). */
interface Slot {
  mass: number;
}

/** One signal type's masses. */
export class TypeLedger {
  private readonly slots = new Map<string, Slot>();
  private readonly massOfId = (id: string): number => this.slots.get(id)?.mass ?? 0;
  private top: TopK | null = null;

  constructor(readonly halfLifeMs: number, public refMs: number) {}

  add(itemId: string, weight: number, atMs: number): void {
    if ((atMs - this.refMs) / this.halfLifeMs > DECAY_REBASE_HALF_LIVES) this.rebase(atMs);
    const added = massOf(weight, atMs, this.refMs, this.halfLifeMs);
    const slot = this.slots.get(itemId);
    if (slot) slot.mass += added;
    else this.slots.set(itemId, { mass: added });
    if (!this.top) return;
    // A member that shrank may fall below a non-member: rebuild when next asked.
    // Anything else (grown, new, or a non-member that shrank) `offer` places.
    if (weight < 0 && this.top.has(itemId)) this.top = null;
    else this.top.offer(itemId);
  }

  score(itemId: string, tMs: number): number {
    const mass = this.slots.get(itemId)?.mass;
    return mass === undefined ? 0 : decayAt(tMs, this.refMs, this.halfLifeMs)(mass);
  }

  /** The best `limit` items by score at `tMs`, ties by id ascending. */
  best(limit: number, tMs: number): Array<{ id: string; score: number }> {
    const decay = decayAt(tMs, this.refMs, this.halfLifeMs);
    if (!this.top || this.top.k < limit) this.top = TopK.build(Math.max(limit, MIN_TOP_K), this.slots.keys(), this.massOfId);
    // Scores follow mass order, but rounding or underflow can give different
    // masses one score, and equal scores rank by id: take the first `limit`
    // plus every cached item tied with the last of them, and sort by score.
    const entries = this.top.entries;
    const scored = (id: string) => ({ id, score: decay(this.massOfId(id)) });
    const candidates = entries.slice(0, limit).map(scored);
    const cut = candidates[candidates.length - 1]?.score;
    while (candidates.length < entries.length && scored(entries[candidates.length]!).score === cut) {
      candidates.push(scored(entries[candidates.length]!));
    }
    if (candidates.length === this.top.k && !this.uncachedRankBelow(candidates, cut!, decay)) return this.bestByScan(limit, decay);
    return candidates.sort(byScoreThenId).slice(0, limit);
  }

  snapshot(): TypeLedgerSnapshot {
    return { halfLifeMs: this.halfLifeMs, refMs: this.refMs, masses: [...this.slots].map(([id, s]) => [id, s.mass] as const) };
  }

  static restore(s: TypeLedgerSnapshot): TypeLedger {
    const t = new TypeLedger(s.halfLifeMs, s.refMs);
    for (const [id, mass] of s.masses) t.slots.set(id, { mass });
    return t;
  }

  /** Moves the reference time forward so masses stay far from overflow; order is unchanged. */
  private rebase(newRefMs: number): void {
    const decay = decayAt(newRefMs, this.refMs, this.halfLifeMs);
    for (const slot of this.slots.values()) slot.mass = decay(slot.mass);
    this.refMs = newRefMs;
    this.top = null; // masses that underflowed to 0 now tie and order by id
  }

  /**
   * True when no item outside the full cache can tie the cut score `cut` and
   * outrank a candidate. Outside items rank after the last cached one by
   * (mass desc, id asc): an equal mass has a larger id than every cached item
   * of that mass, and a smaller mass scores at most what the next double
   * below it does.
   */
  private uncachedRankBelow(candidates: ReadonlyArray<{ id: string; score: number }>, cut: number, decay: (mass: number) => number): boolean {
    const lastMass = this.massOfId(candidates[candidates.length - 1]!.id);
    const tiedMassesEqual = candidates.every((c) => c.score !== cut || this.massOfId(c.id) === lastMass);
    return tiedMassesEqual && decay(nextDown(lastMass)) < cut;
  }

  /** Scores tied past the cache's end: rank every item's score itself. */
  private bestByScan(limit: number, decay: (mass: number) => number): Array<{ id: string; score: number }> {
    const scored = [...this.slots].map(([id, s]) => ({ id, score: decay(s.mass) }));
    return scored.sort(byScoreThenId).slice(0, limit);
  }
}

/** The largest double below finite `x`. */
function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const bits = new BigInt64Array(new Float64Array([x]).buffer);
  bits[0]! += x > 0 ? -1n : 1n;
  return new Float64Array(bits.buffer)[0]!;
}

function byScoreThenId(a: { id: string; score: number }, b: { id: string; score: number }): number {
  return before(a.score, a.id, b.score, b.id) ? -1 : before(b.score, b.id, a.score, a.id) ? 1 : 0;
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
