/**
 * The typed-array ledger (interned item slots, Float64Array columns per
 * type, a top-k over slots) against the reference model in
 * referenceLedger.ts (a Map of { value, atMs } objects per type, best() a
 * full sort): over random sequences of signals and queries, every score is
 * the same double bit for bit, every best() the same list, and the snapshot
 * the same masses in the same order (what a checkpoint writes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignalLedger } from '../../src/ledger/signalLedger.js';
import { halfLifeOf, idOf, ledgerOp, type LedgerOp, signalsOf, TYPES } from './ledgerOps.js';
import { ReferenceLedger } from './referenceLedger.js';

type Ledgerish = Pick<SignalLedger, 'add' | 'score' | 'best' | 'snapshot'>;

/** Applies `op` to both; queries are compared as they come, so the top-k cache is exercised between writes. */
function step(ledger: Ledgerish, ref: ReferenceLedger, op: LedgerOp): void {
  for (const [id, type, weight, at] of signalsOf(op)) {
    ledger.add(id, type, weight, at);
    ref.add(id, type, weight, at);
  }
  if (op.kind === 'best') expectSameRanking(ledger.best(op.type, op.limit, op.at), ref.best(op.type, op.limit, op.at), `best(${op.type}, ${op.limit}, ${op.at})`);
  if (op.kind === 'score') {
    for (const item of op.items) expectSameNumber(ledger.score(idOf(item), op.type, op.at), ref.score(idOf(item), op.type, op.at), `score(${idOf(item)}, ${op.type}, ${op.at})`);
  }
}

export function expectSameNumber(got: number, want: number, context: string): void {
  if (!Object.is(got, want)) throw new Error(`${context}: got ${got}, the reference gives ${want}`);
}

function expectSameRanking(got: ReadonlyArray<{ id: string; score: number }>, want: ReadonlyArray<{ id: string; score: number }>, context: string): void {
  expect(got.map((s) => s.id), context).toEqual(want.map((s) => s.id));
  got.forEach((s, i) => expectSameNumber(s.score, want[i]!.score, `${context}[${i}]`));
}

export function expectSameSnapshot(got: ReturnType<SignalLedger['snapshot']>, want: ReturnType<ReferenceLedger['snapshot']>): void {
  expect(got.map(([type]) => type)).toEqual(want.map(([type]) => type));
  got.forEach(([type, t], i) => {
    const w = want[i]![1];
    expect(t.halfLifeMs, type).toBe(w.halfLifeMs);
    expect(t.masses.map(([id]) => id), `${type}: items in first-seen order`).toEqual(w.masses.map(([id]) => id));
    t.masses.forEach(([id, value, atMs], j) => {
      expectSameNumber(value, w.masses[j]![1], `${type}/${id} value`);
      expectSameNumber(atMs, w.masses[j]![2], `${type}/${id} atMs`);
    });
  });
}

describe('the typed-array ledger gives the reference model\'s results exactly', () => {
  it('same scores bit for bit, same best(), same snapshot, over random signals and queries (seeded)', () => {
    fc.assert(fc.property(fc.array(ledgerOp, { minLength: 1, maxLength: 120 }), (ops) => {
      const ledger = new SignalLedger(halfLifeOf);
      const ref = new ReferenceLedger(halfLifeOf);
      for (const op of ops) step(ledger, ref, op);
      expectSameSnapshot(ledger.snapshot(), ref.snapshot());
      expect(ledger.signalTypes).toEqual(ref.signalTypes);
    }), { seed: 20_261_205, numRuns: 150 });
  });

  it('every type ranks exactly after thousands of items, most of them in more than one type', () => {
    const ledger = new SignalLedger(halfLifeOf);
    const ref = new ReferenceLedger(halfLifeOf);
    let s = 1;
    const random = (): number => ((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
    for (let i = 0; i < 30_000; i++) {
      const type = TYPES[Math.floor(random() * random() * TYPES.length)]!;
      const item = idOf(Math.floor(random() * random() * 5_000));
      const weight = random() < 0.1 ? -random() : random() * 3;
      const at = 1_700_000_000_000 + Math.floor(random() * 1e7);
      ledger.add(item, type, weight, at);
      ref.add(item, type, weight, at);
      if (i % 2_999 === 0) for (const t of TYPES) expectSameRanking(ledger.best(t, 25, at), ref.best(t, 25, at), `${t} after ${i}`);
    }
    for (const t of TYPES) expectSameRanking(ledger.best(t, 10_000, 1_700_000_500_000), ref.best(t, 10_000, 1_700_000_500_000), `${t}: all`);
    expectSameSnapshot(ledger.snapshot(), ref.snapshot());
  });
});
