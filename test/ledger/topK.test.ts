/**
 * TopK over item slots: the best k by key descending, ties by id ascending
 * (ids looked up by slot only on a tie), kept incrementally as keys grow.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopK } from '../../src/ledger/topK.js';

/** The best k of `keys` by key desc then id asc, as slots: the definition. */
function bruteTop(keys: ReadonlyMap<number, number>, ids: readonly string[], k: number): number[] {
  return [...keys.keys()].sort((a, b) => keys.get(b)! - keys.get(a)! || (ids[a]! < ids[b]! ? -1 : 1)).slice(0, k);
}

describe('TopK over slots', () => {
  it('ranks by key, ties by id (not by slot number)', () => {
    const ids = ['b', 'a', 'c', 'd'];
    const keys = [1, 1, 3, -Infinity];
    const top = TopK.build(3, [0, 1, 2, 3], (s) => keys[s]!, (s) => ids[s]!);
    expect(top.entries).toEqual([2, 1, 0]);
    expect(top.has(3)).toBe(false);
  });

  it('stays the best k of the current keys as keys grow and slots arrive, in any order (seeded)', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `id-${String((i * 37) % 50).padStart(2, '0')}`);
    const step = fc.record({ slot: fc.integer({ min: 0, max: 49 }), growth: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 }), fc.double({ min: 0, max: 5, noNaN: true })) });
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.array(step, { maxLength: 200 }), (k, steps) => {
      const keys = new Map<number, number>();
      const top = new TopK(k, (s) => keys.get(s)!, (s) => ids[s]!);
      for (const { slot, growth } of steps) {
        keys.set(slot, (keys.get(slot) ?? 0) + growth);
        top.offer(slot);
        expect(top.entries).toEqual(bruteTop(keys, ids, k));
      }
      for (const slot of keys.keys()) expect(top.has(slot)).toBe(top.entries.includes(slot));
    }), { seed: 5, numRuns: 200 });
  });
});
