/**
 * One signal type's decayed masses in typed-array columns indexed by item
 * slot: growth by doubling past the initial capacity, a presence marker,
 * the order in which slots first got a mass (the checkpoint's order), and
 * the same arithmetic as the decay definition, bit for bit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MassColumns } from '../../src/ledger/massColumns.js';
import { referenceAdd } from './referenceLedger.js';

describe('MassColumns', () => {
  it('holds no mass anywhere when new, at slots inside and far beyond its capacity', () => {
    const m = new MassColumns(4);
    expect(m.count).toBe(0);
    for (const slot of [0, 3, 4, 1_000_000]) expect(m.has(slot)).toBe(false);
  });

  it('a first add sets value = weight and atMs = the signal time', () => {
    const m = new MassColumns(4);
    m.add(2, -1.5, 1_000, 60_000);
    expect(m.has(2)).toBe(true);
    expect(m.valueOf(2)).toBe(-1.5);
    expect(m.atMsOf(2)).toBe(1_000);
    expect(m.has(1)).toBe(false);
    expect(m.has(3)).toBe(false);
  });

  it('grows by doubling to hold a slot past its capacity, keeping every mass and marking the new room empty', () => {
    const m = new MassColumns(4);
    m.add(1, 1, 10, 1_000);
    m.add(3, 2, 20, 1_000);
    expect(m.capacity).toBe(4);
    m.add(4, 3, 30, 1_000);
    expect(m.capacity).toBe(8);
    m.add(100, 4, 40, 1_000);
    expect(m.capacity).toBe(128);
    expect([1, 3, 4, 100].map((s) => [m.valueOf(s), m.atMsOf(s)])).toEqual([[1, 10], [2, 20], [3, 30], [4, 40]]);
    for (let s = 0; s < 128; s++) expect(m.has(s), `slot ${s}`).toBe([1, 3, 4, 100].includes(s));
  });

  it('lists slots in the order they first got a mass, however slots are numbered', () => {
    const m = new MassColumns(2);
    for (const slot of [7, 0, 7, 3, 0, 12, 1]) m.add(slot, 1, 0, 1_000);
    expect(m.count).toBe(5);
    expect(Array.from({ length: m.count }, (_, i) => m.slotAt(i))).toEqual([7, 0, 3, 12, 1]);
  });

  it('adds with the decay definition\'s arithmetic, bit for bit, in any time order and sign (seeded)', () => {
    const signal = fc.record({
      slot: fc.integer({ min: 0, max: 40 }),
      weight: fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, -0, 1, -1)),
      atMs: fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true })),
    });
    fc.assert(fc.property(fc.array(signal, { maxLength: 200 }), fc.integer({ min: 1, max: 1e8 }), (signals, halfLifeMs) => {
      const m = new MassColumns(8);
      const ref = new Map<number, { value: number; atMs: number }>();
      for (const s of signals) {
        m.add(s.slot, s.weight, s.atMs, halfLifeMs);
        const mass = ref.get(s.slot);
        if (mass) referenceAdd(mass, s.weight, s.atMs, halfLifeMs);
        else ref.set(s.slot, { value: s.weight, atMs: s.atMs });
      }
      expect(m.count).toBe(ref.size);
      for (const [slot, mass] of ref) {
        expect(Object.is(m.valueOf(slot), mass.value), `value of ${slot}: ${m.valueOf(slot)} vs ${mass.value}`).toBe(true);
        expect(Object.is(m.atMsOf(slot), mass.atMs), `atMs of ${slot}`).toBe(true);
      }
    }), { seed: 16, numRuns: 300 });
  });
});
