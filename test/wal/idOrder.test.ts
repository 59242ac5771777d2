/**
 * IdOrder (src/wal/idOrder.ts): the v3 encoder builds a batch's id
 * dictionary from the ids' kept order instead of sorting them, and the
 * bytes are exactly those of sorting (docs/wal-format.md: the dictionary
 * ascends in UTF-16 code unit order):
 *
 * - for random batches whose ids arrive over time (so some are ranked and
 *   some fresh, across the merge thresholds), with the ledger's table
 *   replaced midway (a checkpoint install) and ids the table lacks;
 * - an id without a slot gives null and leaves the indices alone, so the
 *   encoder falls back to sorting.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WalEvent } from '../../src/events.js';
import { ItemSlots } from '../../src/ledger/itemSlots.js';
import { encodeColumnarPayload } from '../../src/wal/encodeColumnarPayload.js';
import { IdOrder } from '../../src/wal/idOrder.js';

const MS = 1_700_000_000_000;
const poolId = fc.oneof(
  fc.integer({ min: 0, max: 5000 }).map((n) => `item-${String(n).padStart(7, '0')}`),
  fc.constantFrom('ключ-😀', 'ключ-😁', '😀', '😀a', '\u{10FFFF}', 'a', 'ab', 'Z', '\uFFFF', '\uD7FF'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }),
);

function signals(ids: readonly string[], firstSeq: number): WalEvent[] {
  return ids.map((itemId, i) => ({ kind: 'signal', seq: firstSeq + i, itemId, type: i % 3 === 0 ? 'like' : 'view', weight: 1 + (i % 4), at: MS + i }));
}

describe('IdOrder', () => {
  it('gives the bytes of sorting, for batches whose ids arrive over time, across a table replaced midway and ids without a slot', () => {
    fc.assert(fc.property(
      fc.array(fc.array(poolId, { minLength: 1, maxLength: 400 }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 11 }),
      (batches, replaceAt, unslottedAt) => {
        let table = new ItemSlots();
        const order = new IdOrder(() => table);
        let seq = 1;
        batches.forEach((ids, b) => {
          if (b === replaceAt) table = new ItemSlots();
          // The ledger interns before the WAL encodes; one batch leaves its last id out.
          const interned = b === unslottedAt ? ids.slice(0, -1) : ids;
          for (const id of interned) table.intern(id);
          const events = signals(ids, seq);
          seq += events.length;
          expect(Buffer.from(encodeColumnarPayload(events, order)).equals(Buffer.from(encodeColumnarPayload(events)))).toBe(true);
        });
      },
    ), { numRuns: 150 });
  });

  it('gives the bytes of sorting when thousands of ids arrive in random order over many batches (every merge threshold crossed)', () => {
    const table = new ItemSlots();
    const order = new IdOrder(() => table);
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
    let seq = 1;
    for (let b = 0; b < 60; b++) {
      const ids = Array.from({ length: 500 }, () => `id-${next() % (200 + b * 150)}`);
      for (const id of ids) table.intern(id);
      const events = signals(ids, seq);
      seq += events.length;
      expect(Buffer.from(encodeColumnarPayload(events, order)).equals(Buffer.from(encodeColumnarPayload(events)))).toBe(true);
    }
    expect(table.size).toBeGreaterThan(5000);
  });

  it('gives null, and leaves the indices alone, when an id has no slot', () => {
    const table = new ItemSlots();
    table.intern('b');
    table.intern('a');
    const order = new IdOrder(() => table);
    const indices = new Uint32Array([7, 7, 7]);
    expect(order.dictionary(['a', 'zz', 'b'], 3, indices)).toBeNull();
    expect([...indices]).toEqual([7, 7, 7]);
    expect(order.dictionary(['b', 'a', 'b'], 3, indices)).toEqual(['a', 'b']);
    expect([...indices]).toEqual([1, 0, 1]);
  });

  it('gives null when there is no table', () => {
    expect(new IdOrder(() => null).dictionary(['a'], 1, new Uint32Array(1))).toBeNull();
  });
});
