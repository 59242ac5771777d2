/**
 * TopK over item slots: the best k by rank key descending, ties by id
 * ascending (ids looked up by slot only on a tie), kept incrementally as
 * masses grow, read from a type's mass columns. With a half-life of 1 ms
 * and every signal at time 0, a slot's key is log2 of its value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MassColumns } from '../../src/ledger/massColumns.js';
import { TopK } from '../../src/ledger/topK.js';

function entries(top: TopK): number[] {
  return Array.from({ length: top.length }, (_, i) => top.slotAt(i));
}

/** The best k slots of `values` by log2(value) desc (non-positive: -Infinity), then id asc: the definition. */
function bruteTop(values: ReadonlyMap<number, number>, ids: readonly string[], k: number): number[] {
  const key = (s: number): number => (values.get(s)! > 0 ? Math.log2(values.get(s)!) : -Infinity);
  return [...values.keys()].sort((a, b) => (key(a) > key(b) ? -1 : key(a) < key(b) ? 1 : ids[a]! < ids[b]! ? -1 : 1)).slice(0, k);
}

describe('TopK over slots', () => {
  it('ranks by key, ties by id (not by slot number); non-positive masses rank last', () => {
    const ids = ['b', 'a', 'c', 'd'];
    const masses = new MassColumns(4);
    [2, 2, 8, -1].forEach((value, slot) => masses.add(slot, value, 0, 1));
    const top = TopK.build(3, masses, 1, (s) => ids[s]!);
    expect(entries(top)).toEqual([2, 1, 0]);
    expect(top.has(3)).toBe(false);
    expect(TopK.build(10, masses, 1, (s) => ids[s]!).length).toBe(4);
  });

  it('stays the best k of the current masses as they grow and slots arrive, in any order (seeded)', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `id-${String((i * 37) % 50).padStart(2, '0')}`);
    const step = fc.record({ slot: fc.integer({ min: 0, max: 49 }), growth: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 }), fc.double({ min: 0, max: 5, noNaN: true })) });
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.array(step, { maxLength: 200 }), (k, steps) => {
      const masses = new MassColumns(8);
      const values = new Map<number, number>();
      const top = new TopK(k, masses, 1, (s) => ids[s]!);
      for (const { slot, growth } of steps) {
        masses.add(slot, growth, 0, 1);
        values.set(slot, masses.valueOf(slot));
        top.offer(slot);
        expect(entries(top)).toEqual(bruteTop(values, ids, k));
      }
      for (const slot of values.keys()) expect(top.has(slot)).toBe(entries(top).includes(slot));
    }), { seed: 5, numRuns: 200 });
  });
});
