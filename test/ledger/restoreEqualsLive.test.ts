/**
 * A ledger restored from a snapshot (as a checkpoint installs one) is the
 * live ledger it was taken from: same scores, same best(), same snapshot,
 * and it stays so as both take the same further signals. Its item slots
 * are numbered afresh (by the snapshot's order), which must not show.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignalLedger } from '../../src/ledger/signalLedger.js';
import { halfLifeOf, idOf, ITEM_POOL, ledgerOp, signalsOf, TYPES } from './ledgerOps.js';

const PROBE_TIMES = [1_700_000_000_000, 1_700_000_000_000 + 3_600_000 * 50, 1_700_000_000_000 - 3_600_000 * 50];

function expectSameObservable(restored: SignalLedger, live: SignalLedger): void {
  expect(restored.snapshot()).toStrictEqual(live.snapshot());
  expect(restored.signalTypes).toEqual(live.signalTypes);
  for (const t of PROBE_TIMES) {
    for (const type of TYPES) {
      expect(restored.best(type, 40, t)).toStrictEqual(live.best(type, 40, t));
      for (const i of [0, 1, 2, 17, 999, ITEM_POOL - 1]) expect(Object.is(restored.score(idOf(i), type, t), live.score(idOf(i), type, t))).toBe(true);
    }
  }
}

describe('restore(snapshot()) equals the live ledger', () => {
  it('after any signals, and after the same signals applied to both afterwards (seeded)', () => {
    fc.assert(fc.property(fc.array(ledgerOp, { maxLength: 60 }), fc.array(ledgerOp, { maxLength: 30 }), (before, after) => {
      const live = new SignalLedger(halfLifeOf);
      for (const op of before) for (const [id, type, w, at] of signalsOf(op)) live.add(id, type, w, at);
      const restored = new SignalLedger(halfLifeOf);
      restored.restore(live.snapshot());
      expectSameObservable(restored, live);
      for (const op of after) {
        for (const [id, type, w, at] of signalsOf(op)) {
          live.add(id, type, w, at);
          restored.add(id, type, w, at);
        }
      }
      expectSameObservable(restored, live);
    }), { seed: 31, numRuns: 60 });
  });

  it('replaces whatever the ledger held before', () => {
    const ledger = new SignalLedger(() => 1_000);
    ledger.add('old', 'view', 5, 0);
    ledger.add('gone', 'gone-type', 1, 0);
    ledger.restore([['view', { halfLifeMs: 1_000, masses: [['new', 2, 0], ['old', 1, 0]] }]]);
    expect(ledger.score('old', 'view', 0)).toBe(1);
    expect(ledger.score('gone', 'gone-type', 0)).toBe(0);
    expect(ledger.signalTypes).toEqual(['view']);
    expect(ledger.best('view', 10, 0)).toEqual([{ id: 'new', score: 2 }, { id: 'old', score: 1 }]);
    expect(ledger.snapshot()).toEqual([['view', { halfLifeMs: 1_000, masses: [['new', 2, 0], ['old', 1, 0]] }]]);
  });
});
