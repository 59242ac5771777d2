/**
 * SignalLedger.batchAdder: the replay path's add by dictionary index, which
 * interns each id and finds each type's ledger once a batch.
 *
 * - adding through it gives exactly the state of `add` signal by signal
 *   (scores, best lists, snapshots), for random batches over a shared
 *   dictionary, repeats and several types included;
 * - an id is interned only when one of its signals is added: a dictionary
 *   entry whose signals are skipped (below the high-water mark) gets no slot,
 *   as with `add`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignalLedger } from '../../src/ledger/signalLedger.js';

const BASE_MS = 1_700_000_000_000;
const halfLife = (type: string) => (type === 'like' ? 60_000 : 3_600_000);

describe('SignalLedger.batchAdder', () => {
  it('gives the state of adding signal by signal', () => {
    const dictionary = fc.uniqueArray(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 12 });
    fc.assert(fc.property(dictionary, fc.array(fc.tuple(fc.nat(), fc.nat(2), fc.integer({ min: -3, max: 9 }), fc.nat(100_000)), { minLength: 1, maxLength: 80 }), (ids, rows) => {
      const types = ['view', 'like', 'share'];
      const direct = new SignalLedger(halfLife);
      const viaAdder = new SignalLedger(halfLife);
      const add = viaAdder.batchAdder(ids, types);
      for (const [i, t, weight, dt] of rows) {
        direct.add(ids[i % ids.length]!, types[t]!, weight, BASE_MS + dt);
        add(i % ids.length, t, weight, BASE_MS + dt);
      }
      expect(viaAdder.snapshot()).toEqual(direct.snapshot());
      for (const type of types) expect(viaAdder.best(type, 5, BASE_MS + 200_000)).toEqual(direct.best(type, 5, BASE_MS + 200_000));
      for (const id of ids) expect(viaAdder.score(id, 'view', BASE_MS + 1)).toBe(direct.score(id, 'view', BASE_MS + 1));
    }), { numRuns: 200 });
  });

  it('interns an id only when one of its signals is added', () => {
    const ledger = new SignalLedger(halfLife);
    const add = ledger.batchAdder(['a', 'b', 'c'], ['view']);
    add(2, 0, 1, BASE_MS);
    add(2, 0, 1, BASE_MS + 1);
    expect(ledger.itemCount).toBe(1);
    expect(ledger.score('c', 'view', BASE_MS + 1)).toBeGreaterThan(1.9);
  });
});
