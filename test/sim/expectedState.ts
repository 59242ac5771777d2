/**
 * ExpectedState: what a database holding a prefix of a reference log must
 * answer, computed independently of the engine: each score is the
 * definition, the sum of weight * 2^(-(Q - at) / halfLife) term by term, at
 * one query time Q; each item is the last write of it.
 *
 * `differences(db)` compares a database with it through the public reads
 * (readDecayScore, retrieve, getItem) and describes the first mismatch.
 */
import type { TidalDb } from '../../src/index.js';
import { halfLifeOf, ITEM_IDS, type RefEvent, SIGNAL_TYPES } from './workload.js';

/** A score and the sum of its terms' magnitudes (the scale its rounding error is relative to). */
interface Term {
  sum: number;
  magnitude: number;
}

interface ExpectedItem {
  readonly id: string;
  readonly text: string | null;
  readonly fields: Readonly<Record<string, unknown>> | null;
}

/** Relative tolerance: the engine sums in a rebased form, so it agrees to ~1e-15, not bit for bit. */
const RELATIVE_TOLERANCE = 1e-9;

export class ExpectedState {
  private readonly scores = new Map<string, Map<string, Term>>();
  private readonly items = new Map<string, ExpectedItem>();

  constructor(readonly queryAtMs: number) {}

  clone(): ExpectedState {
    const copy = new ExpectedState(this.queryAtMs);
    for (const [type, byItem] of this.scores) {
      copy.scores.set(type, new Map([...byItem].map(([id, t]) => [id, { ...t }])));
    }
    for (const [id, item] of this.items) copy.items.set(id, item);
    return copy;
  }

  apply(e: RefEvent): void {
    if (e.kind === 'item') {
      this.items.set(e.id, { id: e.id, text: e.text, fields: e.fields });
      return;
    }
    let byItem = this.scores.get(e.type);
    if (!byItem) this.scores.set(e.type, (byItem = new Map()));
    const term = e.weight * Math.pow(2, -(this.queryAtMs - e.at) / halfLifeOf(e.type));
    const t = byItem.get(e.itemId) ?? { sum: 0, magnitude: 0 };
    t.sum += term;
    t.magnitude += Math.abs(term);
    byItem.set(e.itemId, t);
  }

  /** The first way `db` differs from this state, or null. */
  differences(db: TidalDb): string | null {
    for (const type of SIGNAL_TYPES) {
      const problem = this.scoreDifferences(db, type);
      if (problem) return problem;
    }
    for (const id of ITEM_IDS) {
      const got = db.getItem(id);
      const want = this.items.get(id);
      if (!sameItem(got, want)) return `getItem(${JSON.stringify(id)}) is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
    }
    return null;
  }

  private scoreDifferences(db: TidalDb, type: string): string | null {
    const want = this.scores.get(type) ?? new Map<string, Term>();
    for (const id of ITEM_IDS) {
      const got = db.readDecayScore(id, type, this.queryAtMs);
      const t = want.get(id) ?? { sum: 0, magnitude: 0 };
      if (!close(got, t)) return `readDecayScore(${JSON.stringify(id)}, ${type}) is ${got}, expected ${t.sum}`;
    }
    const ranked = db.retrieve({ signal: type, limit: 1000, at: this.queryAtMs });
    if (ranked.length !== want.size) {
      return `retrieve(${type}) lists ${ranked.map((r) => r.id).join(',')}, expected the ${want.size} items ${[...want.keys()].join(',')}`;
    }
    for (let i = 0; i < ranked.length; i++) {
      const { id, score } = ranked[i]!;
      const t = want.get(id);
      if (!t || !close(score, t)) return `retrieve(${type})[${i}] is ${id} ${score}, expected ${t ? t.sum : 'no such item'}`;
      const prev = i > 0 ? want.get(ranked[i - 1]!.id)! : null;
      if (prev && prev.sum < t.sum - tolerance(prev) - tolerance(t)) return `retrieve(${type}) ranks ${ranked[i - 1]!.id} above ${id}`;
    }
    return null;
  }
}

function tolerance(t: Term): number {
  return RELATIVE_TOLERANCE * t.magnitude + 1e-300;
}

function close(got: number, want: Term): boolean {
  return Math.abs(got - want.sum) <= tolerance(want);
}

function sameItem(got: ExpectedItem | undefined, want: ExpectedItem | undefined): boolean {
  if (!got || !want) return got === want;
  return got.id === want.id && got.text === want.text && sameJson(got.fields, want.fields);
}

/** Deep equality of JSON-like values, key order included (as the WAL keeps it). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i] || !sameJson((a as Record<string, unknown>)[ka[i]!], (b as Record<string, unknown>)[kb[i]!])) return false;
  }
  return true;
}
